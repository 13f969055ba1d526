"""Value types of the engine: what goes into a backtest and what comes out.

The arrays of a :class:`BacktestResult` are owned by it: nobody mutates them (they are
not frozen only because freezing eleven arrays per backtest is measurable overhead).

Signal convention: every signal array has one entry per bar and is decided on that
bar's *close*; the engine acts on it at the *next* bar's open. Stop distances are
absolute price distances (not multiples), decided at the signal bar; NaN means "no
such stop". Strategies turn ATR multiples or percentages into these distances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from genesis.errors import ConfigError

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
    """Account and cost settings of one backtest. Every field is part of the cache key.

    Attributes:
        initial_capital: Starting equity in account currency (> 0).
        fee_bps: Fee per fill in basis points of the traded notional (>= 0).
        slippage_bps: Adverse price move per fill in basis points (>= 0).
        position_fraction: Share of current equity committed per entry, fee included
            (> 0; above 1 is leverage).

    Raises:
        ConfigError: If a value is out of range or not finite (checked once, here, so
            the per-backtest path does not re-check).
    """

    initial_capital: float = 10_000.0
    fee_bps: float = 10.0
    slippage_bps: float = 5.0
    position_fraction: float = 1.0

    def __post_init__(self) -> None:
        checks = (
            ("initial_capital", self.initial_capital, self.initial_capital > 0, "> 0"),
            ("fee_bps", self.fee_bps, self.fee_bps >= 0, ">= 0"),
            ("slippage_bps", self.slippage_bps, self.slippage_bps >= 0, ">= 0"),
            ("position_fraction", self.position_fraction, self.position_fraction > 0, "> 0"),
        )
        for name, value, ok, rule in checks:
            if not (ok and math.isfinite(value)):
                raise ConfigError(
                    f"backtest setting {name} must be finite and {rule}, got {value!r}"
                )


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
    """What one backtest produced: equity per bar (mark-to-market at close) and trades.

    ``close`` (the candles' own array, shared, not copied) and ``first_open`` are the
    benchmark: buy-and-hold of the same bars buys at the first bar's open and is marked at
    every close. Results made without candles (tests, synthetic curves) have neither, and
    their buy-and-hold is undefined.
    """

    equity: FloatArray
    trades: Trades
    position: npt.NDArray[np.int8]  # -1, 0, +1 held during each bar (after its open's fills)
    bars_per_year: float
    initial_capital: float
    close: FloatArray | None = None
    first_open: float | None = None

    def __len__(self) -> int:
        return int(self.equity.shape[0])
