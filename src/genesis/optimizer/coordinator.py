"""The coordinator (``--cluster``): one process owns the study and the sampler, Dask
workers run the backtests.

It asks trials in batches (as many as the workers can take), answers each from the run's
score memory or the result cache when it can, and sends the others' backtests to the
workers (:mod:`genesis.optimizer.cluster_task`); a key already in flight is not sent
again, its trial waits for the same result. Results are told as they come back, through
the objective's own bookkeeping (memory, payloads, trial attributes, ``trials/`` files),
so a trial looks the same in the artifacts whichever mode ran it.

Guarantees: the budget is exact (a trial is asked only while the budget allows it); every
asked trial is told, in the order the results arrive, which is the order the sampler sees
them; a worker killed mid-backtest loses nothing (Dask runs its task again, and the trial
is told once); a coordinator killed leaves its asked trials RUNNING, and ``--resume``
fails and queues them again with the same params, answered from the cache when their
backtest had finished.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState

from genesis.artifacts import CacheSource, RunDir
from genesis.config import GenesisConfig
from genesis.errors import BacktestError, StrategyError
from genesis.optimizer._dask import Cluster
from genesis.optimizer.cluster_task import CACHED, FAILED, recipe_of, run_task
from genesis.optimizer.loop import (
    INTERRUPTED_ATTR,
    Budget,
    Tally,
    _fail,
    _new_trial,
    _stop_reason,
)
from genesis.optimizer.objective import Objective, TrialFailed
from genesis.optimizer.session import Session
from genesis.storage import log
from genesis.storage._optuna_private import _tell_with_warning
from genesis.storage.journal import grouped_writes

_CAPACITY_EVERY_S = 1.0
"""How often to ask the scheduler how many workers there are (a round trip)."""
_START_TIMEOUT_S = 120.0


def run_cluster(config: GenesisConfig, session: Session, budget: Budget, run: RunDir) -> str:
    """Run the search's trials on the Dask cluster ``config.optimizer.cluster``; returns
    why it stopped (see the module docstring)."""
    url = config.optimizer.cluster
    assert url is not None
    cluster = Cluster(url)
    try:
        if url.startswith("local:"):
            cluster.wait_for_workers(int(url.split(":", 1)[1]), _START_TIMEOUT_S)
        log.logger.info("[Runner] cluster %s: %d worker thread(s)", url, cluster.capacity())
        return Coordinator(session.study, session.objective, budget, cluster, config, run).run()
    finally:
        cluster.close()


def problem_fingerprint(recipe: str) -> str:
    """What a worker keys its problem by: the recipe without what only the coordinator
    uses (the study's name, the sampler and budget), so that a worker keeps its candles and
    features from one study to the next on the same data."""
    config = json.loads(recipe)
    for name in ("study_name", "resume", "optimizer", "storage", "validation"):
        config.pop(name, None)
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


class Coordinator:
    """The ask / dispatch / tell loop of one coordinator (see the module docstring)."""

    def __init__(
        self,
        study: optuna.Study,
        objective: Objective,
        budget: Budget,
        cluster: Cluster,
        config: GenesisConfig,
        run: RunDir,
    ) -> None:
        self.study = study
        self.objective = objective
        self.budget = budget
        self.cluster = cluster
        self.recipe = recipe_of(config)
        self.fingerprint = problem_fingerprint(self.recipe)
        self.run_name = run.name
        self.tally = Tally(keys=objective.unique_keys)
        self.finished, self.asked = self.tally.update(study.get_trials(deepcopy=False))
        self.flights: dict[str, list[optuna.Trial]] = {}
        """Trials waiting for a key's result, by key (the first one asked it)."""
        self.tasks: dict[str, str] = {}
        """The key of each task in flight, by Dask task key."""
        self.to_send: dict[str, tuple[Any, ...]] = {}
        """The arguments of this batch's tasks by Dask task key, sent together."""
        self._capacity = 0
        self._capacity_at = -math.inf

    def run(self) -> str:
        """Ask, dispatch and tell until the budget says stop and nothing is in flight."""
        try:
            while True:
                reason = self._ask_batch()
                if not self.flights:
                    if reason is not None:
                        return reason
                    continue
                self._collect()
        except KeyboardInterrupt:
            self._fail_in_flight()
            raise

    def _ask_batch(self) -> str | None:
        """Ask trials until the workers are busy; why asking stopped (``None``: busy)."""
        target = self._target()
        # A trial that joins a key in flight takes no worker, but is held: bound those too.
        while len(self.flights) < target and self.asked - self.finished < 2 * target:
            unique = len(self.tally.keys) + len(self.flights)
            reason = _stop_reason(self.study, self.budget, self.finished, self.asked, unique)
            if reason is not None:
                break
            self._dispatch(self._ask())
        else:
            reason = None
        self._send()
        return reason

    def _target(self) -> int:
        """Tasks to keep in flight: the workers' threads and a few queued, so that a worker
        never waits for the coordinator's round trip."""
        now = time.monotonic()
        if now - self._capacity_at >= _CAPACITY_EVERY_S:
            self._capacity, self._capacity_at = self.cluster.capacity(), now
        return self._capacity + max(1, self._capacity // 4)

    def _ask(self) -> optuna.Trial:
        """A new trial, or a queued one (a dead coordinator's, queued again) first."""
        queued = {t._trial_id for t in self.tally.unfinished if t.state == TrialState.WAITING}
        trial_id = _new_trial(self.study, self.tally, self.objective.worker)
        if trial_id not in queued:  # the queue is empty: stop looking in it
            self.tally.unfinished = []
        self.asked += 1
        return optuna.Trial(self.study, trial_id)

    def _dispatch(self, trial: optuna.Trial) -> None:
        """Answer ``trial`` from the memory or the cache, join its key's flight, or send
        its backtest to a worker."""
        with grouped_writes(self.study._storage):  # the params in one append
            params = self.objective.problem.space.suggest(trial)
        key: str | None = None
        try:
            _, key = self.objective.spec_and_key(params)
            source, payload = self.objective.lookup(trial.number, key)
        except (StrategyError, BacktestError, TrialFailed) as error:
            self._fail(trial, key, str(error))
            return
        if payload is not None:
            self._tell(trial, key, source, payload)
        elif key in self.flights:
            self.flights[key].append(trial)
        else:
            task = f"genesis-{self.run_name}-{trial.number}-{key[:12]}"
            args = (self.recipe, self.fingerprint, params, key, trial.number, self.run_name)
            self.to_send[task] = args
            self.tasks[task] = key
            self.flights[key] = [trial]

    def _send(self) -> None:
        self.cluster.submit(run_task, list(self.to_send.values()), list(self.to_send))
        self.to_send = {}

    def _collect(self) -> None:
        """Tell the trials of every task finished by now, in the order they finish."""
        for task, result, error in self.cluster.finished():
            key = self.tasks.pop(task)
            trials = self.flights.pop(key)
            if error is not None:  # the task raised, or its workers kept dying
                result = {"status": FAILED, "error": error}
            if result["status"] == FAILED:
                for trial in trials:
                    self._fail(trial, key, result["error"])
                continue
            payload = result["payload"]
            first = trials[0].number
            if result["status"] == CACHED:
                source = CacheSource.CACHE
                log.log_cache_hit(first, payload["score"]["values"])
            else:
                source = CacheSource.COMPUTED
                self.objective.computed[first] = payload
                metrics = payload["metrics"]
                log.log_computed(first, payload["elapsed_s"], payload["score"]["values"], metrics)
            for i, trial in enumerate(trials):
                if i:
                    source = CacheSource.MEMORY
                    log.log_memory_hit(trial.number, payload["score"]["values"])
                self._tell(trial, key, source, payload)

    def _tell(
        self, trial: optuna.Trial, key: str, source: CacheSource, payload: dict[str, Any]
    ) -> None:
        with grouped_writes(self.study._storage):  # the attributes and the state: one append
            values = self.objective.accept(trial, key, source, payload)
            # Study.tell, without the deep copy of the trial it returns.
            told = list(values) if len(values) > 1 else values[0]
            _tell_with_warning(self.study, trial, told, skip_if_finished=True)
        self.finished += 1

    def _fail(self, trial: optuna.Trial, key: str | None, message: str) -> None:
        error = self.objective.failed(trial, key, message)
        _fail(self.study, trial, error)
        self.finished += 1

    def _fail_in_flight(self) -> None:
        """Ctrl-C: fail the trials still waiting for a result, as interrupted (``--resume``
        asks them again; a result that reached the cache is reused then)."""
        for trials in self.flights.values():
            for trial in trials:
                try:
                    trial.set_user_attr(INTERRUPTED_ATTR, True)
                    self.study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
                except UpdateFinishedTrialError:
                    continue
        self.flights.clear()


__all__ = ["Coordinator", "run_cluster"]
