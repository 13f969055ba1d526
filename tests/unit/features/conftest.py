"""Candles for the feature tests: two real series shipped with backtesting.py and a
random walk built here (independent of genesis.data's generator)."""

from __future__ import annotations

import numpy as np
import pytest

from genesis.data._candles import Candles


def random_walk_candles(n_bars: int = 5_000, seed: int = 7, start: float = 100.0) -> Candles:
    """OHLC bars around a geometric random walk, with consistent highs and lows."""
    rng = np.random.default_rng(seed)
    close = start * np.exp(np.cumsum(rng.normal(0.0, 0.01, n_bars)))
    open_ = np.concatenate(([start], close[:-1]))
    wick = np.abs(rng.normal(0.0, 0.004, (2, n_bars))) * close
    high = np.maximum(open_, close) + wick[0]
    low = np.minimum(open_, close) - wick[1]
    ts_ms = np.arange(n_bars, dtype=np.int64) * 3_600_000
    return Candles.from_arrays(ts_ms, open_, high, low, close, rng.uniform(1, 10, n_bars))


def frame_candles(name: str) -> Candles:
    """Candles from one of backtesting.py's bundled DataFrames (``EURUSD`` or ``GOOG``)."""
    import backtesting.test as bundled

    frame = getattr(bundled, name)
    ts_ms = frame.index.to_numpy(dtype="datetime64[ms]").astype(np.int64)
    columns = (frame[c].to_numpy(dtype=np.float64) for c in ("Open", "High", "Low", "Close"))
    return Candles.from_arrays(
        ts_ms, *columns, frame["Volume"].to_numpy(dtype=np.float64), symbol=name
    )


@pytest.fixture(scope="session", params=["EURUSD", "GOOG", "random_walk"])
def candles(request: pytest.FixtureRequest) -> Candles:
    """Each test using this runs on hourly EURUSD, daily GOOG and a random walk."""
    if request.param == "random_walk":
        return random_walk_candles()
    return frame_candles(request.param)
