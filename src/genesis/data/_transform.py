"""Cutting and coarsening candles: date windows, the last-N "fast window", resampling.

All functions take validated (sorted, duplicate-free) candles and return new
read-only Candles; none of them invents bars: a gap in the input stays a gap.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from genesis.data._candles import Candles, timeframe_ms
from genesis.data._validate import format_ts
from genesis.errors import DataError


def parse_date_ms(text: str) -> int:
    """Parse an ISO 8601 date or date-time (``2019-01-01``, ``2019-01-01T12:00Z``) to epoch ms.

    A time without a zone is taken as UTC.

    Raises:
        DataError: If ``text`` is not ISO 8601.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DataError(
            f"cannot parse date {text!r}", hint="use ISO 8601, e.g. 2019-01-01 or 2019-01-01T00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def window(
    candles: Candles,
    *,
    start: str | None = None,
    end: str | None = None,
    last_n: int | None = None,
) -> Candles:
    """Select bars by date range and/or keep only the most recent ones.

    Args:
        candles: Sorted candles.
        start: First date to keep (inclusive), ISO 8601.
        end: Date to stop at (exclusive), ISO 8601.
        last_n: Keep at most the last ``last_n`` bars of the (date-limited) range; the
            "fast window" for smoke runs.

    Returns:
        The selected bars (views of the input, still read-only).

    Raises:
        DataError: On an unparseable date, ``end`` not after ``start``, a
            non-positive ``last_n`` or an empty selection.
    """
    lo, hi = 0, len(candles)
    if start is not None:
        lo = int(np.searchsorted(candles.ts_ms, parse_date_ms(start), side="left"))
    if end is not None:
        hi = int(np.searchsorted(candles.ts_ms, parse_date_ms(end), side="left"))
    if start is not None and end is not None and parse_date_ms(end) <= parse_date_ms(start):
        raise DataError(f"window end {end} is not after its start {start}")
    if last_n is not None:
        if last_n <= 0:
            raise DataError(f"last_n must be positive, got {last_n}")
        lo = max(lo, hi - last_n)
    if hi <= lo:
        raise DataError(
            f"window start={start} end={end} last_n={last_n} selects no bars",
            where=candles.source or None,
            hint=_range_hint(candles),
        )
    return candles.slice(lo, hi)


def _range_hint(candles: Candles) -> str:
    if len(candles) == 0:
        return "the candles are empty"
    return (
        f"the data covers {format_ts(int(candles.ts_ms[0]))} to {format_ts(int(candles.ts_ms[-1]))}"
    )


def resample(candles: Candles, to: str) -> Candles:
    """Aggregate candles into longer bars aligned to the Unix epoch.

    open = first, high = max, low = min, close = last, volume = sum over the bars
    whose open time falls in ``[k * to, (k + 1) * to)``. Bins without any input bar are
    left out (a gap stays a gap); partly filled bins are kept.

    Args:
        candles: Sorted candles of ``candles.timeframe``.
        to: The target timeframe; a whole multiple of the input's (``"4h"`` from ``"1h"``).

    Returns:
        Candles of timeframe ``to``; the input itself when ``to`` equals its timeframe.

    Raises:
        DataError: If ``to`` is unknown, shorter or not a whole multiple, or the input is empty.
    """
    source_ms, target_ms = timeframe_ms(candles.timeframe), timeframe_ms(to)
    if target_ms == source_ms:
        return candles
    if target_ms < source_ms or target_ms % source_ms:
        raise DataError(
            f"cannot resample {candles.timeframe} candles to {to}",
            hint="the target must be a longer timeframe and a whole multiple of the input's",
        )
    if len(candles) == 0:
        raise DataError("cannot resample empty candles", where=candles.source or None)
    bins = candles.ts_ms // target_ms
    starts = np.flatnonzero(np.concatenate(([True], bins[1:] != bins[:-1])))
    ends = np.concatenate((starts[1:], [len(candles)])) - 1
    return Candles.from_arrays(
        bins[starts] * target_ms,
        candles.open[starts],
        np.maximum.reduceat(candles.high, starts),
        np.minimum.reduceat(candles.low, starts),
        candles.close[ends],
        np.add.reduceat(candles.volume, starts),
        symbol=candles.symbol,
        timeframe=to,
        source=candles.source,
    )
