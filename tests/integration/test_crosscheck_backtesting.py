"""Cross-check: genesis's ``ema_cross`` + engine against backtesting.py on the same candles.

genesis side: ``get_strategy("ema_cross")`` on :class:`~genesis.features.Features`, then
:func:`~genesis.engine.run_backtest`. backtesting.py side: an independent strategy
(TA-Lib EMAs, its own crossing test in ``next``) run by ``backtesting.Backtest``.

What is matched, and how:

* Fills: both fill a decision taken on bar t's close at bar t+1's open
  (backtesting.py's default ``trade_on_close=False``).
* Costs: ``commission=0.001`` there, ``fee_bps=10`` here, charged on the notional of
  each side of a trade in both; no spread there, no slippage here.
* Crossing rule: genesis's ``cross_nb`` (``fast > slow`` now and ``fast <= slow`` on the
  bar before, nothing while an EMA is undefined) is restated in ``next``; the EMAs are
  TA-Lib's, seeded with the SMA like genesis's. backtesting.py starts calling ``next``
  once every indicator is defined, which is exactly where genesis's first signal can be.
* Reversal: ``exclusive_orders=True`` closes the open trade at the same open where the
  opposite one starts, like genesis's reversal.
* Size: both commit a fraction of equity with the entry commission included
  (``units = f * equity / (price * (1 + fee))``); backtesting.py rounds down to whole
  units, so the cash is 1e9 to make that rounding ~1e-9 of a trade.
* End of data: not compared. backtesting.py's ``finalize_trades`` closes at the last
  bar's *open* while genesis closes at its *close*, so both sides are made flat by a
  forced exit signal on the second-to-last bar (and no entries on it).

Compared: the number of trades, every entry and exit bar, the final equity and the SQN
(within 0.1 %, in practice ~1e-9).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import talib  # backtesting and ta-lib are dev dependencies: a missing one fails, never skips
from backtesting import Backtest, Strategy
from backtesting.test import EURUSD, GOOG

from genesis.data import Candles
from genesis.engine import BacktestSettings, Signals, run_backtest
from genesis.features import Features
from genesis.metrics import compute_metrics
from genesis.strategy import get_strategy, resolve_params

CASH = 1e9
FRACTION = 0.9999
FEE = 0.001


def candles_of(frame: pd.DataFrame, timeframe: str) -> Candles:
    ts_ms = frame.index.as_unit("ms").asi8
    columns = (frame[name].to_numpy(dtype=float) for name in ("Open", "High", "Low", "Close"))
    return Candles.from_arrays(
        ts_ms, *columns, frame["Volume"].to_numpy(dtype=float), timeframe=timeframe
    )


def flat_at_the_end(signals: Signals) -> Signals:
    """Exit everything on the second-to-last bar's signal, enter nothing on it."""
    changed = {}
    for name in ("entry_long", "exit_long", "entry_short", "exit_short"):
        values = getattr(signals, name)
        if values is not None:
            values = values.copy()
            values[-2] = name.startswith("exit")
        changed[name] = values
    if changed["exit_short"] is None:
        changed["exit_short"] = np.zeros_like(changed["exit_long"])
        changed["exit_short"][-2] = True
    return dataclasses.replace(signals, **changed)


class EmaCrossBt(Strategy):  # type: ignore[misc]
    fast = 10
    slow = 30
    allow_short = False
    n_bars = 0

    def init(self) -> None:
        close = self.data.Close
        self.fast_ema = self.I(talib.EMA, close, self.fast)
        self.slow_ema = self.I(talib.EMA, close, self.slow)

    def next(self) -> None:
        last = len(self.data.Close) - 1
        if last >= self.n_bars - 2:
            if last == self.n_bars - 2:
                self.position.close()
            return
        f, s = self.fast_ema, self.slow_ema
        if f[-1] > s[-1] and f[-2] <= s[-2]:
            self.buy(size=FRACTION)
        elif f[-1] < s[-1] and f[-2] >= s[-2]:
            if self.allow_short:
                self.sell(size=FRACTION)
            else:
                self.position.close()


@pytest.mark.parametrize(
    ("frame", "timeframe", "fast", "slow", "allow_short"),
    [
        (EURUSD, "1h", 10, 30, False),
        (EURUSD, "1h", 10, 30, True),
        (EURUSD, "1h", 5, 50, True),
        (GOOG, "1d", 8, 21, False),
        (GOOG, "1d", 8, 21, True),
    ],
)
def test_ema_cross_matches_backtesting_py(
    frame: pd.DataFrame, timeframe: str, fast: int, slow: int, allow_short: bool
) -> None:
    candles = candles_of(frame, timeframe)
    strategy = get_strategy("ema_cross")
    params = resolve_params(strategy, {"fast": fast, "slow": slow, "allow_short": allow_short})
    signals = flat_at_the_end(strategy.signals(Features(candles), params))
    settings = BacktestSettings(
        initial_capital=CASH, fee_bps=FEE * 1e4, slippage_bps=0.0, position_fraction=FRACTION
    )
    ours = run_backtest(candles, signals, settings)

    theirs = Backtest(
        frame,
        EmaCrossBt,
        cash=CASH,
        commission=FEE,
        spread=0.0,
        trade_on_close=False,
        exclusive_orders=True,
    ).run(fast=fast, slow=slow, allow_short=allow_short, n_bars=len(frame))
    their_trades = theirs["_trades"].sort_values("EntryBar")

    assert len(ours.trades) > 10
    assert len(ours.trades) == len(their_trades)
    assert ours.trades.entry_idx.tolist() == their_trades["EntryBar"].tolist()
    assert ours.trades.exit_idx.tolist() == their_trades["ExitBar"].tolist()
    assert ours.trades.direction.tolist() == np.sign(their_trades["Size"]).astype(int).tolist()
    assert ours.equity[-1] == pytest.approx(theirs["Equity Final [$]"], rel=1e-3)
    # Van Tharp's SQN over the same trades' net PnL: backtesting.py computes it the same way.
    assert compute_metrics(ours).sqn == pytest.approx(theirs["SQN"], rel=1e-3)
