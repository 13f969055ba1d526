"""The walk-forward's answer: the folds' out-of-sample backtests stitched into one.

Each fold's best (chosen in sample) is backtested on the fold's test window, starting flat
with the initial capital. :func:`stitch` chains those test windows in time order into one
equity curve: each fold's per-bar returns are compounded on the equity the previous fold
ended with, as if one account had traded the fold's params during its test period and
switched params at each fold boundary. Its metrics are "what to expect" out of sample.

The walk-forward efficiency is Pardo's (R. Pardo, *The Evaluation and Optimization of
Trading Strategies*, 2nd ed., Wiley 2008, ch. 11): the annualized out-of-sample return over
the annualized in-sample return of the optimizations that chose the params.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import numpy as np

from genesis.data import Candles
from genesis.engine import BacktestResult, Trades


def stitch(results: Sequence[BacktestResult]) -> BacktestResult:
    """One backtest from consecutive ones (see the module docstring).

    Trade indices are shifted to the stitched bars; PnL is rescaled to the equity the
    stitched account had when the trade's fold started.
    """
    if not results:
        raise ValueError("nothing to stitch")
    capital = results[0].initial_capital
    equities, trade_parts, offset, level = [], [], 0, capital
    for result in results:
        scale = level / result.initial_capital
        equities.append(result.equity * scale)
        trade_parts.append(_shifted(result.trades, offset, scale))
        offset += len(result)
        level = float(equities[-1][-1]) if len(result) else level
    trades = Trades(
        **{
            f.name: np.concatenate([getattr(t, f.name) for t in trade_parts])
            for f in fields(Trades)
        }
    )
    return BacktestResult(
        equity=np.concatenate(equities),
        trades=trades,
        position=np.concatenate([r.position for r in results]),
        bars_per_year=results[0].bars_per_year,
        initial_capital=capital,
        close=np.concatenate([r.close for r in results]),
        first_open=results[0].first_open,
    )


def _shifted(trades: Trades, offset: int, scale: float) -> Trades:
    return Trades(
        entry_idx=trades.entry_idx + offset,
        exit_idx=trades.exit_idx + offset,
        direction=trades.direction,
        entry_price=trades.entry_price,
        exit_price=trades.exit_price,
        size=trades.size * scale,
        pnl=trades.pnl * scale,
        return_pct=trades.return_pct,
        exit_reason=trades.exit_reason,
    )


def buy_and_hold(candles: Candles, initial_capital: float) -> BacktestResult:
    """Buying at the first bar's open and holding to the last close, without costs.

    A backtest result (no trades, always in the market), so that its metrics are computed
    by the same functions as a strategy's.
    """
    equity = np.asarray(initial_capital * candles.close / candles.open[0], dtype=np.float64)
    empty_i, empty_f = np.empty(0, dtype=np.int64), np.empty(0)
    trades = Trades(
        empty_i, empty_i, np.empty(0, dtype=np.int8), empty_f, empty_f, empty_f, empty_f,
        empty_f, np.empty(0, dtype=np.int8),
    )  # fmt: skip
    return BacktestResult(
        equity=equity, trades=trades, position=np.ones(len(candles), dtype=np.int8),
        bars_per_year=candles.bars_per_year, initial_capital=initial_capital,
        close=candles.close, first_open=float(candles.open[0]),
    )  # fmt: skip


def walk_forward_efficiency(
    out_of_sample_pct: float | None, in_sample_pct: Sequence[float | None]
) -> float | None:
    """Pardo's walk-forward efficiency: annualized OOS return / mean annualized IS return.

    None when it is undefined: a missing figure, or a mean in-sample return that is not
    positive (a ratio to a loss says nothing).
    """
    known = [v for v in in_sample_pct if v is not None]
    if out_of_sample_pct is None or not known or len(known) < len(in_sample_pct):
        return None
    mean_in = float(np.mean(known))
    if mean_in <= 0:
        return None
    return out_of_sample_pct / mean_in
