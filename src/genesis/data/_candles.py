"""The Candles container: frozen OHLCV arrays plus symbol and timeframe.

Conventions: ``ts_ms`` is the *open* time of each bar in epoch milliseconds (int64,
strictly increasing); prices and volume are float64. Arrays are read-only so that a
Candles value can be shared by the feature store, the engine and the cache safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TIMEFRAME_MS: dict[str, int] = {
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "1w": 604_800_000,
}

_YEAR_MS = 365.25 * 86_400_000


def timeframe_ms(timeframe: str) -> int:
    """Return the length of one bar of ``timeframe`` (e.g. ``"1h"``) in milliseconds."""
    try:
        return TIMEFRAME_MS[timeframe]
    except KeyError:
        from genesis.errors import DataError

        known = ", ".join(TIMEFRAME_MS)
        raise DataError(f"unknown timeframe {timeframe!r}", hint=f"use one of {known}") from None


def _readonly(values: npt.ArrayLike, dtype: type) -> npt.NDArray:  # type: ignore[type-arg]
    array: npt.NDArray[np.generic] = np.ascontiguousarray(values, dtype=dtype)
    if array.base is not None or array.flags.writeable:
        array = array.copy()
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Candles:
    """OHLCV bars of one symbol and timeframe, as read-only numpy arrays.

    Build with :meth:`from_arrays` (which copies and freezes the arrays); validation
    lives in :func:`genesis.data.validate_candles`.
    """

    ts_ms: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    symbol: str = "UNKNOWN"
    timeframe: str = "1h"
    source: str = field(default="", compare=False)

    @classmethod
    def from_arrays(
        cls,
        ts_ms: npt.ArrayLike,
        open: npt.ArrayLike,  # noqa: A002 - OHLCV names are the domain's
        high: npt.ArrayLike,
        low: npt.ArrayLike,
        close: npt.ArrayLike,
        volume: npt.ArrayLike,
        *,
        symbol: str = "UNKNOWN",
        timeframe: str = "1h",
        source: str = "",
    ) -> Candles:
        """Copy the arrays into a frozen Candles (int64 times, float64 values)."""
        return cls(
            ts_ms=_readonly(ts_ms, np.int64),
            open=_readonly(open, np.float64),
            high=_readonly(high, np.float64),
            low=_readonly(low, np.float64),
            close=_readonly(close, np.float64),
            volume=_readonly(volume, np.float64),
            symbol=symbol,
            timeframe=timeframe,
            source=source,
        )

    def __len__(self) -> int:
        return int(self.ts_ms.shape[0])

    def slice(self, start: int, stop: int) -> Candles:
        """Bars ``[start, stop)`` as a new Candles (views, still read-only)."""
        return Candles(
            ts_ms=self.ts_ms[start:stop],
            open=self.open[start:stop],
            high=self.high[start:stop],
            low=self.low[start:stop],
            close=self.close[start:stop],
            volume=self.volume[start:stop],
            symbol=self.symbol,
            timeframe=self.timeframe,
            source=self.source,
        )

    @property
    def bars_per_year(self) -> float:
        """How many bars of this timeframe fit in a (365.25-day) year."""
        return _YEAR_MS / timeframe_ms(self.timeframe)
