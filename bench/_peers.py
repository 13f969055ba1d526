"""The EMA-cross + ATR-stop backtest written for the peers genesis is timed against.

Same rules as genesis's ``ema_cross`` (long only, decided on the close, filled at the
next open, stop-loss ``mult`` ATRs below the entry, 10 bps fee, 5 bps slippage where
the library has it), written the way each library is meant to be used:

* vectorbt: ``vbt.MA`` (EWM) and ``vbt.ATR`` for the indicators, crossings with
  ``ma_crossed_above/below``, then ``Portfolio.from_signals`` with the signals shifted one
  bar and ``price=open`` (next-open fills) and ``sl_stop`` = ATR distance / close as a
  fraction of the entry. Its EMA is seeded differently from TA-Lib's and its stop is a
  fraction, so trade counts differ slightly; the work done is the same.
* backtesting.py: TA-Lib EMAs and ATR through ``self.I``, the crossing test in ``next``,
  ``buy(size=…, sl=close - mult * atr)``, ``commission=0.001`` (it has no slippage).
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import talib
import vectorbt as vbt
from backtesting import Backtest, Strategy

from genesis.data import Candles

FAST, SLOW, ATR_PERIOD, ATR_MULT = 12, 26, 14, 2.0
FEE, SLIPPAGE, CASH, FRACTION = 0.001, 0.0005, 10_000.0, 0.9999


def frame_of(candles: Candles) -> pd.DataFrame:
    """The candles as the OHLCV DataFrame both peers take."""
    return pd.DataFrame(
        {
            "Open": candles.open,
            "High": candles.high,
            "Low": candles.low,
            "Close": candles.close,
            "Volume": candles.volume,
        },
        index=pd.to_datetime(candles.ts_ms, unit="ms"),
    )


def run_vectorbt(frame: pd.DataFrame) -> int:
    """EMA cross + ATR stop in vectorbt, indicators included. Returns the trade count."""
    close = frame["Close"]
    fast = vbt.MA.run(close, FAST, ewm=True)
    slow = vbt.MA.run(close, SLOW, ewm=True)
    atr = vbt.ATR.run(frame["High"], frame["Low"], close, ATR_PERIOD).atr
    entries = fast.ma_crossed_above(slow).shift(1, fill_value=False)
    exits = fast.ma_crossed_below(slow).shift(1, fill_value=False)
    sl_stop = (ATR_MULT * atr / close).shift(1)
    portfolio = vbt.Portfolio.from_signals(
        close,
        entries,
        exits,
        price=frame["Open"],
        open=frame["Open"],
        high=frame["High"],
        low=frame["Low"],
        sl_stop=sl_stop,
        fees=FEE,
        slippage=SLIPPAGE,
        init_cash=CASH,
        size=FRACTION,
        size_type="percent",
        freq="1h",
    )
    return int(portfolio.trades.count())


class _EmaCrossAtr(Strategy):  # type: ignore[misc]
    def init(self) -> None:
        close = self.data.Close
        self.fast = self.I(talib.EMA, close, FAST)
        self.slow = self.I(talib.EMA, close, SLOW)
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, close, ATR_PERIOD)

    def next(self) -> None:
        f, s = self.fast, self.slow
        if f[-1] > s[-1] and f[-2] <= s[-2]:
            if not self.position:
                self.buy(size=FRACTION, sl=self.data.Close[-1] - ATR_MULT * self.atr[-1])
        elif f[-1] < s[-1] and f[-2] >= s[-2]:
            self.position.close()


def run_backtesting_py(frame: pd.DataFrame) -> int:
    """EMA cross + ATR stop in backtesting.py, indicators included. Returns the trade count."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats: Any = Backtest(
            frame, _EmaCrossAtr, cash=CASH * 1e6, commission=FEE, finalize_trades=True
        ).run()
    return int(stats["# Trades"])


def warm_peers(frame: pd.DataFrame) -> None:
    """Run both once on a small frame so their own numba compilation never counts."""
    small = frame.iloc[:2_000]
    run_vectorbt(small)
    run_backtesting_py(small)


__all__ = ["frame_of", "run_backtesting_py", "run_vectorbt", "warm_peers"]
