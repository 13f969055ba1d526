"""Value types of the engine: what goes into a backtest and what comes out.

Signal convention: every signal array has one entry per bar and is decided on that
bar's *close*; the engine acts on it at the *next* bar's open. Stop distances are
absolute price distances (not multiples), decided at the signal bar; NaN means "no
such stop". Strategies turn ATR multiples or percentages into these distances.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

ENGINE_VERSION = "1"
"""Bump whenever the kernel's fills, costs or stop rules change: it is part of the cache key."""


class ExitReason(IntEnum):
    """Why a trade closed (stored as int8 in trade arrays)."""

    SIGNAL = 0
    STOP_LOSS = 1
    TAKE_PROFIT = 2
    TRAILING_STOP = 3
    REVERSAL = 4
    END_OF_DATA = 5


@dataclass(frozen=True)
class Signals:
    """Entry/exit signals and stop distances, one entry per bar (see module docstring)."""

    entry_long: BoolArray
    exit_long: BoolArray
    entry_short: BoolArray | None = None
    exit_short: BoolArray | None = None
    stop_loss: FloatArray | None = None
    take_profit: FloatArray | None = None
    trailing_stop: FloatArray | None = None


@dataclass(frozen=True)
class BacktestSettings:
    """Account and cost settings of one backtest. Every field is part of the cache key."""

    initial_capital: float = 10_000.0
    fee_bps: float = 10.0
    slippage_bps: float = 5.0
    position_fraction: float = 1.0


@dataclass(frozen=True)
class Trades:
    """Closed trades as parallel arrays (one entry per trade)."""

    entry_idx: IntArray
    exit_idx: IntArray
    direction: npt.NDArray[np.int8]  # +1 long, -1 short
    entry_price: FloatArray
    exit_price: FloatArray
    size: FloatArray  # units of the asset
    pnl: FloatArray  # net of fees and slippage, in account currency
    return_pct: FloatArray  # pnl / capital committed at entry, in percent
    exit_reason: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.entry_idx.shape[0])


@dataclass(frozen=True)
class BacktestResult:
    """What one backtest produced: equity per bar (mark-to-market at close) and trades."""

    equity: FloatArray
    trades: Trades
    position: npt.NDArray[np.int8]  # -1, 0, +1 held during each bar
    bars_per_year: float
    initial_capital: float
