"""Console helpers of the CLI: the rich console and the logging handler for ``genesis``."""

from __future__ import annotations

import logging

from rich.console import Console


def stderr_console() -> Console:
    """A console on stderr (stdout stays for results)."""
    return Console(stderr=True)


class _ConsoleHandler(logging.Handler):
    """Prints each record as one plain, unwrapped line (people grep the seed's lines)."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self._console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            style = "yellow" if record.levelno >= logging.WARNING else None
            text = self.format(record)
            self._console.print(text, style=style, soft_wrap=True, markup=False, highlight=False)
        except Exception:  # logging's own contract: a failing handler must not raise
            self.handleError(record)


def setup_logging(console: Console, *, verbose: bool = False, quiet: bool = False) -> None:
    """Send the ``genesis`` logger (the seed's log lines) to ``console``."""
    logger = logging.getLogger("genesis")
    logger.handlers.clear()
    handler = _ConsoleHandler(console)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
