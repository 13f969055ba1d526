"""Synthetic candles: the bundled default data, deterministic and BTC-like.

The model, per bar (all returns are log returns):

* volatility follows GARCH(1, 1) on Student-t shocks (df 4, scaled to unit variance):
  calm and wild periods cluster, and large moves are far more common than under a
  normal law;
* a two-state regime alternates between *trending* (a drift of a fraction of the
  current volatility, up or down) and *ranging* (pulled back towards the price level
  at which the range began); regime lengths are geometric; an uptrend is likelier
  when the price is low and a downtrend when it is high, which keeps prices in a
  plausible BTC band (hundreds to tens of thousands of USD);
* OHLC is coherent by construction: open is the previous close, high and low extend
  the body by a random fraction of the bar's volatility;
* volume is positive, grows with volatility and with the size of the bar's move.

All randomness comes from one seeded :class:`numpy.random.Generator`; the sequential
part is a numba kernel (``_path_nb``, arrays in, arrays out), so the same seed gives
the same arrays bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from genesis.data._candles import Candles, FloatArray, timeframe_ms

START_MS = 1_483_228_800_000  # 2017-01-01T00:00:00Z
START_PRICE = 4_000.0
_HOUR_MS = 3_600_000
_SIGMA_1H = 0.0075  # long-run volatility of one hourly bar
_VOLUME_1H = 600.0  # typical BTC traded in one hour
_T_DF = 4.0
_GARCH_ALPHA = 0.10
_GARCH_BETA = 0.88
_TREND_HOURS = 300.0  # mean length of a trending regime
_RANGE_HOURS = 500.0  # mean length of a ranging regime
_TREND_DRIFT = 0.08  # drift per bar while trending, in units of current volatility
_RANGE_PULL = 0.01  # fraction of the distance to the range's level recovered per bar
_CENTER_LOG_PRICE = math.log(12_000.0)  # uptrends and downtrends equally likely here
_BAND_WIDTH = 1.0  # in log price: how quickly the trend direction bias saturates


@njit(cache=True)
def _path_nb(
    shocks: FloatArray,
    switch_u: FloatArray,
    direction_u: FloatArray,
    sigma_bar: float,
    p_end_trend: float,
    p_end_range: float,
    log_start: float,
) -> tuple[FloatArray, FloatArray]:
    """Log close prices and per-bar volatilities for unit-variance ``shocks``."""
    n = shocks.shape[0]
    log_close = np.empty(n)
    sigma = np.empty(n)
    omega = sigma_bar * sigma_bar * (1.0 - _GARCH_ALPHA - _GARCH_BETA)
    variance = sigma_bar * sigma_bar
    last_return = 0.0
    log_price = log_start
    trending = False
    direction = 1.0
    anchor = log_start
    for i in range(n):
        variance = omega + _GARCH_ALPHA * last_return * last_return + _GARCH_BETA * variance
        sd = math.sqrt(variance)
        if trending and switch_u[i] < p_end_trend:
            trending = False
            anchor = log_price
        elif not trending and switch_u[i] < p_end_range:
            trending = True
            bias = (log_price - _CENTER_LOG_PRICE) / _BAND_WIDTH
            direction = 1.0 if direction_u[i] < 1.0 / (1.0 + math.exp(bias)) else -1.0
        # Trends drift with the volatility; ranges are pulled back to their level.
        mean = direction * _TREND_DRIFT * sd if trending else -_RANGE_PULL * (log_price - anchor)
        last_return = sd * shocks[i]
        log_price += mean + last_return
        log_close[i] = log_price
        sigma[i] = sd
    return log_close, sigma


def _bars_for_hours(hours: float, bar_ms: int) -> float:
    return max(10.0, hours * _HOUR_MS / bar_ms)


def synthetic_candles(
    *, symbol: str = "tBTCUSD", timeframe: str = "1h", n_bars: int = 50_000, seed: int = 42
) -> Candles:
    """Generate realistic, deterministic BTC-like candles.

    Args:
        symbol: Symbol recorded on the candles.
        timeframe: Bar length (``"1h"``); volatility and volume scale with it.
        n_bars: Number of bars, starting 2017-01-01T00:00:00Z (aligned to the timeframe).
        seed: Seed of the random generator; the same seed gives identical arrays.

    Returns:
        Gap-free candles that pass :func:`genesis.data.validate_candles`.
    """
    bar_ms = timeframe_ms(timeframe)
    sigma_bar = _SIGMA_1H * math.sqrt(bar_ms / _HOUR_MS)
    rng = np.random.default_rng(seed)
    shocks = rng.standard_t(_T_DF, n_bars) * math.sqrt((_T_DF - 2.0) / _T_DF)
    switch_u = rng.random(n_bars)
    direction_u = rng.random(n_bars)
    log_close, sigma = _path_nb(
        shocks,
        switch_u,
        direction_u,
        sigma_bar,
        1.0 / _bars_for_hours(_TREND_HOURS, bar_ms),
        1.0 / _bars_for_hours(_RANGE_HOURS, bar_ms),
        math.log(START_PRICE),
    )
    open_, high, low, close, volume = _bars(log_close, sigma, sigma_bar, bar_ms, rng)
    start = START_MS - START_MS % bar_ms
    ts_ms = start + bar_ms * np.arange(n_bars, dtype=np.int64)
    return Candles.from_arrays(
        ts_ms, open_, high, low, close, volume, symbol=symbol, timeframe=timeframe,
        source=f"synthetic:{symbol}:{timeframe}:{seed}:{n_bars}",
    )  # fmt: skip


def _bars(
    log_close: FloatArray,
    sigma: FloatArray,
    sigma_bar: float,
    bar_ms: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """OHLCV around a close path: wicks and volume scale with each bar's volatility."""
    n_bars = log_close.shape[0]
    wick_high = np.abs(rng.standard_normal(n_bars))
    wick_low = np.abs(rng.standard_normal(n_bars))
    volume_noise = rng.standard_normal(n_bars)
    close = np.exp(log_close)
    open_ = np.concatenate(([START_PRICE], close[:-1]))
    high = np.maximum(open_, close) * np.exp(0.6 * sigma * wick_high)
    low = np.minimum(open_, close) * np.exp(-0.6 * sigma * wick_low)
    move = np.abs(log_close - np.log(open_)) / sigma  # the bar's move in its own volatility
    volume = (
        _VOLUME_1H
        * (bar_ms / _HOUR_MS)
        * (sigma / sigma_bar) ** 1.5
        * np.sqrt(1.0 + move)
        * np.exp(0.4 * volume_noise)
    )
    return open_, high, low, close, volume
