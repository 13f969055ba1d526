"""The objective's single flight and its tolerance of a cache that cannot be written."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import optuna
import pytest

from genesis.artifacts import CacheSource, RunDir
from genesis.cache import DirectoryCache, MemoryCache, Payload, cache_key
from genesis.config import config_from_dict
from genesis.errors import CacheError
from genesis.evaluate import evaluate, make_spec
from genesis.metrics.score import ScoreSpec
from genesis.optimizer import Objective, TrialOutcome, build_problem
from genesis.optimizer.objective import TrialFailed
from genesis.optimizer.problem import Problem
from genesis.storage.claims import DedupGuard

optuna.logging.set_verbosity(optuna.logging.WARNING)
PARAMS = {"fast": 8, "slow": 50}


@pytest.fixture(scope="module")
def problem() -> Problem:
    config = {
        "data": {"source": "synthetic:tBTCUSD:1h:7:3000"},
        "strategy": {"name": "ema_cross"},
        "search_space": {
            "fast": {"type": "int", "low": 4, "high": 40, "step": 4},
            "slow": {"type": "int", "low": 50, "high": 200, "step": 25},
        },
        "score": {"objectives": ["total_return_pct"]},
    }
    return build_problem(config_from_dict(config))


def _objective(
    problem: Problem, tmp_path: Path, cache: Any, outcomes: list[TrialOutcome]
) -> Objective:
    run = RunDir(tmp_path / "run").create()
    return Objective(
        problem=problem, cache=cache, run_dir=run, guard=DedupGuard(run.dedup_db),
        on_outcome=outcomes.append,
    )  # fmt: skip


def _trial_with(params: dict[str, int]) -> optuna.Trial:
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial(params)
    return study.ask()


def _real_payload(problem: Problem) -> tuple[str, Payload]:
    spec = make_spec(
        problem.strategy, PARAMS, problem.data_fingerprint, problem.settings,
        problem.score_spec, window=problem.window,
    )  # fmt: skip
    ev = evaluate(spec, problem.strategy, problem.features)
    payload = {
        "key": cache_key(spec),
        "score": {"values": list(ev.score.values), "constraints": {}},
    }
    return cache_key(spec), payload


def test_a_key_claimed_by_a_live_worker_is_waited_for_not_recomputed(
    problem: Problem, tmp_path: Path
) -> None:
    cache = DirectoryCache(tmp_path / "cache")
    outcomes: list[TrialOutcome] = []
    objective = _objective(problem, tmp_path, cache, outcomes)
    key, payload = _real_payload(problem)
    other = subprocess.Popen(["sleep", "30"])  # a live process on this host holds the claim
    try:
        with sqlite3.connect(objective.guard.path) as db:
            db.execute(
                "INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?)",
                (key, socket.gethostname(), other.pid, 99, time.time(), None),
            )

        def finish_elsewhere() -> None:
            time.sleep(0.3)
            cache.put(key, payload)

        threading.Thread(target=finish_elsewhere).start()
        values = objective(_trial_with(PARAMS))
    finally:
        other.kill()
    assert values == tuple(payload["score"]["values"])
    assert outcomes[-1].source is CacheSource.CACHE
    assert objective.computed == {}, "the backtest must not run a second time"


def test_a_cache_that_cannot_be_written_costs_reuse_not_the_trial(
    problem: Problem, tmp_path: Path
) -> None:
    class FullDisk(MemoryCache):
        def put(self, key: str, payload: Payload) -> None:
            raise CacheError("no space left on device")

    outcomes: list[TrialOutcome] = []
    objective = _objective(problem, tmp_path, FullDisk(), outcomes)
    _, payload = _real_payload(problem)
    values = objective(_trial_with(PARAMS))
    assert values == tuple(payload["score"]["values"])
    assert outcomes[-1].source is CacheSource.COMPUTED
    again = objective(_trial_with(PARAMS))
    assert again == values and outcomes[-1].source is CacheSource.MEMORY


def test_an_unreadable_cache_is_a_miss_not_a_failed_trial(problem: Problem, tmp_path: Path) -> None:
    class Flaky(MemoryCache):
        def get(self, key: str) -> Payload | None:
            raise CacheError("server closed the connection unexpectedly")

    outcomes: list[TrialOutcome] = []
    objective = _objective(problem, tmp_path, Flaky(), outcomes)
    _, payload = _real_payload(problem)
    assert objective(_trial_with(PARAMS)) == tuple(payload["score"]["values"])
    assert outcomes[-1].source is CacheSource.COMPUTED


def test_an_outcome_says_whether_the_constraints_set_on_the_trial_hold(
    problem: Problem, tmp_path: Path
) -> None:
    strict = Problem(**{**problem.__dict__, "score_spec": ScoreSpec(("total_return_pct",), 10**6)})
    outcomes: list[TrialOutcome] = []
    objective = _objective(strict, tmp_path, MemoryCache(), outcomes)
    trial = _trial_with(PARAMS)
    objective(trial)
    assert outcomes[-1].feasible is False  # a million trades: the constraint cannot hold
    assert trial.study.trials[-1].constraints["min_trades"] > 0
    loose = _objective(problem, tmp_path / "loose", MemoryCache(), outcomes)
    loose(_trial_with(PARAMS))
    assert outcomes[-1].feasible is True


def test_a_lost_result_is_recomputed_into_the_cache_and_the_memory(
    problem: Problem, tmp_path: Path
) -> None:
    cache = MemoryCache()
    objective = _objective(problem, tmp_path, cache, [])
    key, first = _real_payload(problem)
    payload = objective.recompute(3, {**problem.space.fixed, **PARAMS}, key)
    assert payload["score"]["values"] == first["score"]["values"]
    assert payload["backtest_path"] == "run/trials/trial_0003.json"
    assert cache.get(key) == payload and objective.memory[key] == payload
    with pytest.raises(TrialFailed, match="no longer give its key"):
        objective.recompute(3, {"fast": 12, "slow": 50}, key)


def test_a_claim_is_held_until_the_write_behind_cache_has_stored_its_result(
    problem: Problem, tmp_path: Path
) -> None:
    class SlowDisk(MemoryCache):
        def __init__(self) -> None:
            super().__init__()
            self.go = threading.Event()

        def put(self, key: str, payload: Payload) -> None:
            assert self.go.wait(30)
            super().put(key, payload)

    from genesis.cache import WriteBehindCache

    inner = SlowDisk()
    cache = WriteBehindCache(inner)
    objective = _objective(problem, tmp_path, cache, [])
    key, _ = _real_payload(problem)
    objective(_trial_with(PARAMS))
    guard = objective.guard
    assert isinstance(guard, DedupGuard)
    holder = guard.holder(key)  # not yet in the cache: others must wait, not compute it
    assert holder is not None and holder.trial == 0
    assert objective.unreleased == [(key, 0)]
    inner.go.set()
    cache.flush()
    objective(_trial_with({"fast": 12, "slow": 75}))  # the next backtest releases it
    assert guard.holder(key) is None
    assert inner.get(key) is not None
    objective.release_claims()  # at close: the second one, once stored
    assert objective.unreleased == [] and guard.holder(cache_key_of(problem, 12, 75)) is None
    cache.close()


def cache_key_of(problem: Problem, fast: int, slow: int) -> str:
    spec = make_spec(
        problem.strategy, {"fast": fast, "slow": slow}, problem.data_fingerprint,
        problem.settings, problem.score_spec, window=problem.window,
    )  # fmt: skip
    return cache_key(spec)
