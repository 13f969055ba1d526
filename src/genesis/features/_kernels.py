"""Numba kernels of the technical indicators: float64 arrays in, float64 arrays out.

Conventions (the same for every kernel here, in the spirit of vectorbt's ``generic/nb.py``):

* Names end in ``_nb``; every kernel is ``@njit(cache=True, nogil=True)`` so a new process
  loads the compiled code from the on-disk cache instead of recompiling, and threads can
  run kernels in parallel.
* Inputs are 1-d C-contiguous float64 arrays of the same length (``Candles`` columns);
  they are assumed finite (``genesis.data`` validates candles). Outputs are new arrays of
  the input's length. Periods are assumed valid: the typed wrappers in
  :mod:`genesis.features.indicators` check them.
* **Warm-up:** an output is NaN until the first bar where the indicator is defined, and
  that first bar is TA-Lib's lookback, so values and NaN positions match TA-Lib (with its
  default, zero "unstable period"):

  ========================  ===========================  =============================
  kernel                    first valid index            seeding
  ========================  ===========================  =============================
  ``sma_nb``                ``period - 1``               running sum
  ``ema_nb``                ``period - 1``               SMA of the first ``period``
  ``rsi_nb``                ``period``                   mean gain/loss of ``period``
                                                         changes, then Wilder
  ``atr_nb``                ``period`` (1 if period=1)   SMA of true ranges 1..period,
                                                         then Wilder
  ``adx_nb`` (+DI, -DI)     ``period``                   Wilder sums of DM/TR
  ``adx_nb`` (ADX)          ``2 * period - 1``           mean of the first ``period`` DX
  ``bbands_nb``             ``period - 1``               SMA ± k · population stdev
  ``donchian_nb``           ``period - 1``               rolling max high / min low
  ========================  ===========================  =============================

* Deliberate differences from TA-Lib, all in degenerate cases only: TA-Lib treats
  ``|x| < 1e-8`` as zero, an absolute threshold that depends on the price scale; these
  kernels test for exact zero instead. An RSI with no movement at all (average gain and
  loss both zero) is 50 (neutral) here, 0 in TA-Lib, which would read as "oversold". A
  stochastic over a window with no range (highest high = lowest low) is 50 here, 0 in
  TA-Lib, for the same reason. A rolling VWAP over bars with no volume at all is NaN
  (undefined; TA-Lib has no VWAP: it is checked against TA-Lib's running ``SUM``). The
  Bollinger deviation uses a rolling Welford update (re-synchronised every ``period``
  bars) instead of TA-Lib's ``E[x²] - E[x]²``, which cancels badly on large prices.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from genesis.data._candles import FloatArray

_NAN = np.nan
_CONTRACT = {"contract"}
"""Let LLVM fuse ``a * b + c`` into one FMA: no reassociation, NaN/inf semantics kept, and
recursive filters (EMA, Wilder) run about twice as fast."""


@njit(cache=True, nogil=True)
def _nan_head(n: int, n_nan: int) -> FloatArray:
    """A new array of ``n`` values whose first ``n_nan`` are NaN (the rest uninitialised)."""
    out = np.empty(n)
    out[: min(n_nan, n)] = _NAN
    return out


@njit(cache=True, nogil=True)
def sma_nb(x: FloatArray, period: int) -> FloatArray:
    """Simple moving average; first valid index ``period - 1``."""
    n = x.shape[0]
    if n < period:
        return np.full(n, _NAN)
    out = _nan_head(n, period - 1)
    total = 0.0
    for i in range(period - 1):
        total += x[i]
    for i in range(period - 1, n):
        total += x[i]
        out[i] = total / period
        total -= x[i - period + 1]
    return out


@njit(cache=True, nogil=True, fastmath=_CONTRACT)
def ema_nb(x: FloatArray, period: int) -> FloatArray:
    """Exponential moving average, ``k = 2 / (period + 1)``, seeded with the SMA of the
    first ``period`` values at index ``period - 1`` (TA-Lib's default)."""
    n = x.shape[0]
    if n < period:
        return np.full(n, _NAN)
    out = _nan_head(n, period - 1)
    k = 2.0 / (period + 1)
    keep = 1.0 - k
    total = 0.0
    for i in range(period):
        total += x[i]
    prev = total / period
    out[period - 1] = prev
    for i in range(period, n):
        prev = prev * keep + x[i] * k  # one fused multiply-add on the critical path
        out[i] = prev
    return out


@njit(cache=True, nogil=True, fastmath=_CONTRACT)
def rsi_nb(x: FloatArray, period: int) -> FloatArray:
    """Wilder's RSI in [0, 100]; first valid index ``period`` (needs ``period`` changes)."""
    n = x.shape[0]
    if n <= period:
        return np.full(n, _NAN)
    out = _nan_head(n, period)
    gain = 0.0
    loss = 0.0
    for i in range(1, period + 1):
        change = x[i] - x[i - 1]
        if change < 0.0:
            loss -= change
        else:
            gain += change
    gain /= period
    loss /= period
    out[period] = _rsi_value(gain, loss)
    keep = (period - 1) / period
    step = 1.0 / period
    for i in range(period + 1, n):
        change = x[i] - x[i - 1]
        up = change if change > 0.0 else 0.0
        down = -change if change < 0.0 else 0.0
        gain = gain * keep + up * step
        loss = loss * keep + down * step
        out[i] = _rsi_value(gain, loss)
    return out


@njit(cache=True, nogil=True, inline="always")
def _rsi_value(gain: float, loss: float) -> float:
    total = gain + loss
    if total == 0.0:
        return 50.0  # no movement at all: neutral, not "oversold" (TA-Lib says 0)
    return 100.0 * (gain / total)


@njit(cache=True, nogil=True, inline="always")
def _true_range(high: float, low: float, prev_close: float) -> float:
    value = high - low
    up = abs(high - prev_close)
    if up > value:
        value = up
    down = abs(low - prev_close)
    if down > value:
        value = down
    return value


@njit(cache=True, nogil=True, fastmath=_CONTRACT)
def atr_nb(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> FloatArray:
    """Wilder's average true range; first valid index ``period`` (the first bar has no
    previous close, so no true range). ``period == 1`` gives the true range itself."""
    n = close.shape[0]
    if n <= period:
        return np.full(n, _NAN)
    out = _nan_head(n, period)
    total = 0.0
    for i in range(1, period + 1):
        total += _true_range(high[i], low[i], close[i - 1])
    prev = total / period
    out[period] = prev
    keep = (period - 1) / period
    step = 1.0 / period
    for i in range(period + 1, n):
        prev = prev * keep + _true_range(high[i], low[i], close[i - 1]) * step
        out[i] = prev
    return out


@njit(cache=True, nogil=True)
def adx_nb(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Wilder's ADX with its +DI and -DI, each in [0, 100].

    Returns:
        ``(adx, plus_di, minus_di)``: the DIs are valid from index ``period``, the ADX
        from ``2 * period - 1`` (the mean of the first ``period`` DX values, then Wilder).
        A bar whose smoothed true range is zero has DIs of 0 and carries the ADX forward.
    """
    n = close.shape[0]
    adx = np.full(n, _NAN)
    plus_di = np.full(n, _NAN)
    minus_di = np.full(n, _NAN)
    if n <= period:
        return adx, plus_di, minus_di
    plus_dm = 0.0
    minus_dm = 0.0
    tr = 0.0
    dx_sum = 0.0
    prev_adx = 0.0
    for i in range(1, n):
        up = high[i] - high[i - 1]
        down = low[i - 1] - low[i]
        if i >= period:  # past the first period - 1 bars: Wilder-smooth the sums
            plus_dm -= plus_dm / period
            minus_dm -= minus_dm / period
            tr -= tr / period
        if down > 0.0 and up < down:
            minus_dm += down
        elif up > 0.0 and up > down:
            plus_dm += up
        tr += _true_range(high[i], low[i], close[i - 1])
        if i < period:
            continue
        dx = -1.0  # undefined
        if tr != 0.0:
            pdi = 100.0 * (plus_dm / tr)
            mdi = 100.0 * (minus_dm / tr)
            plus_di[i] = pdi
            minus_di[i] = mdi
            if pdi + mdi != 0.0:
                dx = 100.0 * (abs(mdi - pdi) / (pdi + mdi))
        else:
            plus_di[i] = 0.0
            minus_di[i] = 0.0
        if i < 2 * period - 1:
            if dx >= 0.0:
                dx_sum += dx
        elif i == 2 * period - 1:
            if dx >= 0.0:
                dx_sum += dx
            prev_adx = dx_sum / period
            adx[i] = prev_adx
        else:
            if dx >= 0.0:
                prev_adx = (prev_adx * (period - 1) + dx) / period
            adx[i] = prev_adx
    return adx, plus_di, minus_di


@njit(cache=True, nogil=True)
def rolling_std_nb(x: FloatArray, period: int) -> FloatArray:
    """Rolling population standard deviation; first valid index ``period - 1``.

    A Welford update per bar (add the new value, drop the oldest), recomputed exactly every
    ``period`` bars so that rounding cannot accumulate over long series.
    """
    n = x.shape[0]
    out = np.full(n, _NAN)
    mean = 0.0
    m2 = 0.0
    for i in range(period - 1, n):
        if (i - period + 1) % period == 0:
            mean = 0.0
            for j in range(i - period + 1, i + 1):
                mean += x[j]
            mean /= period
            m2 = 0.0
            for j in range(i - period + 1, i + 1):
                m2 += (x[j] - mean) * (x[j] - mean)
        else:
            new = x[i]
            old = x[i - period]
            new_mean = mean + (new - old) / period
            m2 += (new - old) * (new - new_mean + old - mean)
            mean = new_mean
        out[i] = np.sqrt(m2 / period) if m2 > 0.0 else 0.0
    return out


@njit(cache=True, nogil=True)
def bbands_nb(x: FloatArray, period: int, k: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bollinger bands: ``(middle, upper, lower)`` = SMA, SMA ± k · population stdev.

    First valid index ``period - 1``.
    """
    middle = sma_nb(x, period)
    std = rolling_std_nb(x, period)
    upper = middle + k * std
    lower = middle - k * std
    return middle, upper, lower


@njit(cache=True, nogil=True)
def rolling_max_nb(x: FloatArray, period: int) -> FloatArray:
    """Highest value of the last ``period`` bars (this one included); first valid
    index ``period - 1``. Amortised O(n): rescans only when the maximum leaves the window."""
    n = x.shape[0]
    out = np.full(n, _NAN)
    best_idx = -1
    best = 0.0
    for i in range(period - 1, n):
        start = i - period + 1
        if best_idx < start:
            best_idx = start
            best = x[start]
            for j in range(start + 1, i + 1):
                if x[j] >= best:
                    best_idx = j
                    best = x[j]
        elif x[i] >= best:
            best_idx = i
            best = x[i]
        out[i] = best
    return out


@njit(cache=True, nogil=True)
def rolling_min_nb(x: FloatArray, period: int) -> FloatArray:
    """Lowest value of the last ``period`` bars (this one included); first valid index
    ``period - 1``."""
    n = x.shape[0]
    out = np.full(n, _NAN)
    best_idx = -1
    best = 0.0
    for i in range(period - 1, n):
        start = i - period + 1
        if best_idx < start:
            best_idx = start
            best = x[start]
            for j in range(start + 1, i + 1):
                if x[j] <= best:
                    best_idx = j
                    best = x[j]
        elif x[i] <= best:
            best_idx = i
            best = x[i]
        out[i] = best
    return out


@njit(cache=True, nogil=True)
def donchian_nb(high: FloatArray, low: FloatArray, period: int) -> tuple[FloatArray, FloatArray]:
    """Donchian channel ``(upper, lower)``: rolling max of ``high`` and min of ``low`` over
    the last ``period`` bars *including* the current one; first valid index
    ``period - 1``. A breakout rule compares against the previous bar's channel."""
    return rolling_max_nb(high, period), rolling_min_nb(low, period)


@njit(cache=True, nogil=True, fastmath=_CONTRACT)
def _ema_from_nb(x: FloatArray, period: int, seed_end: int, out: FloatArray) -> None:
    """Fill ``out[seed_end:]`` with an EMA of ``x`` seeded at ``seed_end`` by the SMA of
    ``x[seed_end - period + 1 : seed_end + 1]`` (TA-Lib's ``INT_EMA`` from a start index)."""
    k = 2.0 / (period + 1)
    keep = 1.0 - k
    total = 0.0
    for i in range(seed_end - period + 1, seed_end + 1):
        total += x[i]
    prev = total / period
    out[seed_end] = prev
    for i in range(seed_end + 1, x.shape[0]):
        prev = prev * keep + x[i] * k
        out[i] = prev


@njit(cache=True, nogil=True)
def macd_nb(
    x: FloatArray, fast: int, slow: int, signal: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD ``(line, signal, histogram)``: fast EMA − slow EMA, its EMA, their difference.

    Requires ``fast < slow``. Both EMAs start at ``slow - 1`` (the fast one seeded there
    with the SMA of its last ``fast`` values, as TA-Lib does); every output is NaN until
    the signal is defined, at ``slow + signal - 2``.
    """
    n = x.shape[0]
    first = slow + signal - 2
    line = np.full(n, _NAN)
    sig = np.full(n, _NAN)
    hist = np.full(n, _NAN)
    if n <= first:
        return line, sig, hist
    fast_ema = np.empty(n)
    slow_ema = np.empty(n)
    _ema_from_nb(x, fast, slow - 1, fast_ema)
    _ema_from_nb(x, slow, slow - 1, slow_ema)
    raw = fast_ema[slow - 1 :] - slow_ema[slow - 1 :]
    smoothed = np.empty(raw.shape[0])
    _ema_from_nb(raw, signal, signal - 1, smoothed)
    for i in range(first, n):
        line[i] = raw[i - slow + 1]
        sig[i] = smoothed[i - slow + 1]
        hist[i] = line[i] - sig[i]
    return line, sig, hist


@njit(cache=True, nogil=True)
def stoch_nb(
    high: FloatArray, low: FloatArray, close: FloatArray, k: int, smooth_k: int, d: int
) -> tuple[FloatArray, FloatArray]:
    """Stochastic oscillator ``(%K, %D)`` in [0, 100].

    Raw %K is where the close sits in the last ``k`` bars' range (50 when the range is
    zero); %K is its SMA over ``smooth_k`` bars (1 = the fast stochastic), %D the SMA of
    %K over ``d`` bars. Both are NaN until ``k + smooth_k + d - 3``.
    """
    n = close.shape[0]
    first = k + smooth_k + d - 3
    pct_k = np.full(n, _NAN)
    pct_d = np.full(n, _NAN)
    if n <= first:
        return pct_k, pct_d
    highest = rolling_max_nb(high, k)
    lowest = rolling_min_nb(low, k)
    raw = np.empty(n - k + 1)
    for i in range(k - 1, n):
        span = highest[i] - lowest[i]
        raw[i - k + 1] = 50.0 if span == 0.0 else 100.0 * ((close[i] - lowest[i]) / span)
    slow_k = sma_nb(raw, smooth_k)
    slow_d = sma_nb(slow_k[smooth_k - 1 :], d)
    for i in range(first, n):
        pct_k[i] = slow_k[i - k + 1]
        pct_d[i] = slow_d[i - k - smooth_k + 2]
    return pct_k, pct_d


@njit(cache=True, nogil=True)
def vwap_nb(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray, period: int
) -> FloatArray:
    """Rolling volume-weighted average of the typical price ``(high + low + close) / 3``
    over the last ``period`` bars; first valid index ``period - 1``; NaN where those bars
    traded no volume at all."""
    n = close.shape[0]
    out = np.full(n, _NAN)
    if n < period:
        return out
    weighted = 0.0
    total = 0.0
    for i in range(n):
        weighted += (high[i] + low[i] + close[i]) / 3.0 * volume[i]
        total += volume[i]
        if i >= period - 1:
            if total > 0.0:
                out[i] = weighted / total
            old = i - period + 1
            weighted -= (high[old] + low[old] + close[old]) / 3.0 * volume[old]
            total -= volume[old]
    return out
