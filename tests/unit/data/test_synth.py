"""The synthetic generator: deterministic, coherent and statistically BTC-like."""

from __future__ import annotations

import time

import numpy as np
import pytest

from genesis.data import Candles, synthetic_candles, validate_candles

ARRAYS = ("ts_ms", "open", "high", "low", "close", "volume")


@pytest.fixture(scope="module")
def candles() -> Candles:
    return synthetic_candles()


def _log_returns(candles: Candles) -> np.ndarray:
    return np.diff(np.log(candles.close))


def test_same_seed_gives_identical_arrays(candles: Candles) -> None:
    again = synthetic_candles()
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(again, name), getattr(candles, name))


def test_different_seed_gives_different_prices(candles: Candles) -> None:
    other = synthetic_candles(seed=43)
    assert not np.array_equal(other.close, candles.close)
    np.testing.assert_array_equal(other.ts_ms, candles.ts_ms)


def test_ohlc_is_coherent_and_volume_positive(candles: Candles) -> None:
    assert np.all(candles.high >= np.maximum(candles.open, candles.close))
    assert np.all(candles.low <= np.minimum(candles.open, candles.close))
    assert np.all(candles.low > 0)
    assert np.all(candles.volume > 0)
    report = validate_candles(candles, expected_timeframe="1h")
    assert (report.n_rows, report.n_gaps) == (50_000, 0)


def test_prices_stay_at_plausible_btc_levels(candles: Candles) -> None:
    assert 1_000 < candles.open[0] < 10_000
    assert candles.close.min() > 100 and candles.close.max() < 500_000


def test_returns_have_fat_tails(candles: Candles) -> None:
    returns = _log_returns(candles)
    centred = returns - returns.mean()
    kurtosis = np.mean(centred**4) / np.mean(centred**2) ** 2
    assert kurtosis > 3


def test_volatility_clusters(candles: Candles) -> None:
    size = np.abs(_log_returns(candles))
    assert np.corrcoef(size[:-1], size[1:])[0, 1] > 0.1


def test_volume_rises_with_volatility(candles: Candles) -> None:
    size = np.abs(_log_returns(candles))
    assert np.corrcoef(size, candles.volume[1:])[0, 1] > 0.2


def test_regimes_alternate_between_trend_and_range(candles: Candles) -> None:
    # Over 500-bar blocks, the net move relative to the block's noise varies a lot:
    # some blocks trend (large net move), others range (small net move).
    returns = _log_returns(candles)[: 500 * 90].reshape(90, 500)
    efficiency = np.abs(returns.sum(axis=1)) / np.sqrt((returns**2).sum(axis=1))
    assert efficiency.max() > 4 * np.median(efficiency)


def test_other_timeframes_are_aligned_and_scaled() -> None:
    daily = synthetic_candles(timeframe="1d", n_bars=1_000)
    assert np.all(daily.ts_ms % 86_400_000 == 0)
    assert validate_candles(daily, expected_timeframe="1d").n_gaps == 0


def test_fast_enough_for_every_run(candles: Candles) -> None:
    start = time.perf_counter()
    synthetic_candles()
    assert time.perf_counter() - start < 0.2
