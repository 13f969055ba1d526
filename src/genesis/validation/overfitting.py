"""The overfitting statistics of one search: DSR of its best trial, PBO over its trials.

Both count the *distinct* backtests of the search (a repeated trial is not a new test), and
both are computed on the same in-sample bars the search saw:

* the Deflated Sharpe Ratio (Bailey & López de Prado 2014) of the best trial, from its
  per-bar returns and the variance of all distinct trials' per-bar Sharpe ratios;
* the Probability of Backtest Overfitting by CSCV (Bailey, Borwein, López de Prado & Zhu
  2015) over a matrix of the distinct trials' returns. To keep that matrix small the
  per-bar returns are compounded into at most :data:`PBO_MAX_ROWS` consecutive periods of
  equal length, and at most :data:`PBO_MAX_TRIALS` trials enter it (evenly spaced in trial
  order when there are more). Its performance measure is the Sharpe ratio.

The formulas are in :mod:`genesis.validation.statistics`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from genesis.engine import BacktestResult
from genesis.engine.types import FloatArray
from genesis.validation.statistics import (
    deflated_sharpe_ratio,
    probability_of_backtest_overfitting,
)

PBO_MAX_ROWS = 2_000
PBO_MAX_TRIALS = 2_000
SIGNIFICANCE = 0.95
"""A DSR below this is "not significant"."""
PBO_LIMIT = 0.5
"""A PBO above this says the search overfits: its best is worse than median out of sample."""

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Tried:
    """One distinct backtest of the search: its params and annualized Sharpe ratio."""

    params: Params
    sharpe: float | None


def bar_returns(result: BacktestResult) -> FloatArray:
    """Per-bar simple returns of the equity curve, the initial capital before bar 0.

    After a ruin (equity at zero) the account stays empty: those bars' returns are 0.
    """
    equity = result.equity
    previous = np.concatenate(([result.initial_capital], equity[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = equity / previous - 1.0
    return np.where(np.isfinite(returns), returns, 0.0)


def compound_rows(returns: FloatArray, max_rows: int = PBO_MAX_ROWS) -> FloatArray:
    """``returns`` compounded over consecutive periods of ``ceil(n / max_rows)`` bars.

    The bars that do not fill a whole period are the first ones (the warm-up of the
    strategy's indicators), and are left out.
    """
    width = max(1, math.ceil(len(returns) / max_rows))
    n_rows = len(returns) // width
    if n_rows == 0:
        return np.empty(0)
    grouped = 1.0 + returns[len(returns) - n_rows * width :].reshape(n_rows, width)
    return np.asarray(np.prod(grouped, axis=1) - 1.0)


def overfitting_statistics(
    tried: Sequence[Tried],
    best: Params,
    run_backtest: Callable[[Params], BacktestResult],
    *,
    bars_per_year: float,
    n_splits: int = 16,
) -> dict[str, Any]:
    """DSR of ``best`` and PBO over ``tried`` (the search's distinct backtests).

    ``run_backtest`` re-runs one backtest on the search's bars (the results are not kept
    during the search: a backtest is cheaper to redo than its equity curve to store).
    """
    sharpes = [t.sharpe / math.sqrt(bars_per_year) for t in tried if t.sharpe is not None]
    variance = float(np.var(sharpes, ddof=1)) if len(sharpes) > 1 else 0.0
    dsr = deflated_sharpe_ratio(
        bar_returns(run_backtest(best)), n_trials=max(len(tried), 1), sharpe_variance=variance
    )
    return {
        "n_trials_counted": len(tried),
        "deflated_sharpe": dsr.as_dict() if dsr is not None else None,
        "pbo": _pbo(tried, run_backtest, n_splits),
    }


def _pbo(
    tried: Sequence[Tried], run_backtest: Callable[[Params], BacktestResult], n_splits: int
) -> dict[str, Any] | None:
    if len(tried) < 2:
        return None
    step = max(1, math.ceil(len(tried) / PBO_MAX_TRIALS))
    columns = [compound_rows(bar_returns(run_backtest(t.params))) for t in tried[::step]]
    pbo = probability_of_backtest_overfitting(np.column_stack(columns), n_splits=n_splits)
    if pbo is None:
        return None
    return {**pbo.as_dict(), "trials_used": len(columns), "rows": len(columns[0])}


def statistics_warnings(statistics: Mapping[str, Any]) -> list[str]:
    """Plain sentences on what the statistics say (empty when nothing is wrong)."""
    lines = []
    dsr = statistics.get("deflated_sharpe")
    n = statistics.get("n_trials_counted", 0)
    trial = statistics.get("statistics_of_trial")
    who = f"the in-sample best (trial #{trial})" if trial is not None else "the best trial"
    if dsr is None:
        why = statistics.get("statistics_error") or "its returns have no variance"
        lines.append(f"the Deflated Sharpe Ratio of {who} is undefined: {why}")
    elif dsr["probability"] < SIGNIFICANCE:
        lines.append(
            f"not significant: the Deflated Sharpe Ratio of {who} is "
            f"{dsr['probability']:.2f} after {n} distinct backtests (< {SIGNIFICANCE}): "
            "its Sharpe ratio is what the best of that many tries of noise would show"
        )
    pbo = statistics.get("pbo")
    if pbo is not None and pbo["probability"] > PBO_LIMIT:
        lines.append(
            f"overfit: the in-sample best ranks below the median out of sample in "
            f"{100 * pbo['probability']:.0f}% of CSCV splits (PBO > {PBO_LIMIT})"
        )
    return lines
