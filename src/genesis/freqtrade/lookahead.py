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

N_CUTS = 12
"""Cut points per pair from :data:`FIRST_CUT` to the end (the cost is one
``populate_indicators`` per pair and cut)."""
FIRST_CUT = 0.3
"""The earliest regular cut, as a fraction of the rows (startup candles included)."""
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


def cut_points(n_rows: int, startup: int, n_cuts: int = N_CUTS) -> tuple[list[int], list[int]]:
    """The regular cuts (each keeps ≥ :data:`FIRST_CUT` of the rows and drops ≥ one) and
    the warm-up cuts before them (half the startup candles, the startup, a tenth)."""
    first = max(2, int(n_rows * FIRST_CUT))
    regular = sorted({int(c) for c in np.linspace(first, n_rows - 1, n_cuts) if 2 <= c < n_rows})
    early = sorted({c for c in (startup // 2, startup, n_rows // 10) if 2 <= c < first})
    return regular, early


def check_lookahead(
    source: SignalSource, params_sets: Sequence[Mapping[str, Any]], *, n_cuts: int = N_CUTS
) -> dict[str, Any]:
    """Compare each params set's signals on cut data with the full run's, pair by pair.

    Args:
        source: The run's signals (its strategy, settings and candles).
        params_sets: The strategy's Parameter values to check (other keys are ignored); a
            set whose full run raises is left out (``params_checked`` counts the others).
        n_cuts: Regular cut points per pair.

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
        for pair, raw in source.dataset.frames.items():
            full: dict[int, pd.DataFrame] = {}
            indicators = source.indicators(pair)  # the search's own (cached) full run
            for i, params in enumerate(params_sets):
                try:
                    full[i] = source.advise(pair, indicators, params)
                except StrategyError:
                    continue  # a set that raises on all the data is the trials' to report
            checked.update(full)
            regular, early = cut_points(len(raw), source.dataset.startup_candles, n_cuts)
            n_done = max(n_done, len(regular) + len(early))
            leak = _check_pair(source, pair, raw, params_sets, full, regular + early, early)
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
    cuts: Sequence[int],
    early: Sequence[int],
) -> FtLeak | None:
    """The first leak of ``pair`` over ``cuts`` (indicators once per cut), or None."""
    for cut in cuts:
        part = raw.iloc[:cut].copy()
        last = str(part["date"].iloc[-1])
        try:
            with source.data_until(part["date"].iloc[-1]):
                indicators = source.analyze(pair, part)
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
    if (
        not full["date"]
        .iloc[:n]
        .reset_index(drop=True)
        .equals(part["date"].iloc[:n].reset_index(drop=True))
    ):
        return "date", 0  # the strategy dropped or reordered rows differently
    earliest: tuple[str, int] | None = None
    for column in COLUMNS:
        if column not in full.columns and column not in part.columns:
            continue
        if column not in full.columns or column not in part.columns:
            return column, 0
        a = full[column].iloc[:n].reset_index(drop=True)
        b = part[column].iloc[:n].reset_index(drop=True)
        same = (a == b) | (a.isna() & b.isna())
        rows = np.flatnonzero(~same.to_numpy(dtype=bool))
        if rows.size and (earliest is None or rows[0] < earliest[1]):
            earliest = (column, int(rows[0]))
    return earliest
