"""Windows (by date, last N) and resampling, checked against hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from genesis.data import Candles, resample, synthetic_candles, window
from genesis.errors import DataError

HOUR = 3_600_000


def _hours(hours: list[int], closes: list[float] | None = None) -> Candles:
    ts = np.asarray(hours, dtype=np.int64) * HOUR
    close = np.asarray(closes if closes is not None else [float(h + 1) for h in hours])
    return Candles.from_arrays(ts, close, close + 1, close - 0.5, close, np.ones(len(hours)))


def test_window_by_date_is_start_inclusive_end_exclusive() -> None:
    candles = synthetic_candles(n_bars=24 * 10)  # 2017-01-01 .. 2017-01-10
    cut = window(candles, start="2017-01-02", end="2017-01-04")
    assert len(cut) == 48
    assert cut.ts_ms[0] == candles.ts_ms[24]
    assert cut.ts_ms[-1] == candles.ts_ms[71]


def test_window_last_n_and_combined() -> None:
    candles = synthetic_candles(n_bars=24 * 10)
    assert window(candles, last_n=5).ts_ms.tolist() == candles.ts_ms[-5:].tolist()
    cut = window(candles, end="2017-01-02", last_n=3)
    assert cut.ts_ms.tolist() == candles.ts_ms[21:24].tolist()


def test_window_errors() -> None:
    candles = synthetic_candles(n_bars=48)
    with pytest.raises(DataError, match=r"selects no bars.*covers 2017-01-01"):
        window(candles, start="2020-01-01")
    with pytest.raises(DataError, match="not after"):
        window(candles, start="2017-01-02", end="2017-01-01")
    with pytest.raises(DataError, match="cannot parse date"):
        window(candles, start="soon")
    with pytest.raises(DataError, match="positive"):
        window(candles, last_n=0)


def test_resample_matches_a_hand_computation() -> None:
    # Hours 2..9 with a gap at 5 and nothing in 12..15: 4h bins [0,4), [4,8), [8,12), [16,20).
    opens = [10.0, 11, 12, 14, 15, 16, 17, 18]
    hours = [2, 3, 4, 6, 7, 8, 9, 17]
    ts = np.asarray(hours, dtype=np.int64) * HOUR
    high = np.asarray([13.0, 12, 20, 15, 16, 17, 19, 18.5])
    low = np.asarray([9.0, 10, 11, 13, 14, 15, 16, 17])
    close = np.asarray([11.0, 12, 14, 15, 16, 17, 18, 18])
    volume = np.asarray([1.0, 2, 3, 4, 5, 6, 7, 8])
    candles = Candles.from_arrays(ts, opens, high, low, close, volume, timeframe="1h")
    out = resample(candles, "4h")
    assert out.timeframe == "4h"
    assert out.ts_ms.tolist() == [0, 4 * HOUR, 8 * HOUR, 16 * HOUR]
    assert out.open.tolist() == [10, 12, 16, 18]
    assert out.high.tolist() == [13, 20, 19, 18.5]
    assert out.low.tolist() == [9, 11, 15, 17]
    assert out.close.tolist() == [12, 16, 18, 18]
    assert out.volume.tolist() == [3, 12, 13, 8]


def test_resample_daily_is_epoch_aligned() -> None:
    out = resample(synthetic_candles(n_bars=24 * 7 + 5), "1d")
    assert len(out) == 8
    assert np.all(out.ts_ms % 86_400_000 == 0)


def test_resample_only_to_longer_multiples() -> None:
    candles = synthetic_candles(n_bars=100, timeframe="4h")
    assert resample(candles, "4h") is candles
    with pytest.raises(DataError, match="cannot resample 4h candles to 1h"):
        resample(candles, "1h")
    with pytest.raises(DataError, match="cannot resample 4h candles to 6h"):
        resample(candles, "6h")
    with pytest.raises(DataError, match="unknown timeframe"):
        resample(candles, "7h")
