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
from genesis.features import (
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
)  # fmt: skip

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


def assert_close_to_scale(
    ours: npt.NDArray[np.float64], reference: npt.NDArray[np.float64], scale: float
) -> None:
    """Same NaN positions; values within 1e-9 of ``scale`` (for differences near zero)."""
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference))
    valid = ~np.isnan(reference)
    assert valid.any()
    np.testing.assert_allclose(ours[valid], reference[valid], rtol=0.0, atol=RTOL * scale)


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (2, 3, 2), (5, 50, 1)])
def test_macd_matches_talib(candles: Candles, fast: int, slow: int, signal: int) -> None:
    line, sig, hist = talib.MACD(candles.close, fast, slow, signal)
    scale = float(np.median(np.abs(candles.close)))
    for got, want in zip(macd(candles.close, fast, slow, signal), (line, sig, hist), strict=True):
        assert_close_to_scale(got, want, scale)


@pytest.mark.parametrize("period", [2, *PERIODS])
def test_averages_of_any_series_match_talib(candles: Candles, period: int) -> None:
    """Not only the close: volume, a spread, and an indicator's own output (with its NaNs)."""
    spread = candles.high - candles.low
    for series in (candles.volume, spread, candles.open):
        assert_matches(sma(series, period), talib.SMA(series, period))
        assert_matches(ema(series, period), talib.EMA(series, period))


@pytest.mark.parametrize(("k", "smooth_k", "d"), [(14, 3, 3), (5, 1, 3), (2, 2, 1)])
def test_stoch_matches_talib(candles: Candles, k: int, smooth_k: int, d: int) -> None:
    h, lo, c = candles.high, candles.low, candles.close
    want_k, want_d = talib.STOCH(h, lo, c, k, smooth_k, 0, d, 0)
    got_k, got_d = stoch(h, lo, c, k, smooth_k, d)
    assert_matches(got_k, want_k)
    assert_matches(got_d, want_d)


@pytest.mark.parametrize("period", [1, *PERIODS])
def test_highest_lowest_match_talib(candles: Candles, period: int) -> None:
    if period == 1:
        np.testing.assert_array_equal(highest(candles.close, 1), candles.close)
        return
    assert_matches(highest(candles.close, period), talib.MAX(candles.close, period))
    assert_matches(lowest(candles.volume, period), talib.MIN(candles.volume, period))


@pytest.mark.parametrize("period", [1, *PERIODS])
def test_vwap_matches_talib_running_sums(candles: Candles, period: int) -> None:
    h, lo, c, v = candles.high, candles.low, candles.close, candles.volume
    typical = (h + lo + c) / 3.0
    if period == 1:
        np.testing.assert_allclose(vwap(h, lo, c, v, 1), typical, rtol=RTOL)
        return
    reference = talib.SUM(typical * v, period) / talib.SUM(v, period)
    assert_matches(vwap(h, lo, c, v, period), reference)


def test_flat_stochastic_is_neutral_and_zero_volume_vwap_undefined() -> None:
    """Deliberate differences, as the RSI's: no range is 50 (not 0), no volume is NaN."""
    flat = np.full(40, 3.0)
    pct_k, pct_d = stoch(flat, flat, flat, 5, 3, 3)
    assert np.all(pct_k[9:] == 50.0) and np.all(pct_d[9:] == 50.0)
    assert np.all(talib.STOCH(flat, flat, flat, 5, 3, 0, 3, 0)[0][9:] == 0.0)
    volume = np.r_[np.ones(10), np.zeros(10), np.ones(20)]
    got = vwap(flat, flat, flat, volume, 5)
    assert np.isnan(got[14:20]).all() and np.all(got[20:] == 3.0) and np.all(got[4:14] == 3.0)


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
        "macd": macd(x, 5, 10, 4)[0],
        "macd_signal": macd(x, 5, 10, 4)[1],
        "stoch_k": stoch(h, lo, x, 10, 3, 4)[0],
        "stoch_d": stoch(h, lo, x, 10, 3, 4)[1],
        "highest": highest(x, 10),
        "lowest": lowest(x, 10),
        "vwap": vwap(h, lo, x, np.ones(200), 10),
    }
    expected = {"sma": 9, "ema": 9, "bbands": 9, "donchian": 9, "rsi": 10, "atr": 10}
    expected |= {"di": 10, "adx": 19, "macd": 12, "macd_signal": 12, "stoch_k": 14}
    expected |= {"stoch_d": 14, "highest": 9, "lowest": 9, "vwap": 9}
    for name, values in first.items():
        assert int(np.argmax(~np.isnan(values))) == expected[name], name
        assert not np.isnan(values[expected[name] :]).any(), name


def test_short_input_is_all_nan() -> None:
    x = np.arange(5.0)
    short = (sma(x, 6), ema(x, 6), rsi(x, 5), atr(x, x, x, 5), adx(x, x, x, 3)[0])
    short += (macd(x, 2, 4, 3)[2], stoch(x, x, x, 3, 2, 3)[1], vwap(x, x, x, x, 6))
    for values in short:
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
