"""Exit rules as fractions of the entry: ROI by age, stops, trailing with offset, profit only.

Hand-made candles without fees or slippage, so every exit bar and price is computed by
hand from the conventions in :mod:`genesis.engine._kernels`. A long entry is decided on
bar 0 and fills at bar 1's open (100), so the entry bar is 1 and a trade's age on bar
``i`` is ``i - 1``.
"""

from __future__ import annotations

import numpy as np
import pytest

from genesis.data import Candles
from genesis.engine import BacktestSettings, ExitReason, ExitRules, Signals, run_backtest
from genesis.errors import StrategyError

FREE = BacktestSettings(fee_bps=0, slippage_bps=0)
HOUR_MS = 3_600_000
FLAT = (100.0, 100.0, 100.0, 100.0)


def bars(*ohlc: tuple[float, float, float, float]) -> Candles:
    o, h, lo, c = (np.array(column, dtype=float) for column in zip(*ohlc, strict=True))
    return Candles.from_arrays(np.arange(o.size) * HOUR_MS, o, h, lo, c, np.ones(o.size))


def enter_at_bar_1(
    n: int, rules: ExitRules, *, short: bool = False, exits: tuple[int, ...] = (), **stops: float
) -> Signals:
    """One entry decided on bar 0 (fills at bar 1's open); exit signals on ``exits``."""
    entry = np.zeros(n, dtype=bool)
    entry[0] = True
    exit_ = np.zeros(n, dtype=bool)
    exit_[list(exits)] = True
    none = np.zeros(n, dtype=bool)
    distances = {name: np.full(n, float(value)) for name, value in stops.items()}
    if short:
        return Signals(none, none, entry, exit_, exit_rules=rules, **distances)
    return Signals(entry, exit_, exit_rules=rules, **distances)


def trades_of(candles: Candles, signals: Signals) -> list[tuple[int, int, float, ExitReason]]:
    """``(direction, exit bar, exit price, reason)`` of every trade."""
    t = run_backtest(candles, signals, FREE).trades
    return [
        (
            int(t.direction[k]),
            int(t.exit_idx[k]),
            float(t.exit_price[k]),
            ExitReason(t.exit_reason[k]),
        )
        for k in range(len(t))
    ]


# ROI table ---------------------------------------------------------------------------


def test_roi_row_applies_from_its_age_and_fills_at_its_level() -> None:
    candles = bars(
        FLAT,
        (100, 105, 99, 104),  # age 0: level 110, not reached
        (104, 106, 103, 105),  # age 1: still 110
        (102, 104, 101, 103),  # age 2: row (2, 0.03) -> 103, reached by the high
        (103,) * 4,
    )
    rules = ExitRules(roi=((0, 0.10), (2, 0.03)))
    assert trades_of(candles, enter_at_bar_1(5, rules)) == [
        (1, 3, 100 * (1.0 + 0.03), ExitReason.ROI)
    ]


def test_roi_is_checked_on_the_entry_bar_and_a_gap_open_fills_at_the_open() -> None:
    on_entry = bars(FLAT, (100, 111, 99, 105), (105,) * 4)
    rules = ExitRules(roi=((0, 0.10),))
    assert trades_of(on_entry, enter_at_bar_1(3, rules)) == [
        (1, 1, 100 * (1.0 + 0.10), ExitReason.ROI)
    ]
    gapped = bars(FLAT, (100, 101, 99, 100), (112, 113, 111, 112), (112,) * 4)
    assert trades_of(gapped, enter_at_bar_1(4, rules)) == [(1, 2, 112.0, ExitReason.ROI)]


def test_roi_before_the_first_age_does_nothing_and_a_negative_row_cuts_old_trades() -> None:
    candles = bars(FLAT, (100, 120, 99, 100), (100,) * 4, (100,) * 4, (99, 100, 98, 99), FLAT)
    rules = ExitRules(roi=((3, -0.02),))  # from age 3 (bar 4) on: out at 98 or better
    assert trades_of(candles, enter_at_bar_1(6, rules)) == [(1, 4, 99.0, ExitReason.ROI)]


def test_roi_of_a_short_is_below_the_entry() -> None:
    candles = bars(FLAT, (100, 101, 94, 96), (96,) * 4)
    rules = ExitRules(roi=((0, 0.05),))
    assert trades_of(candles, enter_at_bar_1(3, rules, short=True)) == [
        (-1, 1, 100 * (1.0 - 0.05), ExitReason.ROI)
    ]


def test_the_nearer_of_take_profit_and_roi_applies() -> None:
    candles = bars(FLAT, (100, 112, 99, 100), FLAT)
    take_first = ExitRules(roi=((0, 0.10),), take_profit_frac=0.05)
    roi_first = ExitRules(roi=((0, 0.03),), take_profit_frac=0.05)
    assert trades_of(candles, enter_at_bar_1(3, take_first)) == [
        (1, 1, 100 * (1.0 + 0.05), ExitReason.TAKE_PROFIT)
    ]
    assert trades_of(candles, enter_at_bar_1(3, roi_first)) == [
        (1, 1, 100 * (1.0 + 0.03), ExitReason.ROI)
    ]


def test_a_bar_reaching_the_stop_and_the_roi_exits_at_the_stop() -> None:
    candles = bars(FLAT, (100, 110, 90, 100), FLAT)
    rules = ExitRules(roi=((0, 0.05),), stop_loss_frac=0.05)
    assert trades_of(candles, enter_at_bar_1(3, rules)) == [
        (1, 1, 100 * (1.0 - 0.05), ExitReason.STOP_LOSS)
    ]


@pytest.mark.parametrize(
    "roi", [((10, 0.01), (0, 0.05)), ((0, 0.05), (0, 0.01))], ids=["reversed", "repeated"]
)
def test_a_roi_table_not_sorted_by_age_is_an_error_naming_the_field(roi: tuple) -> None:  # type: ignore[type-arg]
    with pytest.raises(StrategyError, match=r"exit_rules\.roi must be sorted by age"):
        ExitRules(roi=roi)


def test_a_roi_row_with_a_negative_age_or_a_loss_of_everything_is_refused() -> None:
    with pytest.raises(StrategyError, match=r"exit_rules\.roi entries"):
        ExitRules(roi=((-1, 0.01),))
    with pytest.raises(StrategyError, match=r"exit_rules\.roi return at age 0"):
        ExitRules(roi=((0, -1.0),))


# Stop-loss and take-profit as fractions ------------------------------------------------


def test_stop_loss_fraction_of_the_entry_long_and_short() -> None:
    falling = bars(FLAT, (100, 101, 99, 100), (100, 100, 94, 95), (95,) * 4)
    rules = ExitRules(stop_loss_frac=0.05)
    assert trades_of(falling, enter_at_bar_1(4, rules)) == [
        (1, 2, 100 * (1.0 - 0.05), ExitReason.STOP_LOSS)
    ]
    rising = bars(FLAT, (100, 101, 99, 100), (100, 106, 100, 105), (105,) * 4)
    assert trades_of(rising, enter_at_bar_1(4, rules, short=True)) == [
        (-1, 2, 100 * (1.0 + 0.05), ExitReason.STOP_LOSS)
    ]


def test_the_tighter_of_the_fraction_and_the_distance_stop_applies() -> None:
    candles = bars(FLAT, (100, 101, 99, 100), (100, 100, 90, 92), (92,) * 4)
    rules = ExitRules(stop_loss_frac=0.05)
    tight_distance = enter_at_bar_1(4, rules, stop_loss=2.0)
    assert trades_of(candles, tight_distance) == [(1, 2, 98.0, ExitReason.STOP_LOSS)]
    loose_distance = enter_at_bar_1(4, rules, stop_loss=8.0)
    assert trades_of(candles, loose_distance) == [(1, 2, 100 * (1.0 - 0.05), ExitReason.STOP_LOSS)]


def test_take_profit_fraction_of_the_entry() -> None:
    candles = bars(FLAT, (100, 104, 99, 103), (103, 111, 102, 108), (108,) * 4)
    rules = ExitRules(take_profit_frac=0.10)
    assert trades_of(candles, enter_at_bar_1(4, rules)) == [
        (1, 2, 100 * (1.0 + 0.10), ExitReason.TAKE_PROFIT)
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("stop_loss_frac", 1.0), ("stop_loss_frac", -0.1), ("take_profit_frac", float("nan"))],
)
def test_fractions_out_of_range_are_refused_by_name(field: str, value: float) -> None:
    with pytest.raises(StrategyError, match=rf"exit_rules\.{field}"):
        ExitRules(**{field: value})


# Trailing stop with an offset ----------------------------------------------------------


def test_trailing_starts_only_after_a_bar_has_closed_beyond_the_offset() -> None:
    candles = bars(
        FLAT,
        (100, 103, 99, 102),  # best 100 before: off (would trail at 98)
        (102, 104, 100, 103),  # best 103 (3 %): off, so the low of 100 does not exit
        (103, 106, 102, 105),  # best 104: off; its high of 106 (6 %) turns it on next bar
        (105, 105.5, 103, 104),  # on: 106 * 0.98 = 103.88, reached by the low
        (104,) * 4,
    )
    rules = ExitRules(trailing_frac=0.02, trailing_offset_frac=0.05)
    expected = 106 * (1.0 - 0.02)
    assert trades_of(candles, enter_at_bar_1(6, rules)) == [
        (1, 4, expected, ExitReason.TRAILING_STOP)
    ]


def test_trailing_without_offset_trails_from_the_entry_and_shorts_mirror_it() -> None:
    # bar 1: trails the fill (98), the low of 98.5 holds; bar 2: trails bar 1's high
    candles = bars(FLAT, (100, 100.5, 98.5, 99), (99, 99.5, 97.5, 99), FLAT)
    rules = ExitRules(trailing_frac=0.02)
    assert trades_of(candles, enter_at_bar_1(4, rules)) == [
        (1, 2, 100.5 * (1.0 - 0.02), ExitReason.TRAILING_STOP)
    ]
    # a short trails above the lowest low: 98.5 after bar 1
    down = bars(FLAT, (100, 100.5, 98.5, 99), (99, 100.6, 98, 100), FLAT)
    assert trades_of(down, enter_at_bar_1(4, rules, short=True)) == [
        (-1, 2, 98.5 * (1.0 + 0.02), ExitReason.TRAILING_STOP)
    ]


def test_trailing_beats_the_stop_loss_only_when_tighter() -> None:
    candles = bars(FLAT, (100, 110, 100, 108), (108, 108, 90, 95), FLAT)
    rules = ExitRules(stop_loss_frac=0.05, trailing_frac=0.03, trailing_offset_frac=0.05)
    assert trades_of(candles, enter_at_bar_1(4, rules)) == [
        (1, 2, 110 * (1.0 - 0.03), ExitReason.TRAILING_STOP)
    ]


def test_an_offset_without_a_trailing_fraction_is_refused() -> None:
    with pytest.raises(StrategyError, match="trailing_offset_frac is set without trailing_frac"):
        ExitRules(trailing_offset_frac=0.05)


# Exits on profit only -------------------------------------------------------------------


def test_profit_only_holds_an_exit_signal_until_the_open_is_in_profit() -> None:
    candles = bars(FLAT, FLAT, (98,) * 4, (102,) * 4, (103,) * 4, (103,) * 4)
    plain = enter_at_bar_1(6, ExitRules(), exits=(2, 3))
    assert trades_of(candles, plain) == [(1, 3, 102.0, ExitReason.SIGNAL)]
    losing = bars(FLAT, FLAT, (98,) * 4, (98,) * 4, (103,) * 4, (103,) * 4)
    held = enter_at_bar_1(6, ExitRules(exit_profit_only=True), exits=(2, 3))
    assert trades_of(losing, held) == [(1, 4, 103.0, ExitReason.SIGNAL)]
    needs_more = enter_at_bar_1(6, ExitRules(exit_profit_only=True, exit_profit_offset=0.05))
    assert trades_of(losing, needs_more) == [(1, 5, 103.0, ExitReason.END_OF_DATA)]


def test_profit_only_also_holds_a_reversal_and_never_holds_a_stop() -> None:
    candles = bars(FLAT, FLAT, (98,) * 4, (98, 98, 90, 91), (91,) * 4)
    n = len(candles)
    entry = np.zeros(n, dtype=bool)
    entry[0] = True
    short = np.zeros(n, dtype=bool)
    short[1] = True  # would reverse at bar 2's open (98): at a loss, so ignored
    rules = ExitRules(exit_profit_only=True, stop_loss_frac=0.05)
    signals = Signals(
        entry, np.zeros(n, dtype=bool), short, np.zeros(n, dtype=bool), exit_rules=rules
    )
    assert trades_of(candles, signals) == [(1, 3, 100 * (1.0 - 0.05), ExitReason.STOP_LOSS)]


# Absent rules ---------------------------------------------------------------------------


def test_all_off_rules_give_the_same_result_as_no_rules() -> None:
    rng = np.random.default_rng(3)
    n = 300
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    candles = Candles.from_arrays(
        np.arange(n) * HOUR_MS, close, close * 1.01, close * 0.99, close, np.ones(n)
    )
    base = Signals(rng.random(n) < 0.1, rng.random(n) < 0.1, stop_loss=close * 0.02)
    with_off = Signals(
        base.entry_long, base.exit_long, stop_loss=base.stop_loss, exit_rules=ExitRules()
    )
    a, b = run_backtest(candles, base, FREE), run_backtest(candles, with_off, FREE)
    assert len(a.trades) > 5
    np.testing.assert_array_equal(a.equity, b.equity)
    np.testing.assert_array_equal(a.trades.exit_price, b.trades.exit_price)


def test_a_window_of_the_signals_keeps_the_exit_rules() -> None:
    from genesis.evaluate import _sliced  # the walk-forward and holdout windows use it

    rules = ExitRules(roi=((0, 0.05),))
    window = _sliced(enter_at_bar_1(10, rules), 2, 8)
    assert window.exit_rules is rules and len(window.entry_long) == 6
