"""Value types of the engine: what goes into a backtest and what comes out.

The arrays of a :class:`BacktestResult` are owned by it: nobody mutates them (they are
not frozen only because freezing eleven arrays per backtest is measurable overhead).

Signal convention: every signal array has one entry per bar and is decided on that
bar's *close*; the engine acts on it at the *next* bar's open. Stop distances are
absolute price distances (not multiples), decided at the signal bar; NaN means "no
such stop". Strategies turn ATR multiples or percentages into these distances.
:class:`ExitRules` are the whole run's exit rules as fractions of the entry price (a ROI
table by trade age, percentage stops, a trailing stop with an offset, profit-only exits);
their conventions are stated in :mod:`genesis.engine._kernels`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from genesis.errors import ConfigError, StrategyError

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
    ROI = 6


def _check_fraction(name: str, value: float | None, upper: float | None = None) -> None:
    if value is None:
        return
    ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    if not (ok and value >= 0 and (upper is None or value < upper)):
        rule = ">= 0" if upper is None else f"in [0, {upper:g})"
        raise StrategyError(
            f"signals.exit_rules.{name} must be a finite fraction {rule}, got {value!r}",
            hint="fractions of the entry price: 0.05 is 5 %; None turns the rule off",
        )


@dataclass(frozen=True)
class ExitRules:
    """Exit rules that hold for every trade of a run, as fractions of the entry price.

    Every field defaults to "off". The order in which they are checked within a bar, and
    what each one's price is, are stated in :mod:`genesis.engine._kernels`.

    Attributes:
        roi: Take-profit by trade age: ``((age_bars, min_return), ...)`` with strictly
            increasing ages; from ``age_bars`` bars after the entry bar on, the trade
            exits once its price return reaches ``min_return`` (0.02 is 2 %; may be
            negative to cut a trade that lasted too long). Before the first age: no ROI.
        stop_loss_frac: Stop-loss at ``entry * (1 - frac)`` (long) / ``(1 + frac)``
            (short), in [0, 1).
        take_profit_frac: Take-profit at ``entry * (1 + frac)`` (long) / ``(1 - frac)``.
        trailing_frac: Trailing stop ``frac`` below the best price since entry (above it,
            short); active only once the best price is ``trailing_offset_frac`` beyond
            the entry. In [0, 1).
        trailing_offset_frac: Profit the best price must reach before trailing starts
            (0: at once). Needs ``trailing_frac``.
        exit_profit_only: Act on exit signals (and reversals) only while the trade's
            return at the acting open is above ``exit_profit_offset``.
        exit_profit_offset: The return an exit signal needs with ``exit_profit_only``.

    Raises:
        StrategyError: On a value out of range, or a ROI table not sorted by age.
    """

    roi: tuple[tuple[int, float], ...] | None = None
    stop_loss_frac: float | None = None
    take_profit_frac: float | None = None
    trailing_frac: float | None = None
    trailing_offset_frac: float = 0.0
    exit_profit_only: bool = False
    exit_profit_offset: float = 0.0
    roi_age_bars: IntArray = field(init=False, repr=False, compare=False)
    roi_return: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_fraction("stop_loss_frac", self.stop_loss_frac, 1.0)
        _check_fraction("take_profit_frac", self.take_profit_frac)
        _check_fraction("trailing_frac", self.trailing_frac, 1.0)
        _check_fraction("trailing_offset_frac", self.trailing_offset_frac)
        if self.trailing_offset_frac and self.trailing_frac is None:
            raise StrategyError(
                "signals.exit_rules.trailing_offset_frac is set without trailing_frac",
                hint="the offset says when the trailing stop starts: give its trailing_frac",
            )
        if not math.isfinite(self.exit_profit_offset):
            raise StrategyError(
                f"signals.exit_rules.exit_profit_offset must be finite, "
                f"got {self.exit_profit_offset!r}"
            )
        ages, returns = _roi_arrays(self.roi)
        object.__setattr__(self, "roi_age_bars", ages)
        object.__setattr__(self, "roi_return", returns)


def _roi_arrays(roi: tuple[tuple[int, float], ...] | None) -> tuple[IntArray, FloatArray]:
    """The ROI table as read-only kernel arrays (length 0 when off), checked."""
    pairs = [] if roi is None else list(roi)
    for pair in pairs:
        ok = isinstance(pair, tuple | list) and len(pair) == 2
        if not ok or isinstance(pair[0], bool) or not isinstance(pair[0], int) or pair[0] < 0:
            raise StrategyError(
                f"signals.exit_rules.roi entries must be (age_bars >= 0, min_return), got {pair!r}"
            )
        if not (isinstance(pair[1], int | float) and math.isfinite(pair[1]) and pair[1] > -1):
            raise StrategyError(
                f"signals.exit_rules.roi return at age {pair[0]} must be finite and > -1, "
                f"got {pair[1]!r}"
            )
    ages = np.array([int(a) for a, _ in pairs], dtype=np.int64)
    if np.any(np.diff(ages) <= 0):
        raise StrategyError(
            f"signals.exit_rules.roi must be sorted by age (strictly increasing), "
            f"got ages {ages.tolist()}",
            hint="list the table as ((0, 0.05), (24, 0.02), (72, 0.0)): youngest first",
        )
    returns = np.array([float(r) for _, r in pairs], dtype=np.float64)
    ages.setflags(write=False)
    returns.setflags(write=False)
    return ages, returns


@dataclass(frozen=True)
class Signals:
    """Entry/exit signals and stop distances, one entry per bar (see module docstring).

    ``exit_rules`` is not per bar: it holds for every trade of the run.
    """

    entry_long: BoolArray
    exit_long: BoolArray
    entry_short: BoolArray | None = None
    exit_short: BoolArray | None = None
    stop_loss: FloatArray | None = None
    take_profit: FloatArray | None = None
    trailing_stop: FloatArray | None = None
    exit_rules: ExitRules | None = None


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
