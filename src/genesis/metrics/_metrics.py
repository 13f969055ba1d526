"""Performance metrics: pure functions of a :class:`~genesis.engine.BacktestResult`.

Like Freqtrade's ``data/metrics.py`` minus its sentinels: a metric that is undefined
for a result (the Sharpe ratio of a flat equity curve, the profit factor without a
losing trade, the win rate without trades) is ``None``, never 0.0, -100 or 1e5.
Deciding what an undefined metric means for an optimization is the score's job
(:mod:`genesis.metrics.score`), not the metric's.

Conventions:
    * Per-bar returns are ``equity[i] / equity[i - 1] - 1`` over the equity curve
      marked at each close, with the initial capital as the value before bar 0.
    * Sharpe = mean / sample standard deviation (ddof 1) of the per-bar returns, times
      ``sqrt(bars_per_year)``; risk-free rate 0.
    * Sortino = mean per-bar return / downside deviation, times
      ``sqrt(bars_per_year)``, where the downside deviation is
      ``sqrt(mean(min(r, 0) ** 2))`` over all bars (target 0).
    * Years = number of bars / ``bars_per_year``; CAGR compounds over them.
    * Drawdown is measured from the running peak of the equity curve (the initial
      capital included), as a positive percentage.
    * If the equity ever reaches zero or below, the return-based ratios (CAGR,
      Sharpe, Sortino, Calmar) are undefined: the account is ruined.
    * A drawdown's duration is the number of consecutive bars the equity stays strictly
      below its running peak (the bars "under water"); the longest one is reported.
    * Buy-and-hold buys at the first bar's open and holds to the last close, without
      costs (``close[-1] / open[0] - 1``): the return of every bar the strategy could
      trade, the same rule as the validation's buy-and-hold.
    * The exposure-adjusted return is the total return divided by the share of bars in
      a position: what the strategy earned per unit of time at risk.
    * SQN is Van Tharp's System Quality Number, ``sqrt(n) * mean(pnl) / std(pnl)``
      over the trades' PnL (sample standard deviation), as in backtesting.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt

from genesis.engine import BacktestResult
from genesis.errors import BacktestError
from genesis.metrics._curve import curve_stats_nb

Direction = Literal["maximize", "minimize"]


@dataclass(frozen=True)
class Metrics:
    """The metrics of one backtest; ``None`` marks a metric undefined for it.

    Attributes:
        total_return_pct: Final equity over initial capital, minus 1, in percent.
        cagr_pct: Compound annual growth rate in percent.
        sharpe: Annualized Sharpe ratio of per-bar returns (risk-free 0).
        sortino: Annualized Sortino ratio of per-bar returns (target 0).
        max_drawdown_pct: Deepest fall from a running equity peak, in percent (>= 0).
        calmar: ``cagr_pct / max_drawdown_pct``.
        profit_factor: Gross profit / gross loss of the closed trades.
        win_rate_pct: Share of trades with a positive PnL, in percent.
        n_trades: Number of closed trades.
        exposure_pct: Share of bars spent in a position, in percent.
        avg_trade_pct: Mean trade return (PnL over capital committed), in percent.
        final_equity: Equity after the last bar, in account currency.
        buy_hold_return_pct: Return of holding the asset over the same bars, in percent.
        max_drawdown_duration_bars: Longest run of bars below a running equity peak.
        exposure_adjusted_return_pct: ``total_return_pct`` per share of bars in a position.
        sqn: System Quality Number of the trades' PnL (Van Tharp).
    """

    total_return_pct: float
    cagr_pct: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown_pct: float
    calmar: float | None
    profit_factor: float | None
    win_rate_pct: float | None
    n_trades: int
    exposure_pct: float
    avg_trade_pct: float | None
    final_equity: float
    buy_hold_return_pct: float | None
    max_drawdown_duration_bars: int
    exposure_adjusted_return_pct: float | None
    sqn: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        """The metrics by name, in :data:`METRIC_NAMES` order (JSON-ready)."""
        return asdict(self)


METRIC_NAMES: tuple[str, ...] = tuple(field.name for field in fields(Metrics))
"""Every metric name, in the order of :class:`Metrics`."""

METRIC_DIRECTIONS: Mapping[str, Direction] = MappingProxyType(
    {
        "total_return_pct": "maximize",
        "cagr_pct": "maximize",
        "sharpe": "maximize",
        "sortino": "maximize",
        "max_drawdown_pct": "minimize",
        "calmar": "maximize",
        "profit_factor": "maximize",
        "win_rate_pct": "maximize",
        "n_trades": "maximize",  # more trades, more evidence
        "exposure_pct": "minimize",  # less time at risk for what is earned
        "avg_trade_pct": "maximize",
        "final_equity": "maximize",
        "buy_hold_return_pct": "maximize",  # the market's, not the strategy's: a benchmark
        "max_drawdown_duration_bars": "minimize",
        "exposure_adjusted_return_pct": "maximize",
        "sqn": "maximize",
    }
)
"""The natural direction of each metric when it is optimized on its own."""


def sharpe_ratio(mean: float, std: float, bars_per_year: float) -> float | None:
    """Annualized Sharpe ratio from per-bar return statistics; None if ``std`` is 0 or NaN."""
    if not (std > 0.0 and math.isfinite(std)):
        return None
    return mean / std * math.sqrt(bars_per_year)


def sortino_ratio(mean: float, downside: float, bars_per_year: float) -> float | None:
    """Annualized Sortino ratio; None when no return was negative (``downside`` is 0)."""
    if not (downside > 0.0 and math.isfinite(downside)):
        return None
    return mean / downside * math.sqrt(bars_per_year)


def cagr_pct(final_equity: float, initial_capital: float, years: float) -> float | None:
    """Compound annual growth rate in percent, or None for no time or a ruined account."""
    if years <= 0.0 or final_equity <= 0.0:
        return None
    growth: float = (final_equity / initial_capital) ** (1.0 / years)
    return (growth - 1.0) * 100.0


def profit_factor(pnl: npt.NDArray[np.float64]) -> float | None:
    """Gross profit / gross loss, or None when no trade lost money."""
    gross_loss = -float(pnl[pnl < 0.0].sum())
    if gross_loss == 0.0:
        return None
    return float(pnl[pnl > 0.0].sum()) / gross_loss


def buy_hold_return_pct(result: BacktestResult) -> float | None:
    """Holding the asset from the first open to the last close, in percent (no costs).

    None for a result made without prices.
    """
    if result.close is None or result.first_open is None:
        return None
    return (float(result.close[-1]) / result.first_open - 1.0) * 100.0


def system_quality_number(pnl: npt.NDArray[np.float64]) -> float | None:
    """Van Tharp's SQN, ``sqrt(n) * mean / std`` (ddof 1); None under two trades or zero std."""
    n = pnl.shape[0]
    if n < 2:
        return None
    mean = float(pnl.sum()) / n
    deviation = pnl - mean  # np.std costs ~10 µs a call on the hot path; this ~2 µs
    std = math.sqrt(float(np.dot(deviation, deviation)) / (n - 1))
    if not (std > 0.0 and math.isfinite(std)):
        return None
    sqn: float = math.sqrt(n) * mean / std
    return sqn


def _ratio(numerator: float | None, denominator: float) -> float | None:
    """``numerator / denominator``, or None when either makes it undefined."""
    if numerator is None or denominator == 0.0:
        return None
    return numerator / denominator


def compute_metrics(result: BacktestResult) -> Metrics:
    """Compute every metric of ``result`` (see the module docstring for definitions).

    Args:
        result: A backtest result with at least one bar.

    Returns:
        The metrics; undefined ones are None.

    Raises:
        BacktestError: If the result has no bars.
    """
    equity, capital, trades = result.equity, result.initial_capital, result.trades
    n_bars, n_trades = int(equity.shape[0]), len(trades)
    if n_bars == 0:
        raise BacktestError("cannot compute metrics of a backtest with zero bars")
    final = float(equity[-1])
    mean, std, downside, max_dd, min_equity, dd_bars = curve_stats_nb(equity, capital)
    sharpe = sortino = cagr = None
    if min_equity > 0.0:  # else the account was ruined: return ratios are undefined
        sharpe = sharpe_ratio(mean, std, result.bars_per_year)
        sortino = sortino_ratio(mean, downside, result.bars_per_year)
        cagr = cagr_pct(final, capital, n_bars / result.bars_per_year)
    drawdown = 100.0 * max_dd
    wins = int(np.count_nonzero(trades.pnl > 0.0))
    total_return = (final / capital - 1.0) * 100.0
    exposure = 100.0 * int(np.count_nonzero(result.position)) / n_bars
    return Metrics(
        total_return_pct=total_return,
        cagr_pct=cagr,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown_pct=drawdown,
        calmar=_ratio(cagr, drawdown),
        profit_factor=profit_factor(trades.pnl),
        win_rate_pct=_ratio(100.0 * wins, n_trades),
        n_trades=n_trades,
        exposure_pct=exposure,
        avg_trade_pct=float(np.mean(trades.return_pct)) if n_trades else None,
        final_equity=final,
        buy_hold_return_pct=buy_hold_return_pct(result),
        max_drawdown_duration_bars=int(dd_bars),
        exposure_adjusted_return_pct=_ratio(100.0 * total_return, exposure),
        sqn=system_quality_number(trades.pnl),
    )
