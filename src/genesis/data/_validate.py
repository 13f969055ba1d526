"""Candle validation: bad rows are errors, gaps are facts.

Owns :func:`validate_candles` (raise on the first bad row, report the rest),
:func:`collect_problems` (every bad row, for ``genesis data inspect``), timeframe
detection and the :class:`DataReport` / :class:`Gap` / :class:`Problem` records.

A row is bad when its timestamp is not after the previous row's (duplicate or out of
order), a value is NaN or infinite, a price is not positive, ``high < max(open,
close)``, ``low > min(open, close)``, or the volume is negative. Missing bars (gaps)
are normal in real exchange data and are only counted. Rows are numbered by their
line in the file: ``first_line`` is the line of row 0 (2 for a CSV with a header).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from genesis.data._candles import TIMEFRAME_MS, Candles, IntArray
from genesis.errors import DataError

_PRICES = ("open", "high", "low", "close")
_NAME_BY_MS = {ms: name for name, ms in TIMEFRAME_MS.items()}


def format_ts(ts_ms: int) -> str:
    """Format epoch milliseconds as ISO 8601 UTC, e.g. ``2018-01-01T00:00:00Z``."""
    moment = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Problem:
    """One bad row: its line (1-based, in the file when known), timestamp and what is wrong.

    ``str()`` gives ``LINE (TIMESTAMP): MESSAGE``; prefix it with the file name.
    """

    line: int
    ts_ms: int
    message: str

    def __str__(self) -> str:
        return f"{self.line} ({format_ts(self.ts_ms)}): {self.message}"


@dataclass(frozen=True)
class Gap:
    """A run of missing bars: ``start_ms`` is the first missing bar, ``end_ms`` the next bar."""

    start_ms: int
    end_ms: int
    n_missing: int

    def __str__(self) -> str:
        bars = "bar" if self.n_missing == 1 else "bars"
        return f"{format_ts(self.start_ms)} .. {format_ts(self.end_ms)} ({self.n_missing:,} {bars})"


@dataclass(frozen=True)
class DataReport:
    """What validation learned about a series of candles.

    Attributes:
        n_rows: Number of bars.
        start_ms: Open time of the first bar (epoch ms).
        end_ms: Open time of the last bar (epoch ms).
        timeframe: Detected timeframe (mode of the timestamp steps), None if unknown.
        n_gaps: Number of runs of missing bars.
        n_missing_bars: Total missing bars over all gaps.
        largest_gap: The longest gap, None without gaps.
        gaps: Every gap, in time order.
    """

    n_rows: int
    start_ms: int
    end_ms: int
    timeframe: str | None
    n_gaps: int
    n_missing_bars: int
    largest_gap: Gap | None
    gaps: tuple[Gap, ...]

    @property
    def start(self) -> str:
        """ISO 8601 open time of the first bar."""
        return format_ts(self.start_ms)

    @property
    def end(self) -> str:
        """ISO 8601 open time of the last bar."""
        return format_ts(self.end_ms)


def detect_bar_ms(ts_ms: IntArray) -> int | None:
    """The most common step between distinct timestamps, None with fewer than two of them.

    Steps are taken by size, so an out-of-order file still shows its timeframe.
    """
    steps = np.abs(np.diff(ts_ms))
    steps = steps[steps > 0]
    if steps.size == 0:
        return None
    values, counts = np.unique(steps, return_counts=True)
    return int(values[np.argmax(counts)])


def detect_timeframe(ts_ms: IntArray) -> str | None:
    """The timeframe name (``"1h"``) of the most common step, None if it has no name."""
    bar_ms = detect_bar_ms(ts_ms)
    return None if bar_ms is None else _NAME_BY_MS.get(bar_ms)


def find_gaps(ts_ms: IntArray, bar_ms: int) -> tuple[Gap, ...]:
    """Every run of missing bars in a sorted series with bars ``bar_ms`` apart."""
    steps = np.diff(ts_ms)
    at = np.flatnonzero(steps > bar_ms)
    return tuple(
        Gap(int(ts_ms[i]) + bar_ms, int(ts_ms[i + 1]), int(steps[i]) // bar_ms - 1) for i in at
    )


def _masks(candles: Candles) -> list[tuple[npt.NDArray[np.bool_], str, bool]]:
    """(bad-row mask, message, whether to show the row's values) for each check."""
    c = candles
    steps = np.concatenate(([1], np.diff(c.ts_ms)))  # row 0 has no predecessor: always good
    with np.errstate(invalid="ignore"):
        body_high = np.maximum(c.open, c.close)
        body_low = np.minimum(c.open, c.close)
        masks = [
            (steps == 0, "duplicate timestamp (same as the previous row)", False),
            (steps < 0, "timestamp out of order", False),
        ]
        for name in (*_PRICES, "volume"):
            values = getattr(c, name)
            masks.append((~np.isfinite(values), f"{name} is not a finite number", True))
        for name in _PRICES:
            masks.append((getattr(c, name) <= 0, f"{name} is not positive", True))
        masks.append((c.high < body_high, "high is below max(open, close)", True))
        masks.append((c.low > body_low, "low is above min(open, close)", True))
        masks.append((c.volume < 0, "volume is negative", True))
    return masks


def _detail(candles: Candles, index: int, message: str, show_values: bool) -> str:
    if show_values:
        values = ", ".join(f"{n}={getattr(candles, n)[index]:g}" for n in (*_PRICES, "volume"))
        return f"{message} ({values})"
    if message == "timestamp out of order":
        return (
            f"{message}: earlier than the previous row's {format_ts(int(candles.ts_ms[index - 1]))}"
        )
    return message


def collect_problems(
    candles: Candles, *, first_line: int = 1, limit: int | None = None
) -> list[Problem]:
    """Every bad row of ``candles``, in row order (several problems per row possible).

    Args:
        candles: The bars to check.
        first_line: The 1-based line of row 0 in its file (2 for a CSV with a header).
        limit: Stop after this many problems (None: all).

    Returns:
        The problems, sorted by line; empty when every row is good.
    """
    found: list[tuple[int, int, str, bool]] = []
    for order, (mask, message, show_values) in enumerate(_masks(candles)):
        found.extend((int(i), order, message, show_values) for i in np.flatnonzero(mask))
    found.sort()
    if limit is not None:
        found = found[:limit]
    return [
        Problem(i + first_line, int(candles.ts_ms[i]), _detail(candles, i, message, show))
        for i, _, message, show in found
    ]


def _locate(where: str, line: int) -> str:
    return f"{where}:{line}" if where else f"row {line}"


def validate_candles(
    candles: Candles,
    *,
    where: str = "",
    expected_timeframe: str | None = None,
    first_line: int = 1,
) -> DataReport:
    """Check candles and describe them; raise on the first bad row.

    Args:
        candles: The bars to check.
        where: The file (or other source) the bars came from, for messages.
        expected_timeframe: If given, the detected timeframe must equal it; gaps are
            measured in its bars.
        first_line: The 1-based line of row 0 in its file (2 for a CSV with a header).

    Returns:
        A :class:`DataReport` with rows, range, timeframe and gaps.

    Raises:
        DataError: Empty series, a bad row (naming file, line and timestamp) or a
            timeframe different from ``expected_timeframe``.
    """
    if len(candles) == 0:
        raise DataError("no candles", where=where or None)
    problems = collect_problems(candles, first_line=first_line)
    if problems:
        first = problems[0]
        more = f"; {len(problems) - 1} more problem(s)" if len(problems) > 1 else ""
        raise DataError(
            f"bad candle at {format_ts(first.ts_ms)}: {first.message}{more}",
            where=_locate(where, first.line),
            hint="`genesis data inspect FILE` lists every bad row",
        )
    bar_ms = detect_bar_ms(candles.ts_ms)
    detected = None if bar_ms is None else _NAME_BY_MS.get(bar_ms)
    if expected_timeframe is not None:
        expected_ms = TIMEFRAME_MS.get(expected_timeframe)
        if expected_ms is None:
            raise DataError(f"unknown timeframe {expected_timeframe!r}", where=where or None)
        if bar_ms is not None and bar_ms != expected_ms:
            shown = detected or f"{bar_ms} ms"
            raise DataError(
                f"candles are {shown} bars, expected {expected_timeframe}",
                where=where or None,
                hint=f"pass timeframe {shown!r} or resample the file",
            )
        bar_ms, detected = expected_ms, expected_timeframe
    return _report(candles, bar_ms, detected)


def _report(candles: Candles, bar_ms: int | None, timeframe: str | None) -> DataReport:
    gaps = find_gaps(candles.ts_ms, bar_ms) if bar_ms else ()
    largest = max(gaps, key=lambda gap: gap.n_missing) if gaps else None
    return DataReport(
        n_rows=len(candles),
        start_ms=int(candles.ts_ms[0]),
        end_ms=int(candles.ts_ms[-1]),
        timeframe=timeframe,
        n_gaps=len(gaps),
        n_missing_bars=sum(gap.n_missing for gap in gaps),
        largest_gap=largest,
        gaps=gaps,
    )
