"""Higher-timeframe features: indicators of coarser bars, used only once those bars closed.

A strategy on 1h candles may want the 4h or the daily trend. :func:`higher_timeframe`
gives it a :class:`HigherTimeframe` view: the candles resampled to the coarser timeframe
(:func:`resample`), a :class:`~genesis.features.Features` view of them backed by the same
store (so every coarse indicator is computed once), and :meth:`HigherTimeframe.get`,
which returns a coarse indicator aligned on the strategy's own bars.

Conventions:
    * Coarse periods are aligned to the Unix epoch in UTC: a 4h bar opens at 00:00,
      04:00, …; a 1d bar at 00:00 UTC; a 1w bar on Thursday 00:00 UTC (the epoch's
      weekday). The coarse timeframe must be a whole multiple of the candles' one.
    * A coarse bar is built from the bars of its period that exist (a gap leaves them
      out; no bar is invented): the first open, the highest high, the lowest low, the
      last close, the summed volume. A period the data only partly covers at either end
      (the data starts or stops inside it) is dropped: its bar would be wrong.
    * No look-ahead: a bar closes at its open time plus its length. Bar ``i`` of the
      strategy sees the last coarse bar whose close is at or before bar ``i``'s close
      (a 1h bar opening at 03:00 sees the 00:00–04:00 bar, both close at 04:00; the one
      at 02:00 sees only the bar before). Before the first such bar the value is NaN.
      So truncating the data never changes a value on the bars that remain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from genesis.data._candles import Candles, timeframe_ms
from genesis.errors import DataError, StrategyError

if TYPE_CHECKING:
    from genesis.data._candles import FloatArray, IntArray
    from genesis.features._store import Features, FeatureValue, Param

__all__ = ["HigherTimeframe", "closed_index", "higher_timeframe", "resample"]


def _lengths_ms(candles: Candles, timeframe: str) -> tuple[int, int]:
    """``(fine, coarse)`` bar lengths in ms, or StrategyError saying why not coarser."""
    try:
        fine, coarse = timeframe_ms(candles.timeframe), timeframe_ms(timeframe)
    except DataError as error:
        raise StrategyError(f"higher timeframe: {error.message}", hint=error.hint) from None
    if coarse <= fine or coarse % fine:
        raise StrategyError(
            f"higher timeframe {timeframe!r} is not a whole multiple (> 1) of the candles' "
            f"{candles.timeframe!r}",
            hint="ask for a coarser timeframe, e.g. '4h' or '1d' on 1h candles",
        )
    return fine, coarse


def resample(candles: Candles, timeframe: str) -> Candles:
    """The complete bars of ``timeframe`` built from ``candles`` (see the module docstring).

    Raises:
        StrategyError: If ``timeframe`` is unknown or not a whole multiple (> 1) of the
            candles' timeframe.
    """
    fine, coarse = _lengths_ms(candles, timeframe)
    ts = candles.ts_ms
    if len(ts) == 0:
        return _coarse_candles(candles, timeframe, np.zeros(0, np.int64), [np.zeros(0)] * 5)
    period = ts // coarse
    starts = np.flatnonzero(np.r_[True, period[1:] != period[:-1]])
    ends = np.r_[starts[1:], len(ts)]
    keep = np.ones(len(starts), dtype=bool)
    keep[0] = ts[0] == period[0] * coarse  # the data starts inside the first period
    keep[-1] &= ts[-1] + fine >= (period[-1] + 1) * coarse  # or stops inside the last
    columns = [
        candles.open[starts],
        np.maximum.reduceat(candles.high, starts),
        np.minimum.reduceat(candles.low, starts),
        candles.close[ends - 1],
        np.add.reduceat(candles.volume, starts),
    ]
    return _coarse_candles(
        candles, timeframe, period[starts][keep] * coarse, [c[keep] for c in columns]
    )


def _coarse_candles(
    candles: Candles, timeframe: str, ts_ms: IntArray, columns: list[FloatArray]
) -> Candles:
    return Candles.from_arrays(
        ts_ms, *columns, symbol=candles.symbol, timeframe=timeframe, source=candles.source
    )


def closed_index(candles: Candles, coarse: Candles) -> IntArray:
    """For each bar of ``candles``, the last bar of ``coarse`` closed by its close, or -1."""
    fine_close = candles.ts_ms + timeframe_ms(candles.timeframe)
    coarse_close = coarse.ts_ms + timeframe_ms(coarse.timeframe)
    index: IntArray = np.searchsorted(coarse_close, fine_close, side="right") - 1
    index.setflags(write=False)
    return index


@dataclass(frozen=True)
class HigherTimeframe:
    """Indicators of a coarser timeframe, aligned on the strategy's bars.

    Attributes:
        timeframe: The coarse timeframe, e.g. ``"4h"``.
        features: A Features view of the coarse bars (same store as the strategy's).
        index: For each of the strategy's bars, the coarse bar it may use (-1: none yet).
        fine: The strategy's own candles.
    """

    timeframe: str
    features: Features
    index: IntArray
    fine: Candles

    @property
    def candles(self) -> Candles:
        """The coarse bars (complete periods only)."""
        return self.features.candles

    def align(self, values: npt.ArrayLike) -> FloatArray:
        """A per-coarse-bar series as one value per strategy bar (NaN before the first)."""
        series = np.asarray(values, dtype=np.float64)
        if series.shape != (len(self.candles),):
            raise StrategyError(
                f"a {self.timeframe} series must have one value per {self.timeframe} bar "
                f"({len(self.candles)}), got shape {series.shape}"
            )
        out = np.full(self.index.shape[0], np.nan)
        seen = self.index >= 0
        out[seen] = series[self.index[seen]]
        out.setflags(write=False)
        return out

    def get(self, name: str, *params: Param) -> FeatureValue:
        """Coarse indicator ``name`` (as :meth:`Features.get`), aligned on the strategy's bars.

        Computed and aligned once per store; later calls return the same arrays.
        """

        def make() -> FeatureValue:
            value = self.features.get(name, *params)
            if isinstance(value, tuple):
                return tuple(self.align(v) for v in value)
            return self.align(value)

        key = ("timeframe", self.timeframe, name, params)
        return self.features.store.derived(self.fine, key, make)

    def column(self, name: str) -> FloatArray:
        """A coarse OHLCV column (``"close"`` …), aligned on the strategy's bars."""
        return self.features.store.derived(
            self.fine,
            ("timeframe", self.timeframe, "column", name),
            lambda: self.align(getattr(self.candles, name)),
        )


def higher_timeframe(features: Features, timeframe: str) -> HigherTimeframe:
    """The ``timeframe`` view of a strategy's features (made once per store and candles).

    Raises:
        StrategyError: If ``timeframe`` is unknown or not a whole multiple (> 1) of the
            candles' timeframe.
    """
    from genesis.features._store import Features

    fine = features.candles
    store = features.store

    def make() -> HigherTimeframe:
        coarse = resample(fine, timeframe)
        index = closed_index(fine, coarse)
        return HigherTimeframe(timeframe, Features(coarse, store), index, fine)

    return store.derived(fine, ("timeframe", timeframe), make)
