"""Read a run directory into plain, typed values for the report.

Only the files a run leaves behind are read (``config.yaml``, ``trials.csv``,
``best_trial.json``, ``cache_stats.json``, ``trials/*.json``): never Optuna's storage and
never the engine, so a report can be made on any machine from a copied run directory.
``config.yaml`` is read as plain YAML, not validated against today's config model, so
old runs still get a report after the model changes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from genesis.artifacts import KEY_METRICS, CacheSource, RunDir
from genesis.errors import ArtifactError, ArtifactUsageError, GenesisError

PARAM_PREFIX = "param_"


@dataclass(frozen=True)
class ReportTrial:
    """One row of ``trials.csv``, parsed."""

    number: int
    state: str
    values: tuple[float, ...] | None
    params: Mapping[str, Any]
    metrics: Mapping[str, Any]
    feasible: bool | None
    source: CacheSource | None
    key: str | None
    duration_s: float | None
    error: str | None

    @property
    def score(self) -> float | None:
        """The first objective's value (``None`` for a trial without a score)."""
        return self.values[0] if self.values else None


@dataclass(frozen=True)
class RunData:
    """Everything the report shows, read from one run directory."""

    run: RunDir
    config: Mapping[str, Any]
    trials: tuple[ReportTrial, ...]
    objectives: tuple[str, ...]
    directions: tuple[str, ...]
    best: Mapping[str, Any] | None
    stats: Mapping[str, Any]
    backtests: tuple[Mapping[str, Any], ...]

    @property
    def study(self) -> str:
        """The study's name (the run directory's name unless the files say otherwise)."""
        return str(self.stats.get("study") or self.config.get("study_name") or self.run.name)

    @property
    def searched(self) -> tuple[str, ...]:
        """Names of the searched params, in search-space order."""
        space = self.config.get("search_space") or {}
        names = [n for n in space if isinstance(space[n], Mapping) and space[n].get("type")]
        seen = {n for t in self.trials for n in t.params}
        return tuple([n for n in names if n in seen] + sorted(seen - set(names)))

    @property
    def maximize(self) -> bool:
        """Whether a higher first objective is better."""
        return not self.directions or self.directions[0] != "minimize"


def load_run(root: Path) -> RunData:
    """Read the run directory ``root``.

    Raises:
        ArtifactError: ``root`` is not a run directory, or a file it needs is missing or
            unreadable (the error names the file).
    """
    run = RunDir(root)
    if not root.is_dir():
        raise ArtifactUsageError("not a directory", where=str(root), hint="pass a run directory")
    config = _read_yaml(run.config)
    trials = _read_trials_csv(run.trials_csv)
    stats = _read_json(run.cache_stats)
    best = _read_json(run.best_trial) if run.best_trial.exists() else None
    backtests = tuple(_read_json(p) for p in sorted(run.trials_dir.glob("trial_*.json")))
    objectives = _objectives(config, run.trials_csv)
    return RunData(
        run=run,
        config=config,
        trials=trials,
        objectives=objectives,
        directions=_directions(objectives, backtests),
        best=best,
        stats=stats,
        backtests=backtests,
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtifactError(
            "missing", where=str(path), hint="is this a genesis run directory?"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ArtifactError(f"cannot read: {error}", where=str(path)) from None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as error:
        raise ArtifactError(
            f"not valid JSON: {error.msg}", where=f"{path}:{error.lineno}"
        ) from None
    if not isinstance(data, dict):
        raise ArtifactError("expected a JSON object", where=str(path))
    return data


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(_read_text(path)) or {}
    except yaml.YAMLError as error:
        raise ArtifactError(f"not valid YAML: {error}", where=str(path)) from None
    if not isinstance(data, dict):
        raise ArtifactError("expected a YAML mapping", where=str(path))
    return data


def _read_trials_csv(path: Path) -> tuple[ReportTrial, ...]:
    rows = list(csv.DictReader(_read_text(path).splitlines()))
    try:
        return tuple(sorted((_trial(row) for row in rows), key=lambda t: t.number))
    except (KeyError, ValueError) as error:
        raise ArtifactError(f"malformed row: {error}", where=str(path)) from None


def _trial(row: Mapping[str, str]) -> ReportTrial:
    score_cols = [c for c in row if c == "score" or c.startswith("score_")]
    values = tuple(float(row[c]) for c in score_cols if row[c] != "")
    params = {c[len(PARAM_PREFIX) :]: parse_cell(v) for c, v in row.items() if _is_param(c, v)}
    source = row.get("cache_source") or None
    return ReportTrial(
        number=int(row["number"]),
        state=row["state"],
        values=values if len(values) == len(score_cols) and values else None,
        params=params,
        metrics={m: parse_cell(row[m]) for m in KEY_METRICS if row.get(m)},
        feasible={"true": True, "false": False}.get(row.get("feasible", "")),
        source=CacheSource(source) if source else None,
        key=row.get("key") or None,
        duration_s=float(row["duration_s"]) if row.get("duration_s") else None,
        error=row.get("error") or None,
    )


def _is_param(column: str, value: str | None) -> bool:
    return column.startswith(PARAM_PREFIX) and value not in (None, "")


def parse_cell(text: str) -> bool | int | float | str:
    """A CSV cell as the value it was written from (``true`` → True, ``3`` → 3, …)."""
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _objectives(config: Mapping[str, Any], csv_path: Path) -> tuple[str, ...]:
    score = config.get("score") or {}
    names = score.get("objectives") if isinstance(score, Mapping) else None
    if isinstance(names, list) and names:
        return tuple(str(n) for n in names)
    header = _read_text(csv_path).partition("\n")[0].split(",")
    cols = [c for c in header if c == "score" or c.startswith("score_")]
    return tuple("score" if c == "score" else c[len("score_") :] for c in cols)


def _directions(
    objectives: tuple[str, ...], backtests: tuple[Mapping[str, Any], ...]
) -> tuple[str, ...]:
    """Directions as the backtests recorded them; else each metric's natural direction."""
    for payload in backtests:
        directions = (payload.get("score") or {}).get("directions")
        if isinstance(directions, list) and len(directions) == len(objectives):
            return tuple(str(d) for d in directions)
    from genesis.metrics import objective_direction  # lazy: pulls in numba

    result = []
    for name in objectives:
        try:
            result.append(str(objective_direction(name)))
        except GenesisError:
            result.append("maximize")
    return tuple(result)
