"""Technical indicators on candles, computed once per process and shared read-only.

Strategies receive a :class:`Features` view (``features.ema(20)``, ``features.atr(14)``,
``features.macd()``, ``features.ema(9, of=series)`` …) backed by a :class:`FeatureStore`;
the plain functions compute one indicator on arrays. Numba kernels live in ``_kernels``
(their warm-up convention matches TA-Lib). :func:`higher_timeframe` gives indicators of a
coarser timeframe aligned on the strategy's bars without look-ahead (see ``timeframe``).
"""

from __future__ import annotations

from genesis.features._store import INDICATOR_NAMES, Features, FeatureStore
from genesis.features.indicators import (
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
from genesis.features.timeframe import HigherTimeframe, higher_timeframe

__all__ = [
    "INDICATOR_NAMES",
    "FeatureStore",
    "Features",
    "HigherTimeframe",
    "adx",
    "atr",
    "bbands",
    "donchian",
    "ema",
    "higher_timeframe",
    "highest",
    "lowest",
    "macd",
    "rsi",
    "sma",
    "stoch",
    "vwap",
]
