"""The genesis command line: a thin typer layer over :mod:`genesis.api`.

This package is the one place where exceptions become messages and exit codes.
Heavy libraries (numba, optuna, pandas) are imported inside commands, so that
``genesis --help`` stays fast.
"""

from __future__ import annotations

from genesis.cli._app import app, main

__all__ = ["app", "main"]
