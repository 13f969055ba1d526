"""The data fingerprint: a short hash of exactly the candles a backtest uses.

The cache key includes it, so a changed price, a different window or another symbol
makes old cache entries stop matching without anyone clearing the cache. It hashes
the raw bytes of the arrays (after any window), not a file, so the same bars give the
same fingerprint whether they came from CSV, Parquet or memory.
"""

from __future__ import annotations

import hashlib

import numpy as np

from genesis.data._candles import Candles

_VERSION = b"genesis-candles-v1"
_ARRAYS = ("ts_ms", "open", "high", "low", "close", "volume")


def fingerprint(candles: Candles) -> str:
    """Return a 32-character hex BLAKE2b (16-byte) digest of the candles.

    Covers the timestamps, the OHLCV values (their exact float64 bytes), the number of
    bars, the symbol and the timeframe. The ``source`` label is deliberately left out:
    the same bars loaded from two files are the same data. About 1 ms for 50,000 bars.

    Args:
        candles: The bars actually used (after windowing).

    Returns:
        The hex digest.
    """
    digest = hashlib.blake2b(_VERSION, digest_size=16)
    header = f"{candles.symbol}\x00{candles.timeframe}\x00{len(candles)}\x00"
    digest.update(header.encode())
    for name in _ARRAYS:
        digest.update(np.ascontiguousarray(getattr(candles, name)).data)
    return digest.hexdigest()
