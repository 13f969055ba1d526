"""Random-walk candles for the strategy tests (independent of genesis.data's generator)."""

from __future__ import annotations

import numpy as np

from genesis.data._candles import Candles


def random_walk_candles(
    n_bars: int = 3_000, seed: int = 11, start: float = 100.0, *, close: np.ndarray | None = None
) -> Candles:
    """OHLC bars around a geometric random walk (or around ``close`` when given)."""
    if close is not None:
        n_bars = len(close)
    rng = np.random.default_rng(seed)
    walk = start * np.exp(np.cumsum(rng.normal(0.0, 0.01, n_bars)))
    close = walk if close is None else close  # same rng draws either way: same wicks
    open_ = np.concatenate(([close[0]], close[:-1]))
    wick = np.abs(rng.normal(0.0, 0.004, (2, n_bars))) * close
    high = np.maximum(open_, close) + wick[0]
    low = np.minimum(open_, close) - wick[1]
    ts_ms = np.arange(n_bars, dtype=np.int64) * 3_600_000
    return Candles.from_arrays(ts_ms, open_, high, low, close, rng.uniform(1, 10, n_bars))
