"""The backtest engine: signals in, equity and trades out, in one numba pass.

:func:`run_backtest` is the entry point; the fill, cost, sizing, stop and exit-rule
conventions (and the order of checks within a bar) are stated once, in
:mod:`genesis.engine._kernels`. :mod:`genesis.engine.portfolio` (not yet part of this
package's promise, nor of the config) runs several markets with one wallet. The engine
imports only :mod:`genesis.data` and :mod:`genesis.errors` from genesis.
"""

from __future__ import annotations

from genesis.engine.backtest import run_backtest
from genesis.engine.types import (
    ENGINE_VERSION,
    BacktestResult,
    BacktestSettings,
    ExitReason,
    ExitRules,
    Signals,
    Trades,
)

__all__ = [
    "ENGINE_VERSION",
    "BacktestResult",
    "BacktestSettings",
    "ExitReason",
    "ExitRules",
    "Signals",
    "Trades",
    "run_backtest",
]
