"""What a Dask worker runs for the coordinator (:mod:`genesis.optimizer.coordinator`).

A task carries the search's config (as JSON text), its fingerprint, one trial's params,
number and key. Each worker process builds the search's problem (candles, strategy,
features) once per config fingerprint and keeps it, with the result cache, for every later
task. Before computing, a task looks the key up in the shared result cache: a task that
Dask runs again after its worker died, or a key computed by an earlier coordinator, is
answered from there and never computed twice. A result is stored in the cache before the
task returns, so a coordinator killed after that finds it on ``--resume``.

This module never imports Dask: the task is a plain function that Dask pickles by name.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genesis.cache import ResultCache, cache_key
from genesis.config import GenesisConfig
from genesis.errors import BacktestError, GenesisError, StrategyError
from genesis.optimizer.objective import read_result, store_result, trial_payload
from genesis.optimizer.problem import Problem, build_problem
from genesis.optimizer.session import open_result_cache

COMPUTED = "computed"
CACHED = "cache"
FAILED = "failed"


@dataclass(frozen=True)
class _Search:
    """What a worker process keeps of one search: its problem and the result cache."""

    problem: Problem
    cache: ResultCache | None


_SEARCHES: dict[str, _Search] = {}
_BUILDING = threading.Lock()  # a worker with several threads builds a search once


def run_task(
    recipe: str, fingerprint: str, params: dict[str, Any], key: str, number: int, run: str
) -> dict[str, Any]:
    """Backtest trial ``number``'s ``params`` of the search ``recipe`` (a config as JSON).

    Returns ``{"status": "computed" | "cache", "payload": …}`` or
    ``{"status": "failed", "error": …}``: a failed backtest is a result, not an exception
    (Dask would run the task again on another worker, and fail it the same way).
    """
    try:
        search = _search(recipe, fingerprint)
        problem = search.problem
        spec = problem.spec(params)
    except (StrategyError, BacktestError) as error:
        return {"status": FAILED, "error": str(error)}
    except GenesisError as error:  # the worker cannot build the search (its data, say)
        return {"status": FAILED, "error": f"{type(error).__name__} on a worker: {error}"}
    if cache_key(spec) != key:
        return {"status": FAILED, "error": _mismatch(key)}
    stored, _ = read_result(search.cache, key, len(problem.score_spec.objectives))
    if stored is not None:
        return {"status": CACHED, "payload": stored}
    try:
        evaluation = problem.evaluate(spec)
    except (StrategyError, BacktestError) as error:
        return {"status": FAILED, "error": str(error)}
    payload = trial_payload(run, number, spec, key, evaluation)
    store_result(search.cache, key, payload)  # before returning: a resume finds it
    return {"status": COMPUTED, "payload": payload}


def _search(recipe: str, fingerprint: str) -> _Search:
    search = _SEARCHES.get(fingerprint)
    if search is not None:
        return search
    with _BUILDING:
        search = _SEARCHES.get(fingerprint)
        if search is None:
            config = GenesisConfig.model_validate(json.loads(recipe))
            # Written through: a result must be stored when its task returns.
            search = _Search(build_problem(config), open_result_cache(config))
            _SEARCHES[fingerprint] = search
    return search


def _mismatch(key: str) -> str:
    return (
        f"a worker's backtest of these params has another key than {key[:12]}… "
        "(its candles, strategy or genesis version differ from the coordinator's): "
        "give every machine the same data files, strategy files and genesis"
    )


def recipe_of(config: GenesisConfig) -> str:
    """``config`` as the JSON text a task carries, with its directories made absolute
    (a worker may run in another directory)."""
    update: dict[str, Any] = {"output_dir": str(Path(config.output_dir).resolve())}
    location = config.cache.location
    if location is not None and "://" not in location:
        update["cache"] = config.cache.model_copy(
            update={"location": str(Path(location).resolve())}
        )
    return json.dumps(config.model_copy(update=update).model_dump(mode="json"), sort_keys=True)


__all__ = ["CACHED", "COMPUTED", "FAILED", "recipe_of", "run_task"]
