"""Rewrite a run directory's artifacts from the study storage (the source of truth).

Called at the end of a run, on Ctrl-C, and by ``--resume``: ``trials.csv``,
``best_trial.json`` and ``cache_stats.json`` always describe every trial the storage has.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from genesis.artifacts import (
    CacheSource,
    RunCacheStats,
    RunDir,
    TrialRecord,
    best_trial,
    cache_stats,
    pareto_front,
    write_json,
    write_trials_csv,
)
from genesis.cache import Payload, ResultCache, WriteBehindCache
from genesis.errors import CacheError
from genesis.optimizer.objective import Objective
from genesis.optimizer.problem import Problem
from genesis.optimizer.recover import recompute_missing
from genesis.samplers.repeats import REPEAT_ATTR


@dataclass(frozen=True)
class Export:
    """What the artifacts were written from: the validation phase goes on from here."""

    stats: RunCacheStats
    best: dict[str, Any] | None
    records: list[TrialRecord]
    payloads: dict[str, Payload]


def write_artifacts(
    study: optuna.Study,
    run: RunDir,
    problem: Problem,
    cache: ResultCache | None,
    objective: Objective,
    *,
    stop_reason: str | None = None,
) -> Export:
    """Write ``trials/``, ``trials.csv``, ``best_trial.json`` and ``cache_stats.json``.

    The real backtests' files are written here, once, rather than on the hot path of each
    trial; a killed run gets them on ``--resume`` (from the result cache).
    """
    trials = study.get_trials(deepcopy=False)
    files = _trial_files(trials, run)
    payloads = {key: p for key in _keys(trials) if (p := _payload(key, objective, cache, files))}
    payloads.update(recompute_missing(trials, payloads, problem, objective))
    _write_trial_files(trials, run, payloads, objective)
    records = [_record(t, payloads) for t in trials]
    names = list(problem.score_spec.objectives)
    write_trials_csv(run.trials_csv, records, names)
    stats = cache_stats(records, corrupt_entries=objective.corrupt_entries)
    if isinstance(cache, WriteBehindCache):  # this process's writes through an outage
        stats = replace(stats, written_late=cache.written_late, not_stored=cache.unstored)
    write_json(run.cache_stats, {"study": run.name, **stats.as_dict(), "stop_reason": stop_reason})
    best = _best(study, records, payloads, run, names)
    if best is not None:
        write_json(run.best_trial, best)
    return Export(stats, best, records, payloads)


def _write_trial_files(
    trials: list[FrozenTrial], run: RunDir, payloads: dict[str, Payload], objective: Objective
) -> None:
    """``trials/trial_NNNN.json`` for every trial whose backtest ran in this run directory.

    This process's results come from its memory; a missing file of an earlier session
    (killed before its export) is rewritten from the result already looked up.
    """
    write_trial_files(run, objective)
    for trial in trials:
        attrs = trial.user_attrs
        path = run.trial_file(trial.number)
        if attrs.get("cache_source") != "computed" or trial.number in objective.computed:
            continue
        if not str(attrs.get("backtest_path", "")).startswith(f"{run.name}/") or path.exists():
            continue
        stored = payloads.get(str(attrs.get("key")))
        if stored is not None:
            write_json(path, stored, compact=True)


def write_trial_files(run: RunDir, objective: Objective) -> None:
    """``trials/trial_NNNN.json`` of the backtests this process ran (no storage needed).

    An extra worker writes its own at its end, so that the main process's export finds
    their metrics also without a result cache.
    """
    for number, payload in objective.computed.items():
        write_json(run.trial_file(number), payload, compact=True)


def _keys(trials: list[FrozenTrial]) -> set[str]:
    return {
        str(t.user_attrs["key"])
        for t in trials
        if t.state == TrialState.COMPLETE and t.user_attrs.get("key")
    }


def _trial_files(trials: list[FrozenTrial], run: RunDir) -> dict[str, Path]:
    """Key → the ``trials/trial_NNNN.json`` its backtest was written to (any run under out)."""
    files = {}
    for trial in trials:
        key, where = trial.user_attrs.get("key"), trial.user_attrs.get("backtest_path")
        if key and where and trial.user_attrs.get("cache_source") == "computed":
            files[str(key)] = run.root.parent / str(where)
    return files


def _payload(
    key: str, objective: Objective, cache: ResultCache | None, files: dict[str, Path]
) -> Payload | None:
    """A key's result: this process's memory, else the cache, else its trial file."""
    if key in objective.memory:
        return objective.memory[key]
    if cache is not None:
        try:
            stored = cache.get(key)
        except CacheError:  # corrupt or unreachable: try the trial file
            stored = None
        if stored is not None:
            return stored
    path = files.get(key)
    if path is None or not path.is_file():
        return None
    try:
        payload: Payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) and payload.get("key") == key else None


def _record(trial: FrozenTrial, payloads: dict[str, Payload]) -> TrialRecord:
    attrs = trial.user_attrs
    key = attrs.get("key")
    payload = payloads.get(key) if key else None
    duration = None
    if trial.datetime_start is not None and trial.datetime_complete is not None:
        duration = (trial.datetime_complete - trial.datetime_start).total_seconds()
    source = attrs.get("cache_source")
    constraints = dict(trial.constraints)  # the study's, never the payload's or a default
    return TrialRecord(
        number=trial.number,
        state=trial.state.name,
        params=dict(trial.params),
        values=tuple(trial.values) if trial.values is not None else None,
        cache_source=CacheSource(source) if source else None,
        key=key,
        duration_s=duration,
        metrics=payload["metrics"] if payload else {},
        constraints=constraints,
        feasible=all(v <= 0 for v in constraints.values()) if trial.values is not None else None,
        backtest_path=attrs.get("backtest_path"),
        error=attrs.get("error") or ("interrupted" if attrs.get("interrupted") else None),
        repeat_of=attrs.get(REPEAT_ATTR),
    )


def _best(
    study: optuna.Study,
    records: list[TrialRecord],
    payloads: dict[str, Payload],
    run: RunDir,
    names: list[str],
) -> dict[str, Any] | None:
    directions = [d.name.lower() for d in study.directions]
    best = best_trial((r for r in records if r.state == "COMPLETE"), directions)
    if best is None:
        return None
    front = [best] if len(names) == 1 else pareto_front(records, directions)
    entry = describe_trial(best, payloads, run, names)
    if len(front) > 1:
        entry["pareto_front"] = [describe_trial(r, payloads, run, names) for r in front]
    return entry


def describe_trial(
    r: TrialRecord, payloads: dict[str, Payload], run: RunDir, names: list[str]
) -> dict[str, Any]:
    """A trial as ``best_trial.json`` describes it, with the command that reproduces it."""
    payload = payloads.get(r.key or "") or {}
    spec = payload.get("spec", {})
    assert r.values is not None
    return {
        "study": run.name,
        "trial": r.number,
        "score": r.values[0] if len(r.values) == 1 else list(r.values),
        "objectives": names,
        "params": spec.get("params", dict(r.params)),
        "searched_params": dict(r.params),
        "metrics": dict(r.metrics),
        "constraints": dict(r.constraints),
        "feasible": r.feasible,
        "key": r.key,
        "cache_source": r.cache_source.value if r.cache_source else None,
        "strategy": {"name": spec.get("strategy"), "version": spec.get("strategy_version")},
        "data_fingerprint": spec.get("data"),
        "spec": {k: v for k, v in spec.items() if k != "params"} or None,
        "reproduce": " ".join(
            [
                "genesis backtest",
                shlex.quote(str(run.config)),
                "--params",
                shlex.quote(str(run.best_trial)),
            ]
        ),
    }
