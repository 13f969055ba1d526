"""Stop-loss, take-profit and trailing-stop fills, hand-computed (no fees, no slippage)."""

from __future__ import annotations

import numpy as np
import pytest

from genesis.data import Candles
from genesis.engine import BacktestSettings, ExitReason, Signals, run_backtest
from genesis.errors import StrategyError

FREE = BacktestSettings(fee_bps=0, slippage_bps=0)
HOUR_MS = 3_600_000


def bars(*ohlc: tuple[float, float, float, float]) -> Candles:
    o, h, lo, c = (np.array(column, dtype=float) for column in zip(*ohlc, strict=True))
    return Candles.from_arrays(np.arange(o.size) * HOUR_MS, o, h, lo, c, np.ones(o.size))


def long_at_bar_1(n: int, **stops: float) -> Signals:
    """A long entry decided on bar 0 (fills at bar 1's open), with stop distances."""
    entry = np.zeros(n, dtype=bool)
    entry[0] = True
    distances = {name: np.full(n, float(value)) for name, value in stops.items()}
    return Signals(entry_long=entry, exit_long=np.zeros(n, dtype=bool), **distances)


def only_trade(candles: Candles, signals: Signals, settings: BacktestSettings = FREE):  # type: ignore[no-untyped-def]
    result = run_backtest(candles, signals, settings)
    assert len(result.trades) == 1
    t = result.trades
    return int(t.exit_idx[0]), float(t.exit_price[0]), ExitReason(t.exit_reason[0])


def test_stop_loss_fills_at_the_stop_price_inside_the_bar() -> None:
    candles = bars((100, 100, 100, 100), (100, 101, 99, 100), (100, 100, 94, 95), (95, 95, 95, 95))
    assert only_trade(candles, long_at_bar_1(4, stop_loss=5)) == (2, 95.0, ExitReason.STOP_LOSS)


def test_stop_loss_gapped_through_fills_at_the_open() -> None:
    candles = bars((100, 100, 100, 100), (100, 101, 99, 100), (90, 92, 88, 91), (91, 91, 91, 91))
    assert only_trade(candles, long_at_bar_1(4, stop_loss=5)) == (2, 90.0, ExitReason.STOP_LOSS)


def test_take_profit_fills_at_its_price_or_a_better_gap_open() -> None:
    touched = bars((100, 100, 100, 100), (100, 101, 99, 100), (100, 111, 99, 105), (105,) * 4)
    assert only_trade(touched, long_at_bar_1(4, take_profit=10)) == (
        2,
        110.0,
        ExitReason.TAKE_PROFIT,
    )
    gapped = bars((100, 100, 100, 100), (100, 101, 99, 100), (115, 116, 114, 115), (115,) * 4)
    assert only_trade(gapped, long_at_bar_1(4, take_profit=10))[1] == 115.0


def test_bar_touching_both_stop_loss_and_take_profit_exits_at_the_stop_loss() -> None:
    candles = bars((100, 100, 100, 100), (100, 101, 99, 100), (100, 120, 80, 100), (100,) * 4)
    exit_bar, price, reason = only_trade(candles, long_at_bar_1(4, stop_loss=5, take_profit=10))
    assert (exit_bar, price, reason) == (2, 95.0, ExitReason.STOP_LOSS)


def test_entry_bar_is_checked_for_stops_from_its_open() -> None:
    candles = bars((100, 100, 100, 100), (100, 101, 94, 96), (96,) * 4)
    assert only_trade(candles, long_at_bar_1(3, stop_loss=5)) == (1, 95.0, ExitReason.STOP_LOSS)


def test_stop_distance_comes_from_the_signal_bar_and_is_anchored_at_the_fill() -> None:
    candles = bars((100, 100, 100, 100), (102, 102, 102, 102), (102, 102, 96, 96), (96,) * 4)
    signals = long_at_bar_1(4, stop_loss=5)
    assert signals.stop_loss is not None
    signals.stop_loss[1:] = 1.0  # later distances must not move the stop
    assert only_trade(candles, signals) == (2, 97.0, ExitReason.STOP_LOSS)  # 102 - 5


def test_slippage_applies_to_stop_fills() -> None:
    candles = bars((100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 90, 92), (92,) * 4)
    settings = BacktestSettings(fee_bps=0, slippage_bps=10)
    entry = 100 * 1.001
    _, price, _ = only_trade(candles, long_at_bar_1(4, stop_loss=5), settings)
    assert price == pytest.approx((entry - 5) * 0.999)


def test_trailing_stop_uses_the_extreme_only_after_the_bar_is_checked() -> None:
    # Bar 2 rises to 110 and falls to 104: the trail (2) is still at 100 - 2 = 98
    # during bar 2, so bar 2 does not exit although 104 < 110 - 2.
    # Bar 3 opens at 109 and trades down to 107: 110 - 2 = 108 is hit.
    candles = bars(
        (100, 100, 100, 100),
        (100, 100, 100, 100),
        (100, 110, 104, 105),
        (109, 109, 107, 107),
        (107,) * 4,
    )
    assert only_trade(candles, long_at_bar_1(5, trailing_stop=2)) == (
        3,
        108.0,
        ExitReason.TRAILING_STOP,
    )


def test_tighter_of_fixed_and_trailing_stop_applies() -> None:
    candles = bars(
        (100, 100, 100, 100),
        (100, 110, 100, 109),
        (109, 109, 90, 92),
        (92,) * 4,
    )
    both = long_at_bar_1(4, stop_loss=5, trailing_stop=3)
    assert only_trade(candles, both) == (2, 107.0, ExitReason.TRAILING_STOP)


def test_short_stops_mirror_the_long_ones() -> None:
    candles = bars((100, 100, 100, 100), (100, 101, 99.5, 100), (100, 106, 99, 104), (104,) * 4)
    n = 4
    entry = np.zeros(n, dtype=bool)
    entry[0] = True
    signals = Signals(
        entry_long=np.zeros(n, dtype=bool),
        exit_long=np.zeros(n, dtype=bool),
        entry_short=entry,
        stop_loss=np.full(n, 5.0),
        take_profit=np.full(n, 1.0),  # 99 is also reached in bar 2: stop-loss first
    )
    assert only_trade(candles, signals) == (2, 105.0, ExitReason.STOP_LOSS)


def test_nan_distance_means_no_stop() -> None:
    candles = bars((100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 50, 60), (60,) * 4)
    assert only_trade(candles, long_at_bar_1(4, stop_loss=float("nan")))[2] == (
        ExitReason.END_OF_DATA
    )


@pytest.mark.parametrize("name", ["stop_loss", "take_profit", "trailing_stop"])
def test_a_negative_stop_distance_is_a_strategy_error(name: str) -> None:
    candles = bars((100, 100, 100, 100), (100, 101, 99, 100), (100, 100, 94, 95), (95,) * 4)
    with pytest.raises(StrategyError, match=rf"signals.{name} is negative \(-5\) at bar 0"):
        run_backtest(candles, long_at_bar_1(4, **{name: -5.0}), FREE)
    signals = long_at_bar_1(4, **{name: 5.0})
    getattr(signals, name)[2:] = -1.0  # negative only where no trade is entered: unused
    assert len(run_backtest(candles, signals, FREE).trades) == 1
