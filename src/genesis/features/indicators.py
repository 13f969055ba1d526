"""Typed wrappers of the indicator kernels: check the arguments, then call the kernel.

Each function takes float64 arrays (usually :class:`~genesis.data.Candles` columns) and
returns new float64 arrays of the same length, NaN during the warm-up (see
:mod:`genesis.features._kernels` for the first valid index of each). A bad period raises
:class:`~genesis.errors.StrategyError`, because periods come from strategy parameters and
a bad one must fail the trial, not the run.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from genesis.data._candles import FloatArray
from genesis.errors import StrategyError
from genesis.features import _kernels as nb


def _period(name: str, period: object, minimum: int) -> int:
    """Return ``period`` as an int (``20.0`` is 20), or raise StrategyError saying why not."""
    if isinstance(period, bool) or not isinstance(period, int | float | np.integer):
        raise StrategyError(f"{name} period must be an integer, got {period!r}")
    if isinstance(period, float) and not period.is_integer():
        raise StrategyError(f"{name} period must be an integer, got {period!r}")
    value = int(period)
    if value < minimum:
        raise StrategyError(f"{name} period must be >= {minimum}, got {value}")
    return value


def _column(values: npt.ArrayLike) -> FloatArray:
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise StrategyError(f"indicator input must be 1-dimensional, got shape {array.shape}")
    return array


def sma(close: npt.ArrayLike, period: int) -> FloatArray:
    """Simple moving average of ``close`` (any series); valid from index ``period - 1``."""
    return nb.sma_nb(_column(close), _period("SMA", period, 1))  # type: ignore[no-any-return]


def ema(close: npt.ArrayLike, period: int) -> FloatArray:
    """Exponential moving average of any series, seeded with an SMA; valid from ``period - 1``."""
    return nb.ema_nb(_column(close), _period("EMA", period, 1))  # type: ignore[no-any-return]


def rsi(close: npt.ArrayLike, period: int) -> FloatArray:
    """Wilder's relative strength index in [0, 100]; valid from index ``period``."""
    return nb.rsi_nb(_column(close), _period("RSI", period, 2))  # type: ignore[no-any-return]


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int) -> FloatArray:
    """Wilder's average true range; valid from index ``period``."""
    p = _period("ATR", period, 1)
    return nb.atr_nb(_column(high), _column(low), _column(close), p)  # type: ignore[no-any-return]


def adx(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Wilder's ADX and directional indicators.

    Returns:
        ``(adx, plus_di, minus_di)``; the DIs are valid from index ``period``, the ADX from
        ``2 * period - 1``.
    """
    p = _period("ADX", period, 2)
    return nb.adx_nb(_column(high), _column(low), _column(close), p)  # type: ignore[no-any-return]


def bbands(
    close: npt.ArrayLike, period: int, k: float = 2.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bollinger bands around the SMA at ``k`` population standard deviations.

    Returns:
        ``(middle, upper, lower)``, valid from index ``period - 1``.
    """
    p = _period("Bollinger", period, 2)
    if isinstance(k, bool) or not isinstance(k, int | float) or not math.isfinite(k) or k < 0:
        raise StrategyError(f"Bollinger width k must be a finite number >= 0, got {k!r}")
    return nb.bbands_nb(_column(close), p, float(k))  # type: ignore[no-any-return]


def donchian(high: npt.ArrayLike, low: npt.ArrayLike, period: int) -> tuple[FloatArray, FloatArray]:
    """Donchian channel over the last ``period`` bars, the current one included.

    Returns:
        ``(upper, lower)``: rolling max of ``high`` and min of ``low``, valid from index
        ``period - 1``. Compare a close with the *previous* bar's channel to find breakouts.
    """
    p = _period("Donchian", period, 1)
    return nb.donchian_nb(_column(high), _column(low), p)  # type: ignore[no-any-return]


def highest(x: npt.ArrayLike, period: int) -> FloatArray:
    """Highest value of the last ``period`` bars, this one included (TA-Lib's MAX).

    Valid from index ``period - 1``. For a breakout compare with the previous bar's value.
    """
    p = _period("highest", period, 1)
    return nb.rolling_max_nb(_column(x), p)  # type: ignore[no-any-return]


def lowest(x: npt.ArrayLike, period: int) -> FloatArray:
    """Lowest value of the last ``period`` bars, this one included (TA-Lib's MIN)."""
    p = _period("lowest", period, 1)
    return nb.rolling_min_nb(_column(x), p)  # type: ignore[no-any-return]


def macd(
    close: npt.ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD: the fast EMA minus the slow EMA, its signal EMA, and their difference.

    Returns:
        ``(line, signal, histogram)``, all valid from index ``slow + signal - 2``.

    Raises:
        StrategyError: on a bad period, or ``fast >= slow``.
    """
    f, sl = _period("MACD fast", fast, 1), _period("MACD slow", slow, 2)
    sg = _period("MACD signal", signal, 1)
    if f >= sl:
        raise StrategyError(f"MACD fast period must be < slow, got fast={f}, slow={sl}")
    return nb.macd_nb(_column(close), f, sl, sg)  # type: ignore[no-any-return]


def stoch(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    k: int = 14,
    smooth_k: int = 3,
    d: int = 3,
) -> tuple[FloatArray, FloatArray]:
    """Stochastic oscillator in [0, 100] (TA-Lib's STOCH with simple averages).

    Args:
        k: Bars of the high-low range the close is placed in.
        smooth_k: SMA of the raw %K; 1 gives the fast stochastic.
        d: SMA of %K that makes %D.

    Returns:
        ``(pct_k, pct_d)``, both valid from index ``k + smooth_k + d - 3``.
    """
    p = _period("stochastic %K", k, 1)
    s, dp = _period("stochastic smoothing", smooth_k, 1), _period("stochastic %D", d, 1)
    columns = (_column(high), _column(low), _column(close))
    return nb.stoch_nb(*columns, p, s, dp)  # type: ignore[no-any-return]


def vwap(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    period: int,
) -> FloatArray:
    """Rolling VWAP: the volume-weighted mean of the typical price ``(h + l + c) / 3``.

    Valid from index ``period - 1``; NaN where the last ``period`` bars had no volume.
    """
    p = _period("VWAP", period, 1)
    columns = (_column(high), _column(low), _column(close), _column(volume))
    return nb.vwap_nb(*columns, p)  # type: ignore[no-any-return]


__all__ = [
    "adx", "atr", "bbands", "donchian", "ema", "highest", "lowest", "macd", "rsi", "sma",
    "stoch", "vwap",
]  # fmt: skip
