"""Past runs read back from their directories, for ``genesis runs list`` and ``runs show``.

Only the files a run leaves behind are read (``config.yaml`` as plain YAML,
``cache_stats.json``, ``best_trial.json``, ``trials.csv``), never Optuna's storage, so
listing a results root of many runs is quick and works on copied directories. A run
still going, or killed before its export, has no ``cache_stats.json`` yet: its state is
``unfinished`` and its counts are unknown (``None``), never zero.
"""

from __future__ import annotations

import csv
import json
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genesis.artifacts.layout import RunDir
from genesis.errors import ArtifactError, ArtifactUsageError


@dataclass(frozen=True)
class RunSummary:
    """One row of ``genesis runs list``.

    Attributes:
        name: The run directory's (and study's) name.
        root: The run directory.
        started: When the run last started or resumed (each start writes its
            ``config.yaml``), epoch seconds.
        strategy: The strategy's name.
        data: Where the candles came from, with the window if one was set.
        n_trials: Trials in the study at the last export (None before the first).
        real_backtests: Backtests computed by this run (None before the first export).
        best_score: The best trial's score (a list for several objectives), or None.
        state: ``finished``, ``failed`` (every trial failed), ``interrupted``, ``error`` or
            ``unfinished``.
        stop_reason: Why the run stopped, as it recorded it.
        verdict: The verdict on its best (``do not trade``, ``weak``, ``candidate``), or
            None for a run without one (unfinished, or made before verdicts).
    """

    name: str
    root: Path
    started: float
    strategy: str
    data: str
    n_trials: int | None
    real_backtests: int | None
    best_score: float | list[float] | None
    state: str
    stop_reason: str | None
    verdict: str | None = None


@dataclass(frozen=True)
class RunDetail:
    """What ``genesis runs show`` prints about one run."""

    summary: RunSummary
    objectives: tuple[str, ...]
    stats: Mapping[str, Any]
    best: Mapping[str, Any] | None
    top: tuple[Mapping[str, Any], ...]
    resume: str
    validation: Mapping[str, Any] | None = None
    """The best's ``validation``, or ``validation.json`` when no trial completed."""


def _json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ArtifactError(f"cannot read: {error}", where=str(path)) from None
    return data if isinstance(data, dict) else None


def _config(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ArtifactError(f"cannot read: {error}", where=str(path)) from None
    return data if isinstance(data, dict) else {}


def _data_label(data: Mapping[str, Any]) -> str:
    label = str(data.get("source", "?"))
    if data.get("timeframe") and str(data["timeframe"]) not in label:
        label += f" {data['timeframe']}"
    if data.get("start") or data.get("end"):
        label += f" {data.get('start') or '…'}..{data.get('end') or '…'}"
    if data.get("fast_window"):
        label += f" (last {data.get('fast_window_bars')} bars)"
    return label


def _state(stats: Mapping[str, Any] | None) -> str:
    if stats is None:
        return "unfinished"
    reason = str(stats.get("stop_reason") or "")
    if reason.startswith("interrupted"):
        return "interrupted"
    if reason.startswith("stopped by an error"):
        return "error"
    if stats.get("completed") == 0 and stats.get("total_trials"):
        return "failed"  # every trial failed: the search ran, nothing came of it
    return "finished"


def read_run(root: Path) -> RunSummary:
    """The summary of run directory ``root``.

    Raises:
        ArtifactError: ``root`` is not a run directory (no ``config.yaml``) or a file
            of it is unreadable.
    """
    run = RunDir(root)
    if not run.config.is_file():
        raise ArtifactUsageError(
            "not a run directory (no config.yaml)", where=str(root), hint="see genesis runs list"
        )
    config = _config(run.config)
    stats = _json(run.cache_stats)
    best = _json(run.best_trial)
    strategy = config.get("strategy") or {}
    return RunSummary(
        name=run.name,
        root=run.root,
        started=run.config.stat().st_mtime,
        strategy=str(strategy.get("name", "?")) if isinstance(strategy, Mapping) else "?",
        data=_data_label(config.get("data") or {}),
        n_trials=stats.get("total_trials") if stats else None,
        real_backtests=stats.get("computed_backtests") if stats else None,
        best_score=best.get("score") if best else None,
        state=_state(stats),
        stop_reason=stats.get("stop_reason") if stats else None,
        verdict=_verdict(best or _json(run.validation)),  # no best: no trial completed
    )


def _verdict(best: Mapping[str, Any] | None) -> str | None:
    verdict = (best or {}).get("verdict")
    return str(verdict["rating"]) if isinstance(verdict, Mapping) else None


def list_runs(out: Path) -> list[RunSummary]:
    """Every run directory directly under the results root ``out``, oldest first.

    Raises:
        ArtifactError: ``out`` is not a directory.
    """
    if not out.is_dir():
        raise ArtifactUsageError("no such results directory", where=str(out), hint="pass --out DIR")
    roots = [p for p in out.iterdir() if p.is_dir() and (p / "config.yaml").is_file()]
    return sorted((read_run(p) for p in roots), key=lambda r: (r.started, r.name))


def find_run(run: str, out: Path) -> Path:
    """``run`` as a run directory: a path to one, or a run's name under ``out``.

    Raises:
        ArtifactError: neither exists.
    """
    for candidate in (Path(run), out / run):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise ArtifactUsageError(f"no run {run!r}", where=str(out), hint="see genesis runs list")


def _top_trials(path: Path, n: int, maximize: bool, keep: Any = None) -> tuple[dict[str, Any], ...]:
    """The ``n`` best scored trials of ``trials.csv``: feasible first, then by the first score.

    Trial ``keep`` (the run's best, which a holdout may choose out of sample) is always
    among them, last when it is not among the first ``n``.
    """
    if n <= 0 or not path.is_file():
        return ()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        column = next((c for c in reader.fieldnames or () if c.startswith("score")), None)
        rows = [r for r in reader if column and r.get(column)]
    if column is None:
        return ()
    sign = -1.0 if maximize else 1.0
    rows.sort(key=lambda r: (r.get("feasible") == "false", sign * float(r[column])))
    top = rows[:n]
    kept = [r for r in rows[n:] if keep is not None and r.get("number") == str(keep)]
    return tuple({**r, "score": float(r[column])} for r in top + kept[:1])


def run_objectives(root: Path) -> tuple[str, ...]:
    """The objective names run ``root``'s config optimized (``("score",)`` if it names none)."""
    score = _config(RunDir(root).config).get("score") or {}
    names = score.get("objectives") if isinstance(score, Mapping) else None
    return tuple(str(o) for o in names) if isinstance(names, list) and names else ("score",)


def run_detail(root: Path, *, top: int = 10, maximize: bool = True) -> RunDetail:
    """Summary, cache statistics, best trial and the ``top`` trials of run ``root``.

    Args:
        root: A run directory.
        top: How many of the best trials to return (by the first objective).
        maximize: Whether a higher first objective is better.
    """
    summary = read_run(root)
    run = RunDir(root)
    objectives = run_objectives(root)
    resume = " ".join([
        "genesis optimize", shlex.quote(str(run.config)), "--out", shlex.quote(str(root.parent)),
        "--study", shlex.quote(run.name), "--resume",
    ])  # fmt: skip
    best = _json(run.best_trial)
    return RunDetail(
        summary=summary,
        objectives=objectives,
        stats=_json(run.cache_stats) or {},
        best=best,
        top=_top_trials(run.trials_csv, top, maximize, (best or {}).get("trial")),
        resume=resume,
        validation=(best or {}).get("validation") or _json(run.validation),
    )


def local_time(epoch_s: float) -> str:
    """``YYYY-MM-DD HH:MM`` in local time."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch_s))
