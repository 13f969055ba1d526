"""Technical indicators on candles, computed once per process and shared read-only.

Strategies receive a :class:`Features` view (``features.ema(20)``, ``features.atr(14)``
…) backed by a :class:`FeatureStore`; the plain functions compute one indicator on
arrays. Numba kernels live in ``_kernels`` (their warm-up convention matches TA-Lib).
"""

from __future__ import annotations

from genesis.features._store import INDICATOR_NAMES, Features, FeatureStore
from genesis.features.indicators import adx, atr, bbands, donchian, ema, rsi, sma

__all__ = [
    "INDICATOR_NAMES",
    "FeatureStore",
    "Features",
    "adx",
    "atr",
    "bbands",
    "donchian",
    "ema",
    "rsi",
    "sma",
]
