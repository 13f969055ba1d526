"""The look-ahead check of a Freqtrade strategy: its signals must not change without the future.

Owns :func:`check_lookahead`, the Freqtrade counterpart of
:func:`genesis.strategy.lookahead.check_lookahead` (same contract, same finding's shape).
For each pair, ``populate_indicators`` and the entry/exit methods run on the candles cut
after row ``c - 1`` at :data:`N_CUTS` points from :data:`FIRST_CUT` of the rows to the end,
plus a few cuts inside the warm-up (where a value filled from later rows, ``bfill``, shows);
the signal columns (:data:`COLUMNS`) of the cut run must equal the full run's on the rows
both have (NaN equals NaN). The DataProvider serves informative pairs only up to the close
of the cut's last candle (Freqtrade's own ``_set_dataframe_max_date``), so an informative
merge that reads a candle before it closes is caught too. A strategy that works on all the
data but raises on a cut reads later rows: a leak (except on the warm-up cuts, where too
few rows may fail honestly). The first leak names the pair, the column, the first date
that differs and the cut.

Each cut's indicators are computed once and shared by every params set checked on it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genesis.errors import StrategyError

if TYPE_CHECKING:
    from genesis.freqtrade.signals import SignalSource

N_CUTS = 16
"""Regular cut points per check, from :data:`FIRST_CUT` to the end, shared among the pairs
(each pair gets its own points, at least :data:`MIN_CUTS_PER_PAIR`): a leak in the
strategy's code shows on every pair, and the cost is one ``populate_indicators`` and one
entry/exit run per pair and cut."""
MIN_CUTS_PER_PAIR = 6
FIRST_CUT = 0.3
"""The earliest regular cut, as a fraction of the rows (startup candles included)."""
MEMO_BYTES = 256 * 2**20
"""Cut indicator frames kept for the next check of the same run (the search's choice)."""
COLUMNS = ("enter_long", "exit_long", "enter_short", "exit_short", "enter_tag")
"""The columns compared (those the strategy writes)."""


@dataclass(frozen=True)
class FtLeak:
    """A signal column that changed when the rows after ``cut`` were removed."""

    pair: str
    column: str
    date: str
    """The first date whose value differs (the cut's last date when ``failed``)."""
    cut: int
    """How many rows the cut data kept."""
    params: Mapping[str, Any]
    failed: str | None = None
    """Why the strategy raised on the cut data while it worked on all of it."""

    def describe(self) -> str:
        if self.failed is not None:
            return (
                f"{self.pair}: the strategy fails when the data ends at {self.date} (row "
                f"{self.cut}) but not on all the data, so it reads later candles: "
                f"{self.failed} (params {dict(self.params)})"
            )
        return (
            f"{self.pair}: column {self.column!r} at {self.date} changes when the data ends "
            f"at row {self.cut} (params {dict(self.params)})"
        )


def cut_points(
    n_rows: int, startup: int, *, pair_index: int = 0, n_pairs: int = 1, n_cuts: int = N_CUTS
) -> tuple[list[int], list[int]]:
    """Pair ``pair_index``'s regular cuts (each keeps ≥ :data:`FIRST_CUT` of the rows and
    drops ≥ one; the pairs' cuts interleave) and the warm-up cuts before them (half the
    startup candles, the startup, a tenth; the first pair only)."""
    first = max(2, int(n_rows * FIRST_CUT))
    per_pair = max(MIN_CUTS_PER_PAIR, -(-n_cuts // n_pairs))
    points = np.linspace(first, n_rows - 1, per_pair * n_pairs)[pair_index::n_pairs]
    regular = sorted({int(c) for c in points if 2 <= c < n_rows})
    early = sorted({c for c in (startup // 2, startup, n_rows // 10) if 2 <= c < first})
    return regular, early if pair_index == 0 else []


class CutMemo:
    """Cut indicator frames by (pair, rows), up to :data:`MEMO_BYTES`: the check of the
    search's choice reuses those of the check before the search (the indicators do not
    depend on the searched values: their ``.range`` spans the space)."""

    def __init__(self, budget: int = MEMO_BYTES) -> None:
        self._frames: dict[tuple[str, int], pd.DataFrame] = {}
        self._left = budget

    def get(self, pair: str, rows: int) -> pd.DataFrame | None:
        return self._frames.get((pair, rows))

    def put(self, pair: str, rows: int, frame: pd.DataFrame) -> None:
        size = int(frame.memory_usage(deep=False).sum())
        if size <= self._left:
            self._frames[(pair, rows)] = frame
            self._left -= size


def check_lookahead(
    source: SignalSource,
    params_sets: Sequence[Mapping[str, Any]],
    *,
    n_cuts: int = N_CUTS,
    memo: CutMemo | None = None,
) -> dict[str, Any]:
    """Compare each params set's signals on cut data with the full run's, pair by pair.

    Args:
        source: The run's signals (its strategy, settings and candles).
        params_sets: The strategy's Parameter values to check (other keys are ignored); a
            set whose full run raises is left out (``params_checked`` counts the others).
        n_cuts: Regular cut points per check (see :data:`N_CUTS`).
        memo: Cut indicators kept between the checks of one run.

    Returns:
        The ``lookahead`` object of ``best_trial.json``'s validation: ``found``,
        ``checked``, ``detail`` (the first leak, or None), ``cuts``, ``params_checked``,
        ``elapsed_s``, ``warmup_needed``/``warmup_given`` (None: not measured here).
    """
    started = time.perf_counter()
    saved = {name: p.value for name, p in source.parameters()}
    # each set over the defaults: advise() leaves the Parameters it is not given as they are
    params_sets = [{**saved, **params} for params in params_sets]
    leak: FtLeak | None = None
    checked: set[int] = set()
    n_done = 0
    try:
        for index, (pair, raw) in enumerate(source.dataset.frames.items()):
            full: dict[int, pd.DataFrame] = {}
            indicators = source.indicators(pair)  # the search's own (cached) full run
            for i, params in enumerate(params_sets):
                try:
                    full[i] = source.advise(pair, indicators, params)
                except StrategyError:
                    continue  # a set that raises on all the data is the trials' to report
            checked.update(full)
            regular, early = cut_points(
                len(raw), source.dataset.startup_candles, pair_index=index,
                n_pairs=len(source.dataset.frames), n_cuts=n_cuts,
            )  # fmt: skip
            n_done += len(regular) + len(early)
            cuts = (regular + early, early)
            leak = _check_pair(source, pair, raw, params_sets, full, cuts, memo or CutMemo(0))
            if leak is not None:
                break  # the first leak is enough to refuse
    finally:
        for name, parameter in source.parameters():
            parameter.value = saved[name]
    return {
        "found": leak is not None,
        "checked": True,
        "detail": leak.describe() if leak is not None else None,
        "cuts": n_done,
        "params_checked": len(checked),
        "elapsed_s": round(time.perf_counter() - started, 4),
        "warmup_needed": None,
        "warmup_given": None,
    }


def _check_pair(
    source: SignalSource,
    pair: str,
    raw: pd.DataFrame,
    params_sets: Sequence[Mapping[str, Any]],
    full: Mapping[int, pd.DataFrame],
    cuts: tuple[Sequence[int], Sequence[int]],
    memo: CutMemo,
) -> FtLeak | None:
    """The first leak of ``pair`` over ``cuts`` (all, early; indicators once per cut)."""
    every, early = cuts
    for cut in every:
        part = raw.iloc[:cut].copy()
        last = str(part["date"].iloc[-1])
        try:
            with source.data_until(part["date"].iloc[-1]):
                indicators = memo.get(pair, cut)
                if indicators is None:
                    indicators = source.analyze(pair, part)
                    memo.put(pair, cut, indicators)
                runs = {i: source.advise(pair, indicators, params_sets[i]) for i in full}
        except StrategyError as error:
            if cut in early:
                continue  # on a few rows, failing may be honest (too short)
            return FtLeak(pair, "", last, cut, _shown(source, params_sets[0]), str(error))
        for i, frame in runs.items():
            found = first_difference(full[i], frame)
            if found is not None:
                date = str(full[i]["date"].iloc[found[1]])
                return FtLeak(pair, found[0], date, cut, _shown(source, params_sets[i]))
    return None


def _shown(source: SignalSource, params: Mapping[str, Any]) -> dict[str, Any]:
    """The strategy's Parameter values of ``params`` (what a leak is reported with)."""
    names = {name for name, _ in source.parameters()}
    return {name: value for name, value in params.items() if name in names}


def first_difference(full: pd.DataFrame, part: pd.DataFrame) -> tuple[str, int] | None:
    """The column of :data:`COLUMNS` and the row where ``part`` first differs from ``full``'s
    same rows (NaN equals NaN; a column only one of them has differs at row 0)."""
    n = min(len(part), len(full))
    dates = (pd.DatetimeIndex(frame["date"]).asi8[:n] for frame in (full, part))
    if not np.array_equal(*dates):
        return "date", 0  # the strategy dropped or reordered rows differently
    earliest: tuple[str, int] | None = None
    for column in COLUMNS:
        if column not in full.columns and column not in part.columns:
            continue
        if column not in full.columns or column not in part.columns:
            return column, 0
        differs = _differs(full[column].to_numpy()[:n], part[column].to_numpy()[:n])
        rows = np.flatnonzero(differs)
        if rows.size and (earliest is None or rows[0] < earliest[1]):
            earliest = (column, int(rows[0]))
    return earliest


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where ``a`` and ``b`` differ, NaN/None equal to NaN/None (numpy: pandas' own
    comparisons cost more than the strategy's signals here)."""
    if a.dtype.kind in "biuf" and b.dtype.kind in "biuf":
        x, y = a.astype(np.float64), b.astype(np.float64)
        return np.asarray((x != y) & ~(np.isnan(x) & np.isnan(y)), dtype=bool)
    missing_a, missing_b = pd.isna(a), pd.isna(b)
    x = np.where(missing_a, "", a.astype(object)).astype(str)
    y = np.where(missing_b, "", b.astype(object)).astype(str)
    return np.asarray((missing_a != missing_b) | (x != y), dtype=bool)
