"""Where the in-sample and out-of-sample bars are: holdout and walk-forward windows.

A :class:`Window` is a range of bar indices ``[start, stop)`` of one :class:`Candles`. The
out-of-sample bars always come after the in-sample ones, never before: a strategy is tested
on a period it could have been traded on after its search.

Walk-forward windows follow Pardo (R. Pardo, *The Evaluation and Optimization of Trading
Strategies*, 2nd ed., Wiley 2008, ch. 11): the last ``folds * test_bars`` bars are cut into
``folds`` consecutive test windows; each fold is optimized on the bars just before its test
window, all of them from the first bar (``anchored``) or the last ``train_bars`` of them
(``rolling``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from genesis.data import Candles, format_ts, parse_date_ms
from genesis.errors import ConfigError

MIN_TRAIN_BARS = 50
"""Fewer bars than this cannot be searched meaningfully."""
MIN_TEST_BARS = 10


@dataclass(frozen=True)
class Window:
    """Bars ``[start, stop)`` of a candle series."""

    start: int
    stop: int

    @property
    def n_bars(self) -> int:
        return self.stop - self.start

    def dates(self, candles: Candles) -> tuple[str, str]:
        """The window as a config's ``data.start`` / ``data.end`` (inclusive, exclusive).

        The end is one second after the last bar's open time, so that it selects exactly
        these bars whatever the timeframe.
        """
        return format_ts(int(candles.ts_ms[self.start])), format_ts(
            int(candles.ts_ms[self.stop - 1]) + 1000
        )

    def label(self, candles: Candles) -> str:
        """A readable name of the bars: first and last open time."""
        first, last = int(candles.ts_ms[self.start]), int(candles.ts_ms[self.stop - 1])
        return f"{format_ts(first)}..{format_ts(last)}"


@dataclass(frozen=True)
class Fold:
    """One walk-forward step: optimize on ``train``, then test on ``test``."""

    index: int
    train: Window
    test: Window


def holdout_windows(
    candles: Candles, *, test_fraction: float | None = None, split: str | None = None
) -> tuple[Window, Window]:
    """The in-sample (train) and out-of-sample (test) windows of a holdout.

    Args:
        candles: The bars of the run (after the config's data window).
        test_fraction: Share of the bars tested, at the end (default 0.3).
        split: First date of the test period (ISO 8601), instead of a fraction.

    Raises:
        ConfigError: the split leaves too few bars on either side.
    """
    n = len(candles)
    if split is not None:
        cut = int(np.searchsorted(candles.ts_ms, parse_date_ms(split), side="left"))
        where = "validation.holdout.split"
    else:
        cut = n - round(n * (0.3 if test_fraction is None else test_fraction))
        where = "validation.holdout.test_fraction"
    train, test = Window(0, cut), Window(cut, n)
    if train.n_bars < MIN_TRAIN_BARS or test.n_bars < MIN_TEST_BARS:
        raise ConfigError(
            f"the holdout leaves {train.n_bars} bars to search and {test.n_bars} to test "
            f"(at least {MIN_TRAIN_BARS} and {MIN_TEST_BARS} are needed)",
            where=where,
            hint=f"the data has {n} bars, {format_ts(int(candles.ts_ms[0]))} to "
            f"{format_ts(int(candles.ts_ms[-1]))}"
            if n
            else None,
        )
    return train, test


def walk_forward_folds(
    n_bars: int,
    *,
    folds: int,
    mode: Literal["anchored", "rolling"],
    test_bars: int | None = None,
    train_bars: int | None = None,
) -> list[Fold]:
    """The folds of a walk-forward over ``n_bars`` bars, in time order (see module docstring).

    Raises:
        ConfigError: the folds do not fit in the data.
    """
    test_len = test_bars if test_bars is not None else n_bars // (folds + 1)
    first_test = n_bars - folds * test_len
    train_len = train_bars if train_bars is not None else first_test
    where = "validation.walk_forward"
    if test_len < MIN_TEST_BARS:
        raise ConfigError(
            f"test windows of {test_len} bars are too short (at least {MIN_TEST_BARS})",
            where=where, hint=f"the data has {n_bars} bars for {folds} folds",
        )  # fmt: skip
    if first_test < MIN_TRAIN_BARS:
        raise ConfigError(
            f"{folds} folds of {test_len} test bars leave {max(first_test, 0)} bars before "
            f"the first test window (at least {MIN_TRAIN_BARS} are needed); the data has "
            f"{n_bars} bars",
            where=where, hint="use fewer folds or a smaller test_bars",
        )  # fmt: skip
    if not MIN_TRAIN_BARS <= train_len <= first_test:
        raise ConfigError(
            f"rolling train_bars {train_len} must be between {MIN_TRAIN_BARS} and the "
            f"{first_test} bars before the first test window",
            where=where,
        )
    result = []
    for i in range(folds):
        start = first_test + i * test_len
        train_start = 0 if mode == "anchored" else start - train_len
        result.append(Fold(i + 1, Window(train_start, start), Window(start, start + test_len)))
    return result
