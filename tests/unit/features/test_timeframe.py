"""Higher-timeframe features: resampled by hand, aligned without look-ahead, cached once."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from genesis.data._candles import Candles
from genesis.engine import Signals
from genesis.errors import StrategyError
from genesis.features import Features, FeatureStore
from genesis.features.timeframe import closed_index, higher_timeframe, resample
from genesis.strategy.base import ParamSpec, ParamValue
from genesis.strategy.lookahead import check_lookahead

from .conftest import random_walk_candles

HOUR_MS = 3_600_000


def hourly(first_hour: int, n: int) -> Candles:
    """``n`` hourly bars from ``first_hour`` (UTC, day 0): bar k has open 10k, close 10k+5."""
    k = np.arange(n, dtype=float)
    ts = (first_hour + np.arange(n)) * HOUR_MS
    return Candles.from_arrays(ts, 10 * k, 10 * k + 8, 10 * k - 3, 10 * k + 5, k + 1)


def test_resample_builds_complete_periods_by_hand() -> None:
    coarse = resample(hourly(0, 10), "4h")  # 00-04, 04-08 complete; 08-10 partial: dropped
    assert coarse.timeframe == "4h" and coarse.ts_ms.tolist() == [0, 4 * HOUR_MS]
    assert coarse.open.tolist() == [0.0, 40.0]
    assert coarse.high.tolist() == [38.0, 78.0]
    assert coarse.low.tolist() == [-3.0, 37.0]
    assert coarse.close.tolist() == [35.0, 75.0]
    assert coarse.volume.tolist() == [1 + 2 + 3 + 4, 5 + 6 + 7 + 8]


def test_a_period_the_data_starts_inside_is_dropped_and_a_gap_is_not_filled() -> None:
    late_start = resample(hourly(2, 10), "4h")  # 02-04 partial; 04-08, 08-12 complete
    assert late_start.ts_ms.tolist() == [4 * HOUR_MS, 8 * HOUR_MS]
    assert late_start.open.tolist() == [20.0, 60.0]
    bars = hourly(0, 8)
    gap = np.r_[0:5, 6:8]  # the 05:00 bar is missing
    with_gap = Candles.from_arrays(
        bars.ts_ms[gap], bars.open[gap], bars.high[gap], bars.low[gap], bars.close[gap],
        bars.volume[gap],
    )  # fmt: skip
    coarse = resample(with_gap, "4h")
    assert coarse.volume.tolist() == [10.0, 5 + 7 + 8]
    assert coarse.high.tolist() == [38.0, 78.0]


def test_each_bar_sees_only_coarse_bars_closed_by_its_own_close() -> None:
    fine = hourly(0, 12)
    coarse = resample(fine, "4h")
    # bars 0-2 close before 04:00: nothing yet; bar 3 closes at 04:00 with the first 4h bar
    assert closed_index(fine, coarse).tolist() == [-1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2]
    view = higher_timeframe(Features(fine), "4h")
    close_4h = view.column("close")
    assert np.isnan(close_4h[:3]).all()
    assert close_4h[3:].tolist() == [35.0] * 4 + [75.0] * 4 + [115.0]


@pytest.mark.parametrize("timeframe", ["4h", "1d"])
@pytest.mark.parametrize(
    ("name", "params"), [("ema", (10,)), ("rsi", (14,)), ("atr", (5,)), ("macd", (12, 26, 9))]
)
def test_truncated_data_gives_the_same_values_on_the_common_bars(
    timeframe: str, name: str, params: tuple[int, ...]
) -> None:
    candles = random_walk_candles(4_000, seed=3)
    full = higher_timeframe(Features(candles), timeframe).get(name, *params)
    store = FeatureStore()
    for cut in (1_001, 1_500, 2_345, 3_333, 3_999):
        part = higher_timeframe(Features(candles.slice(0, cut), store), timeframe).get(
            name, *params
        )
        for a, b in zip(*(v if isinstance(v, tuple) else (v,) for v in (full, part)), strict=True):
            assert len(b) == cut
            np.testing.assert_array_equal(a[:cut], b)
            assert np.isfinite(b[-1])  # defined by then: the comparison is not NaN on NaN


def test_a_view_and_its_values_are_made_once_per_store() -> None:
    features = Features(random_walk_candles(500, seed=1))
    first = higher_timeframe(features, "4h")
    assert higher_timeframe(features, "4h") is first
    assert first.get("ema", 5) is first.get("ema", 5)
    misses = features.store.misses
    first.get("ema", 5)
    assert features.store.misses == misses


@pytest.mark.parametrize("timeframe", ["1h", "30m", "3h"])
def test_a_timeframe_not_coarser_or_unknown_is_a_strategy_error(timeframe: str) -> None:
    with pytest.raises(StrategyError, match="higher timeframe"):
        higher_timeframe(Features(hourly(0, 10)), timeframe)


class _DailyTrend:
    """Long while the close is above the daily EMA; ``peek`` uses the forming day (a bug)."""

    name = "daily_trend_probe"
    version = "1"
    params: Mapping[str, ParamSpec] = {"peek": ParamSpec("bool", False)}

    def signals(self, features: Features, params: Mapping[str, ParamValue]) -> Signals:
        view = higher_timeframe(features, "1d")
        if params["peek"]:  # the day that contains the bar, not yet closed: look-ahead
            day = (features.candles.ts_ms // 86_400_000) - view.candles.ts_ms[0] // 86_400_000
            ema = view.features.ema(3)
            trend = np.where(
                (day >= 0) & (day < len(ema)), ema[np.clip(day, 0, len(ema) - 1)], np.nan
            )
        else:
            trend = view.get("ema", 3)
        above = np.nan_to_num(features.close - trend) > 0
        return Signals(entry_long=above, exit_long=~above)


def test_the_look_ahead_check_passes_an_honest_higher_timeframe_strategy() -> None:
    report = check_lookahead(_DailyTrend(), random_walk_candles(1_500, seed=2), [{"peek": False}])
    assert report.n_params == 1 and not report.found


def test_the_look_ahead_check_catches_a_forming_coarse_bar() -> None:
    report = check_lookahead(_DailyTrend(), random_walk_candles(1_500, seed=2), [{"peek": True}])
    assert report.found
