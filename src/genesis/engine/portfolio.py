"""``run_portfolio``: one parameter set's signals over several markets, one wallet.

The markets are aligned on the union of their bar times (:func:`align_markets`) without
inventing candles; the rules (slots, stake rules, which market gets a slot first, the
order of work on one time) are stated once, in :mod:`genesis.engine._portfolio_kernels`.
Per market, the signals and the stop-loss / take-profit distances follow the
single-market engine's conventions; trailing stops and :class:`ExitRules` are not
supported here yet and are refused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from genesis.data import Candles
from genesis.engine._portfolio_kernels import simulate_portfolio_nb
from genesis.engine.backtest import signal_arrays
from genesis.engine.types import Signals, Trades
from genesis.errors import BacktestError, ConfigError, StrategyError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_Array = npt.NDArray[Any]
_BPS = 1e-4


class StakeRule(IntEnum):
    """How much an entry commits (see :mod:`genesis.engine._portfolio_kernels`)."""

    FIXED = 0
    FRACTION = 1
    FREE_SPLIT = 2


@dataclass(frozen=True)
class PortfolioSettings:
    """Wallet, costs, slots and stake rule of a portfolio backtest.

    Attributes:
        initial_capital: Starting equity (> 0).
        fee_bps: Fee per fill in basis points of the notional (>= 0), every market.
        slippage_bps: Adverse price move per fill in basis points (>= 0).
        max_open_positions: Slots: positions open at once, over all markets (>= 1).
        stake_rule: FIXED amount, FRACTION of equity, or FREE_SPLIT (free / free slots).
        stake_value: The amount (FIXED, > 0) or the fraction (FRACTION, in (0, 1]);
            ignored by FREE_SPLIT.

    Raises:
        ConfigError: If a value is out of range.
    """

    initial_capital: float = 10_000.0
    fee_bps: float = 10.0
    slippage_bps: float = 5.0
    max_open_positions: int = 3
    stake_rule: StakeRule = StakeRule.FREE_SPLIT
    stake_value: float = 0.0

    def __post_init__(self) -> None:
        numbers = (self.initial_capital, self.fee_bps, self.slippage_bps, self.stake_value)
        bad = [
            ("initial_capital", self.initial_capital > 0),
            ("fee_bps", self.fee_bps >= 0),
            ("slippage_bps", self.slippage_bps >= 0),
            ("max_open_positions", self.max_open_positions >= 1),
            ("stake_value", self._stake_ok()),
        ]
        for name, ok in bad:
            if not ok or not all(math.isfinite(x) for x in numbers):
                raise ConfigError(
                    f"portfolio setting {name} is out of range: {getattr(self, name)!r}",
                    hint="stake_value: an amount > 0 for fixed, a fraction in (0, 1] for "
                    "fraction; max_open_positions >= 1",
                )

    def _stake_ok(self) -> bool:
        if self.stake_rule == StakeRule.FIXED:
            return self.stake_value > 0
        if self.stake_rule == StakeRule.FRACTION:
            return 0 < self.stake_value <= 1
        return True


@dataclass(frozen=True)
class MarketGrid:
    """Markets on one time index: ``rows[j][i]`` is the row of market ``j``'s bar ``i``."""

    ts_ms: IntArray
    rows: tuple[IntArray, ...]


def align_markets(markets: Sequence[Candles]) -> MarketGrid:
    """The union of the markets' bar times, and where each market's bars sit in it.

    Raises:
        BacktestError: If there are no markets, one has no bars, or their timeframes differ.
    """
    if not markets:
        raise BacktestError("a portfolio needs at least one market")
    for candles in markets:
        if len(candles) == 0:
            raise BacktestError(f"market {candles.symbol!r} has no candles")
        if candles.timeframe != markets[0].timeframe:
            raise BacktestError(
                f"market {candles.symbol!r} is on {candles.timeframe}, "
                f"{markets[0].symbol!r} on {markets[0].timeframe}",
                hint="every market of a portfolio uses the same timeframe",
            )
    ts = np.unique(np.concatenate([c.ts_ms for c in markets]))
    return MarketGrid(ts, tuple(np.searchsorted(ts, c.ts_ms) for c in markets))


@dataclass(frozen=True)
class PortfolioResult:
    """One wallet's equity per row, the positions per row and market, and the trades.

    The trades' ``entry_idx``/``exit_idx`` are rows of ``ts_ms``; ``market`` says whose.
    """

    ts_ms: IntArray
    equity: FloatArray
    position: npt.NDArray[np.int8]  # (rows, markets)
    trades: Trades
    market: IntArray
    symbols: tuple[str, ...]
    initial_capital: float


def _spread(grid: MarketGrid, columns: Sequence[_Array], fill: object, dtype: type) -> _Array:
    """Per-market columns as one (rows, markets) array, ``fill`` where a market has no bar."""
    out: _Array = np.full((grid.ts_ms.shape[0], len(columns)), fill, dtype=dtype)
    for j, values in enumerate(columns):
        if values.shape[0]:
            out[grid.rows[j], j] = values
    return out


def _market_signals(candles: Candles, signals: Signals) -> list[_Array]:
    """The checked arrays of one market (length 0 when absent), refusing what is unsupported."""
    for name in ("trailing_stop", "exit_rules"):
        if getattr(signals, name) is not None:
            raise BacktestError(
                f"market {candles.symbol!r}: signals.{name} is not supported in portfolios yet",
                hint="use stop_loss / take_profit distances, or backtest the market alone",
            )
    arrays: list[_Array] = list(signal_arrays(signals, len(candles))[:6])
    entries = arrays[0] | arrays[2] if arrays[2].shape[0] else arrays[0]
    for name, distances in zip(("stop_loss", "take_profit"), arrays[4:], strict=True):
        if distances.shape[0] and np.any(distances[entries] < 0):
            raise StrategyError(
                f"market {candles.symbol!r}: signals.{name} is negative on an entry bar",
                hint="stop distances are absolute price distances, >= 0 (NaN for no stop)",
            )
    return arrays


def run_portfolio(
    markets: Sequence[Candles], signals: Sequence[Signals], settings: PortfolioSettings
) -> PortfolioResult:
    """Simulate one wallet trading every market on its own signals.

    Args:
        markets: The candles of each market (one timeframe; times may differ).
        signals: One Signals per market, in the same order, one value per its bars.
        settings: Wallet, costs, slots and stake rule.

    Raises:
        BacktestError: On misaligned inputs, or a signal field portfolios do not support.
        StrategyError: If an entry bar carries a negative stop distance.
    """
    if len(signals) != len(markets):
        raise BacktestError(f"{len(markets)} markets but {len(signals)} Signals")
    grid = align_markets(markets)
    per_market = [_market_signals(c, s) for c, s in zip(markets, signals, strict=True)]
    o, h, lo, c = (_spread(grid, [getattr(m, col) for m in markets], np.nan, np.float64)
                   for col in ("open", "high", "low", "close"))  # fmt: skip
    has_bar = _spread(grid, [np.ones(len(c), dtype=bool) for c in markets], False, np.bool_)
    el, xl, es, xs = (_spread(grid, [a[i] for a in per_market], False, np.bool_) for i in range(4))
    sl, tp = (_spread(grid, [a[i] for a in per_market], np.nan, np.float64) for i in (4, 5))
    last_row = np.array([rows[-1] for rows in grid.rows], dtype=np.int64)
    out: tuple[Any, ...] = simulate_portfolio_nb(
        o, h, lo, c, has_bar, last_row, el, xl, es, xs, sl, tp,
        settings.fee_bps * _BPS, settings.slippage_bps * _BPS, settings.initial_capital,
        settings.max_open_positions, int(settings.stake_rule), float(settings.stake_value),
    )  # fmt: skip
    return PortfolioResult(
        ts_ms=grid.ts_ms,
        equity=out[0],
        position=out[1],
        trades=Trades(*out[3:]),
        market=out[2],
        symbols=tuple(c.symbol for c in markets),
        initial_capital=settings.initial_capital,
    )
