"""A Freqtrade backtest (:class:`~genesis.freqtrade.backtest.FtBacktest`) as genesis's result.

genesis's metrics, DSR/PBO, reports and validation read a
:class:`~genesis.engine.BacktestResult`: the wallet per candle of the common date index and
the trades with the candle indices they opened and closed on. This module lays Freqtrade's
trades (pair, dates, rates, profit) on that index; the wallet is the backtest's own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from genesis.data import Candles
from genesis.engine import BacktestResult
from genesis.engine.types import ExitReason, Trades

_REASONS = {
    "roi": ExitReason.TAKE_PROFIT,
    "stop_loss": ExitReason.STOP_LOSS,
    "stoploss_on_exchange": ExitReason.STOP_LOSS,
    "liquidation": ExitReason.STOP_LOSS,
    "trailing_stop_loss": ExitReason.TRAILING_STOP,
    "force_exit": ExitReason.END_OF_DATA,
}
"""Freqtrade's exit reasons in genesis's terms; anything else (``exit_signal``, a custom
exit's or an exit tag's string) is a signal exit."""


def candles_of(frames: list[pd.DataFrame], symbol: str, timeframe: str) -> Candles:
    """The common date index of the pairs' frames as candles, for windows and benchmarks.

    Validation windows and the report need bars with dates; several pairs share one
    wallet, so the bars are the union of their dates. One pair's candles are its own;
    a pairlist's are the equal-weight index of its pairs (each pair's prices divided by
    its first open, carried forward where it has no candle, then averaged), so that the
    buy-and-hold benchmark holds the pairlist.
    """
    dates = np.unique(np.concatenate([_ms(f["date"]) for f in frames]))
    columns = ["open", "high", "low", "close", "volume"]
    laid = [f.set_index(_ms(f["date"]))[columns].reindex(dates).ffill().bfill() for f in frames]
    if len(laid) == 1:
        prices = laid[0]
    else:
        scaled = [p[columns[:4]] / float(p["open"].iloc[0]) for p in laid]
        prices = sum(scaled[1:], scaled[0]) / len(scaled)
        prices["volume"] = sum(p["volume"].fillna(0.0) for p in laid)
    return Candles.from_arrays(
        dates, prices["open"], prices["high"], prices["low"], prices["close"],
        prices["volume"].fillna(0.0), symbol=symbol, timeframe=timeframe, source="freqtrade",
    )  # fmt: skip


def backtest_result(
    trades: pd.DataFrame, equity: np.ndarray, dates: np.ndarray, candles: Candles, capital: float
) -> BacktestResult:
    """genesis's result of a Freqtrade backtest on ``candles`` (whose dates include ``dates``).

    The benchmark (``close``/``first_open``) holds the candles' prices (see
    :func:`candles_of`).
    """
    entry = np.searchsorted(dates, _stamps(trades, "open")).astype(np.int64)
    exit_ = np.searchsorted(dates, _stamps(trades, "close")).astype(np.int64)
    position = np.zeros(len(dates), dtype=np.int8)
    for start, stop in zip(entry, exit_, strict=True):
        position[start : max(stop, start + 1)] = 1
    reasons = [int(_REASONS.get(r, ExitReason.SIGNAL)) for r in trades["exit_reason"]]
    n = len(trades)
    result_trades = Trades(
        entry_idx=entry,
        exit_idx=exit_,
        direction=np.ones(n, dtype=np.int8),
        entry_price=trades["open_rate"].to_numpy(np.float64),
        exit_price=trades["close_rate"].to_numpy(np.float64),
        size=trades["amount"].to_numpy(np.float64),
        pnl=trades["profit_abs"].to_numpy(np.float64),
        return_pct=100.0 * trades["profit_ratio"].to_numpy(np.float64),
        exit_reason=np.asarray(reasons, dtype=np.int8),
    )
    rows = np.searchsorted(candles.ts_ms, dates)
    return BacktestResult(
        equity=np.asarray(equity, dtype=np.float64),
        trades=result_trades,
        position=position,
        bars_per_year=candles.bars_per_year,
        initial_capital=capital,
        close=candles.close[rows] if len(rows) else None,
        first_open=float(candles.open[rows[0]]) if len(rows) else None,
    )


def _stamps(trades: pd.DataFrame, side: str) -> np.ndarray:
    """The trades' ``open``/``close`` times in ms: Freqtrade's ``*_timestamp`` columns when
    the backtest wrote them (no date parsing per trial), else from the dates."""
    column = f"{side}_timestamp"
    if column in trades and trades[column].dtype.kind in "iu":
        return np.asarray(trades[column].to_numpy(), dtype=np.int64)
    return _ms(trades[f"{side}_date"])


def _ms(values: pd.Series | pd.Index) -> np.ndarray:
    """UTC dates as int64 milliseconds since the epoch, whatever the datetime unit."""
    epoch, ms = pd.Timestamp(0, tz="UTC"), pd.Timedelta(milliseconds=1)
    return np.asarray((pd.to_datetime(values, utc=True) - epoch) // ms, dtype=np.int64)
