"""Suspect ticks: bars whose high-low range is far outside their neighbours'.

A bad tick (a 0.01 low printed in a ~$100 market, a fat-fingered high) is a valid row —
positive, finite, ``low <= open, close <= high`` — so validation lets it through, yet it
fires every stop it crosses. ``genesis data inspect`` reports such bars without refusing
the file: a real crash looks the same from the bars alone, and only a person can tell.

A bar is suspect when its range, measured as ``log(high / low)`` (scale-free, and the
same as the percentage for small ranges), is more than :data:`RANGE_RATIO` times the
median range of the :data:`NEIGHBOURS` bars on each side of it, and at least
:data:`MIN_RANGE_PCT` percent (so quiet markets' ordinary bars are not flagged).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from genesis.data._candles import Candles
from genesis.data._validate import format_ts

RANGE_RATIO = 10.0
"""How many times the neighbours' median range a suspect bar's range exceeds."""

MIN_RANGE_PCT = 10.0
"""The smallest range, in percent of the low, that can be suspect."""

NEIGHBOURS = 12
"""Bars on each side that a bar's range is compared with."""


@dataclass(frozen=True)
class SuspectTick:
    """One bar whose range is far outside its neighbours' (see the module docstring)."""

    line: int
    ts_ms: int
    high: float
    low: float
    range_pct: float
    neighbours_pct: float

    def __str__(self) -> str:
        return (
            f"{self.line} ({format_ts(self.ts_ms)}): high {self.high:,.8g}, low {self.low:,.8g}: "
            f"a range of {self.range_pct:,.1f}% where the {2 * NEIGHBOURS} bars around it "
            f"have a median of {self.neighbours_pct:,.2f}%"
        )


def find_suspect_ticks(candles: Candles, *, first_line: int = 1) -> tuple[SuspectTick, ...]:
    """Every suspect bar of ``candles`` (valid rows assumed), in row order.

    Args:
        candles: The bars to check (positive, finite prices).
        first_line: The 1-based line of row 0 in its file (2 for a CSV with a header).
    """
    n = len(candles)
    if n < 3:
        return ()
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.log(candles.high / candles.low)
    padded = np.concatenate([np.full(NEIGHBOURS, np.nan), spread, np.full(NEIGHBOURS, np.nan)])
    around = sliding_window_view(padded, 2 * NEIGHBOURS + 1).copy()
    around[:, NEIGHBOURS] = np.nan  # the bar itself is not its own neighbour
    typical = np.nanmedian(around, axis=1)
    floor = np.log1p(MIN_RANGE_PCT / 100.0)
    with np.errstate(invalid="ignore"):
        hits = np.flatnonzero((spread > RANGE_RATIO * typical) & (spread >= floor))
    return tuple(
        SuspectTick(
            line=int(i) + first_line,
            ts_ms=int(candles.ts_ms[i]),
            high=float(candles.high[i]),
            low=float(candles.low[i]),
            range_pct=float(np.expm1(spread[i]) * 100.0),
            neighbours_pct=float(np.expm1(typical[i]) * 100.0),
        )
        for i in hits
    )
