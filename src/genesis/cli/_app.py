"""The root typer app, its command groups and the error boundary."""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="genesis",
    help="Find good trading-strategy parameters: Optuna over fast, cached, real backtests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from genesis.cli import data

    app.add_typer(data.app, name="data", help="Fetch, inspect and resample candles.")


def main() -> None:
    """Entry point of the ``genesis`` console script: run the app, map errors to exit codes."""
    from genesis.errors import GenesisError

    _register()
    try:
        app(standalone_mode=False)
    except GenesisError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        typer.secho("interrupted", err=True)
        sys.exit(130)
