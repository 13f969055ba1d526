"""Console helpers of the CLI: the rich console and the logging handler for ``genesis``."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler


def stderr_console() -> Console:
    """A console on stderr (stdout stays for results)."""
    return Console(stderr=True)


def setup_logging(console: Console, *, verbose: bool = False, quiet: bool = False) -> None:
    """Send the ``genesis`` logger (the seed's log lines) to ``console``."""
    logger = logging.getLogger("genesis")
    logger.handlers.clear()
    handler = RichHandler(console=console, show_time=False, show_path=False, markup=False)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
