"""Writers of the run directory's files. Every write is atomic (temp file, then rename)."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from genesis.artifacts.records import KEY_METRICS, TrialRecord
from genesis.errors import ArtifactError

TIMING_COLUMNS = ("duration_s",)
"""Columns that differ between two otherwise identical runs."""


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as error:
        raise ArtifactError(f"cannot write: {error.strerror}", where=str(path)) from None


def write_json(path: Path, data: Any, *, compact: bool = False) -> None:
    """JSON, atomically: indented for people, or ``compact`` on hot paths."""
    if compact:
        text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    else:
        text = json.dumps(data, indent=2, allow_nan=False)
    write_text_atomic(path, text + "\n")


def trials_csv_text(
    records: Iterable[TrialRecord],
    objective_names: Sequence[str],
    extra: Mapping[int, Mapping[str, Any]] | None = None,
) -> str:
    """The text of ``trials.csv``: one row per trial, in trial order.

    ``extra`` adds columns to some trials (by trial number), after the others: the
    out-of-sample results of the trials that were re-evaluated, say.
    """
    extra = extra or {}
    extra_names = list(dict.fromkeys(name for cols in extra.values() for name in cols))
    rows = sorted(records, key=lambda r: r.number)
    param_names = sorted({name for r in rows for name in r.params})
    score_cols = ["score"] if len(objective_names) == 1 else [f"score_{n}" for n in objective_names]
    header = [
        "number", "state", *score_cols, *[f"param_{n}" for n in param_names], *KEY_METRICS,
        "feasible", "cached", "cache_source", "key", "backtest_path", "duration_s", "error",
        *extra_names,
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        scores = list(r.values) if r.values is not None else [""] * len(score_cols)
        writer.writerow([
            r.number, r.state, *[_fmt(v) for v in scores],
            *[_fmt(r.params.get(n, "")) for n in param_names],
            *[_fmt(r.metrics.get(m)) for m in KEY_METRICS],
            _fmt(r.feasible), _fmt(r.cached), r.cache_source.value if r.cache_source else "",
            r.key or "", r.backtest_path or "", _fmt(r.duration_s), r.error or "",
            *[_fmt(extra.get(r.number, {}).get(n)) for n in extra_names],
        ])  # fmt: skip
    return out.getvalue()


def write_trials_csv(
    path: Path,
    records: Iterable[TrialRecord],
    objective_names: Sequence[str],
    extra: Mapping[int, Mapping[str, Any]] | None = None,
) -> None:
    """Write ``trials.csv`` atomically (``extra``: see :func:`trials_csv_text`)."""
    write_text_atomic(path, trials_csv_text(records, objective_names, extra))


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)
