"""FeatureStore computes each (indicator, params, candles) once; Features reads from it."""

from __future__ import annotations

import time

import numpy as np
import pytest

import genesis.features as features_pkg
from genesis.errors import StrategyError
from genesis.features import (
    Features,
    FeatureStore,
    adx,
    atr,
    bbands,
    donchian,
    ema,
    highest,
    lowest,
    macd,
    rsi,
    sma,
    stoch,
    vwap,
)

from .conftest import random_walk_candles


def test_second_request_returns_the_identical_read_only_array() -> None:
    store = FeatureStore()
    view = Features(random_walk_candles(500), store)
    first = view.ema(20)
    assert (store.hits, store.misses) == (0, 1)
    assert view.ema(20) is first
    assert store.features(view.candles).ema(20) is first  # another view, same candles
    assert (store.hits, store.misses) == (2, 1)
    assert not first.flags.writeable
    with pytest.raises(ValueError):
        first[0] = 1.0


def test_different_params_or_candles_give_different_arrays() -> None:
    store = FeatureStore()
    a, b = random_walk_candles(500, seed=1), random_walk_candles(500, seed=2)
    fa, fb = Features(a, store), Features(b, store)
    assert fa.ema(10) is not fa.ema(20)
    assert not np.array_equal(fa.ema(10), fa.ema(20), equal_nan=True)
    assert not np.array_equal(fa.ema(10), fb.ema(10), equal_nan=True)
    assert fa.bbands(20, 2.0) is not fa.bbands(20, 1.0)
    assert store.misses == 5
    assert len(store) == 5


def test_equal_but_distinct_candles_are_separate_entries() -> None:
    """Keyed by identity: the store never hashes bars on the hot path."""
    store = FeatureStore()
    one, two = random_walk_candles(300), random_walk_candles(300)
    assert Features(one, store).sma(5) is not Features(two, store).sma(5)
    assert store.misses == 2


def test_views_match_the_plain_functions() -> None:
    c = random_walk_candles(800)
    view = Features(c)
    np.testing.assert_array_equal(view.sma(7), sma(c.close, 7))
    np.testing.assert_array_equal(view.ema(7), ema(c.close, 7))
    np.testing.assert_array_equal(view.rsi(7), rsi(c.close, 7))
    np.testing.assert_array_equal(view.atr(7), atr(c.high, c.low, c.close, 7))
    adx_, plus_di, minus_di = adx(c.high, c.low, c.close, 7)
    np.testing.assert_array_equal(view.adx(7), adx_)
    np.testing.assert_array_equal(view.di(7)[0], plus_di)
    np.testing.assert_array_equal(view.di(7)[1], minus_di)
    for got, want in zip(view.bbands(7, 1.5), bbands(c.close, 7, 1.5), strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(view.donchian(7), donchian(c.high, c.low, 7), strict=True):
        np.testing.assert_array_equal(got, want)
    assert view.close is c.close and len(view) == len(c)
    for got, want in zip(view.macd(5, 13, 4), macd(c.close, 5, 13, 4), strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(view.stoch(9, 3, 2), stoch(c.high, c.low, c.close, 9, 3, 2), strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(view.vwap(9), vwap(c.high, c.low, c.close, c.volume, 9))
    np.testing.assert_array_equal(view.highest(9), highest(c.high, 9))
    np.testing.assert_array_equal(view.lowest(9), lowest(c.low, 9))


def test_indicators_of_any_series_are_computed_once() -> None:
    store = FeatureStore()
    c = random_walk_candles(600)
    view = Features(c, store)
    line = view.macd()[0]  # the store's own array: keyed by identity
    signal = view.ema(9, of=line)
    np.testing.assert_array_equal(signal, ema(line, 9))
    assert view.ema(9, of=line) is signal
    spread = view.ema(5, of=c.high - c.low)  # a new array each call: keyed by its values
    assert view.ema(5, of=c.high - c.low) is spread
    np.testing.assert_array_equal(spread, ema(c.high - c.low, 5))
    assert view.sma(4, of="volume") is view.sma(4, of=c.volume)
    np.testing.assert_array_equal(view.sma(4, of="volume"), sma(c.volume, 4))
    assert view.ema(7, of="close") is view.ema(7) and view.highest(3, of=c.high) is view.highest(3)
    np.testing.assert_array_equal(view.rsi(6, of=c.open), rsi(c.open, 6))
    np.testing.assert_array_equal(view.bbands(6, 1.0, of="open")[1], bbands(c.open, 6, 1.0)[1])
    np.testing.assert_array_equal(view.lowest(6, of="close"), lowest(c.close, 6))
    np.testing.assert_array_equal(view.macd(3, 6, 2, of="open")[2], macd(c.open, 3, 6, 2)[2])
    assert (store.hits, store.misses) == (6, 10)


def test_a_series_must_be_a_column_or_one_value_per_bar() -> None:
    view = Features(random_walk_candles(100))
    with pytest.raises(StrategyError, match="unknown column 'clse'") as error:
        view.ema(5, of="clse")
    assert error.value.hint == "did you mean: close?"
    with pytest.raises(StrategyError, match=r"one value per bar \(100\), got shape \(99,\)"):
        view.ema(5, of=view.close[1:])
    with pytest.raises(StrategyError, match="takes no series"):
        view.store.get_of(view.candles, "atr", "close", (14,))
    with pytest.raises(StrategyError, match="MACD fast period must be < slow"):
        view.macd(26, 12)


def test_precompute_fills_the_store_up_front() -> None:
    store = FeatureStore()
    c = random_walk_candles(400)
    requests = [("ema", (10,)), ("ema", (20,)), ("atr", (14,)), ("ema", (10,))]
    assert store.precompute(c, requests) == 3
    assert (store.hits, store.misses) == (0, 3)
    Features(c, store).ema(20)
    assert (store.hits, store.misses) == (1, 3)


def test_unknown_indicator_suggests_close_names() -> None:
    view = Features(random_walk_candles(100))
    with pytest.raises(StrategyError, match="unknown indicator 'emaa'") as error:
        view.get("emaa", 10)
    assert "did you mean: ema" in str(error.value)
    with pytest.raises(StrategyError, match="params"):
        view.get("ema", 10, 20)


def test_bad_period_fails_and_is_not_stored() -> None:
    store = FeatureStore()
    view = Features(random_walk_candles(100), store)
    with pytest.raises(StrategyError, match="RSI period must be >= 2"):
        view.rsi(1)
    assert len(store) == 0 and store.misses == 0


def test_clear_drops_entries() -> None:
    store = FeatureStore()
    view = Features(random_walk_candles(100), store)
    first = view.ema(5)
    store.clear()
    assert len(store) == 0
    assert view.ema(5) is not first


def test_warm_lookup_costs_microseconds() -> None:
    view = Features(random_walk_candles(50_000))
    view.ema(20)
    n_calls = 10_000
    start = time.perf_counter()
    for _ in range(n_calls):
        view.ema(20)
    per_call_s = (time.perf_counter() - start) / n_calls
    assert per_call_s < 20e-6  # ~0.3 us on a laptop; generous for loaded CI machines


def test_package_exports() -> None:
    expected = {"Features", "FeatureStore", "INDICATOR_NAMES"}
    expected |= {"adx", "atr", "bbands", "donchian", "ema", "rsi", "sma"}
    expected |= {"highest", "lowest", "macd", "stoch", "vwap"}
    expected |= {"HigherTimeframe", "higher_timeframe"}
    assert set(features_pkg.__all__) == expected
    for name in features_pkg.__all__:
        assert hasattr(features_pkg, name)
