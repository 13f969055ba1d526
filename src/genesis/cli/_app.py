"""The root typer app, its command groups and the error boundary.

``main`` is the one place where exceptions become messages and exit codes:
GenesisError → its one-line message and ``exit_code``; Ctrl-C → 130; SIGTERM is handled
like Ctrl-C (the run directory is made consistent) → 143; anything else is a bug and
keeps its traceback.

Exit codes, the same rule for every command (written once, in :mod:`genesis.errors`):

* 0: done.
* 2: a user error: a config, flag or name, a file or folder the user gave, a strategy
  that raises; the message says what and where, never with a traceback. typer's own
  usage errors (an unknown option) are 2 too.
* 1: a failed run: the input was fine and the work failed (no trial completed, a
  champion that does not reproduce, the exchange, database, cache or disk failing).
* 130: interrupted (Ctrl-C); 143: terminated (SIGTERM).
"""

from __future__ import annotations

import signal
import sys
from typing import Any

import typer

app = typer.Typer(
    name="genesis",
    help="Find good trading-strategy parameters: Optuna over fast, cached, real backtests.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_registered = False


def _register() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    from genesis.cli import (
        backtest,
        cache,
        champion,
        data,
        freqtrade,
        optimize,
        report,
        runs,
        worker,
    )
    from genesis.cli import strategies as strategies_

    app.command("optimize")(optimize.optimize)
    app.command("backtest")(backtest.backtest)
    app.command("report")(report.report)
    app.command("worker")(worker.worker)
    app.command("strategies")(strategies_.strategies)
    app.add_typer(data.app, name="data", help="Fetch, inspect and resample candles.")
    app.add_typer(cache.app, name="cache", help="Inspect and clean the shared result cache.")
    app.add_typer(champion.app, name="champion", help="Keep best trials and check they reproduce.")
    app.add_typer(runs.app, name="runs", help="List past runs and show one.")
    app.add_typer(freqtrade.app, name="freqtrade", help="Freqtrade strategies: its flags, offline.")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``genesis`` console script: run the app, map errors to exit codes.

    Usage errors (unknown command or option) are typer's: a usage line and exit 2.
    """
    from genesis.errors import GenesisError, Terminated
    from genesis.storage.interrupts import is_interrupt, keep_interrupts  # light: no optuna

    _register()
    signal.signal(signal.SIGTERM, _terminate)
    keep_interrupts()  # a Ctrl-C while numba compiles is not lost, nor printed as a traceback
    try:
        app(args=argv)
    except GenesisError as error:
        if is_interrupt(error):  # a Ctrl-C in a numba kernel, wrapped as a strategy's
            typer.secho("interrupted", err=True)
            sys.exit(130)
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        sys.exit(error.exit_code)
    except Exception as error:  # the CLI edge: a bug keeps its traceback, a Ctrl-C does not
        if not is_interrupt(error):
            raise
        typer.secho("interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt as stop:
        terminated = isinstance(stop, Terminated)
        typer.secho("terminated" if terminated else "interrupted", err=True)
        sys.exit(143 if terminated else 130)


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM → :class:`~genesis.errors.Terminated`, a KeyboardInterrupt: the same clean-up."""
    from genesis.errors import Terminated

    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one is enough; a second must not cut it
    raise Terminated
