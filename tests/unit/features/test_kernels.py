"""The indicator kernels agree with TA-Lib (an independent C implementation).

Agreement means: the same NaN positions (TA-Lib's lookback is our warm-up) and values
equal to 1e-9 relative afterwards, on real hourly EURUSD, daily GOOG and a random walk.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
import talib

from genesis.data._candles import Candles
from genesis.features import adx, atr, bbands, donchian, ema, rsi, sma

PERIODS = [2, 3, 14, 50]
RTOL = 1e-9


def assert_matches(ours: npt.NDArray[np.float64], reference: npt.NDArray[np.float64]) -> None:
    """Same NaN positions and values within RTOL of the reference."""
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference))
    valid = ~np.isnan(reference)
    assert valid.any()
    np.testing.assert_allclose(ours[valid], reference[valid], rtol=RTOL, atol=0.0)


@pytest.mark.parametrize("period", [1, *PERIODS])
def test_sma_ema_match_talib(candles: Candles, period: int) -> None:
    if period == 1:  # TA-Lib refuses period 1 for averages; ours is the input itself
        np.testing.assert_array_equal(sma(candles.close, 1), candles.close)
        np.testing.assert_array_equal(ema(candles.close, 1), candles.close)
        return
    assert_matches(sma(candles.close, period), talib.SMA(candles.close, period))
    assert_matches(ema(candles.close, period), talib.EMA(candles.close, period))


@pytest.mark.parametrize("period", PERIODS)
def test_rsi_matches_talib(candles: Candles, period: int) -> None:
    assert_matches(rsi(candles.close, period), talib.RSI(candles.close, period))


@pytest.mark.parametrize("period", [1, *PERIODS])
def test_atr_matches_talib(candles: Candles, period: int) -> None:
    c = candles
    assert_matches(atr(c.high, c.low, c.close, period), talib.ATR(c.high, c.low, c.close, period))


@pytest.mark.parametrize("period", PERIODS)
def test_adx_and_dis_match_talib(candles: Candles, period: int) -> None:
    h, lo, c = candles.high, candles.low, candles.close
    ours, plus_di, minus_di = adx(h, lo, c, period)
    assert_matches(ours, talib.ADX(h, lo, c, period))
    assert_matches(plus_di, talib.PLUS_DI(h, lo, c, period))
    assert_matches(minus_di, talib.MINUS_DI(h, lo, c, period))


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("k", [1.0, 2.0, 2.5])
def test_bbands_match_talib(candles: Candles, period: int, k: float) -> None:
    upper, middle, lower = talib.BBANDS(candles.close, period, k, k, 0)
    ours = bbands(candles.close, period, k)
    for got, want in zip(ours, (middle, upper, lower), strict=True):
        assert_matches(got, want)


@pytest.mark.parametrize("period", [1, *PERIODS])
def test_donchian_matches_talib_max_min(candles: Candles, period: int) -> None:
    upper, lower = donchian(candles.high, candles.low, period)
    if period == 1:
        np.testing.assert_array_equal(upper, candles.high)
        np.testing.assert_array_equal(lower, candles.low)
        return
    assert_matches(upper, talib.MAX(candles.high, period))
    assert_matches(lower, talib.MIN(candles.low, period))


def test_first_valid_index_is_documented_lookback() -> None:
    x = np.linspace(1.0, 2.0, 200) + np.sin(np.arange(200.0))
    h, lo = x + 0.5, x - 0.5
    first = {
        "sma": sma(x, 10),
        "ema": ema(x, 10),
        "bbands": bbands(x, 10)[0],
        "donchian": donchian(h, lo, 10)[0],
        "rsi": rsi(x, 10),
        "atr": atr(h, lo, x, 10),
        "di": adx(h, lo, x, 10)[1],
        "adx": adx(h, lo, x, 10)[0],
    }
    expected = {"sma": 9, "ema": 9, "bbands": 9, "donchian": 9, "rsi": 10, "atr": 10}
    expected |= {"di": 10, "adx": 19}
    for name, values in first.items():
        assert int(np.argmax(~np.isnan(values))) == expected[name], name
        assert not np.isnan(values[expected[name] :]).any(), name


def test_short_input_is_all_nan() -> None:
    x = np.arange(5.0)
    for values in (sma(x, 6), ema(x, 6), rsi(x, 5), atr(x, x, x, 5), adx(x, x, x, 3)[0]):
        assert values.shape == (5,)
        assert np.isnan(values).all()


def test_flat_rsi_is_neutral_not_oversold() -> None:
    """Deliberate difference: TA-Lib says 0 when nothing moves; 0 would read as oversold."""
    flat = np.full(50, 3.0)
    ours = rsi(flat, 14)
    assert np.all(ours[14:] == 50.0)
    assert np.all(talib.RSI(flat, 14)[14:] == 0.0)


def test_bbands_stay_accurate_on_large_prices() -> None:
    """TA-Lib's E[x²]−E[x]² cancels on large prices; the rolling Welford update does not."""
    rng = np.random.default_rng(3)
    x = 1e6 + rng.normal(0.0, 1e-3, 3_000)
    middle, upper, _ = bbands(x, 20, 1.0)
    windows = np.lib.stride_tricks.sliding_window_view(x, 20)
    exact = windows.std(axis=1)
    np.testing.assert_allclose((upper - middle)[19:], exact, rtol=1e-6)
