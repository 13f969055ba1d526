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
    """Simple moving average of ``close``; valid from index ``period - 1``."""
    return nb.sma_nb(_column(close), _period("SMA", period, 1))  # type: ignore[no-any-return]


def ema(close: npt.ArrayLike, period: int) -> FloatArray:
    """Exponential moving average, seeded with an SMA; valid from index ``period - 1``."""
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


__all__ = ["adx", "atr", "bbands", "donchian", "ema", "rsi", "sma"]
