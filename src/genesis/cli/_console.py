"""Console helpers of the CLI: the rich console and the logging handler for ``genesis``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from genesis.cli._live import LiveDisplay

# The record attributes of genesis.storage.log (not imported: it pulls in optuna).
_PER_TRIAL = "genesis_per_trial"
_STAGE = "genesis_stage"
_STUDY = "genesis_study"


def stderr_console() -> Console:
    """A console on stderr (stdout stays for results)."""
    return Console(stderr=True)


class _ConsoleHandler(logging.Handler):
    """Prints each record as one plain, unwrapped line (people grep the [Runner] lines).

    With a live display, start-up stages become its status line, and the per-trial lines
    (``[Runner] Trial …``, ``[CACHE] Trial …``) are printed only when ``verbose``.
    """

    def __init__(
        self, console: Console, display: LiveDisplay | None = None, *, verbose: bool = False
    ) -> None:
        super().__init__()
        self._console = console
        self._display = display
        self._verbose = verbose

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._display is not None:
                stage = getattr(record, _STAGE, None)
                if stage is not None:
                    self._display.stage(str(stage), study=getattr(record, _STUDY, None))
                    if not (self._verbose or self._display.prints_stages):
                        return
                elif getattr(record, _PER_TRIAL, False) and not self._verbose:
                    return
            style = "yellow" if record.levelno >= logging.WARNING else None
            text = self.format(record)
            self._console.print(text, style=style, soft_wrap=True, markup=False, highlight=False)
        except Exception:  # logging's own contract: a failing handler must not raise
            self.handleError(record)


def setup_logging(
    console: Console,
    *,
    verbose: bool = False,
    quiet: bool = False,
    display: LiveDisplay | None = None,
) -> None:
    """Send the ``genesis`` logger (the [Runner]/[CACHE] log lines) to ``console``.

    Without a ``display`` every line is printed (``genesis worker``); with one, see
    :class:`_ConsoleHandler`.
    """
    logger = logging.getLogger("genesis")
    logger.handlers.clear()
    handler = _ConsoleHandler(console, display, verbose=verbose)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
