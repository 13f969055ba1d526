"""The objective (DESIGN.md "Alternative B, done completely").

For each trial: suggest params → canonical spec → key → then, in order:

1. in-run score memory → the real score (``cache_source=memory``);
2. result cache → the real score from the stored payload (``cache_source=cache``);
3. another live worker holds the claim on the key → wait for its result (single flight);
4. otherwise claim, run the backtest, store the payload atomically, release.

A duplicate never returns an invented number. A backtest that raises or whose score is
undefined fails the trial with the message kept (and a duplicate of it fails the same way
without running again); the study goes on.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import optuna

from genesis.artifacts import CacheSource, RunDir
from genesis.cache import Payload, ResultCache, WriteBehindCache, cache_key, check_result
from genesis.errors import BacktestError, CacheError, CorruptCacheEntry, StrategyError
from genesis.evaluate import BacktestSpec, Evaluation
from genesis.optimizer.problem import Problem
from genesis.storage import log
from genesis.storage.claims import Claims
from genesis.storage.interrupts import is_interrupt
from genesis.storage.journal import grouped_writes

_WAIT_POLL_S = 0.05
_WAIT_LIMIT_S = 600.0
"""How long to wait for another worker's result before computing it here as well."""


class TrialFailed(Exception):
    """The trial's backtest failed; the runner tells Optuna FAIL and keeps the message."""


@dataclass
class TrialOutcome:
    """What the runner learns of one finished trial (for progress and budgets)."""

    number: int
    values: tuple[float, ...] | None
    source: CacheSource | None
    key: str | None
    error: str | None = None
    feasible: bool | None = None
    """Whether every constraint set on the trial holds (``None`` without a score)."""
    params: dict[str, Any] | None = None
    """The trial's searched params, for a display's "new best" line."""
    metrics: dict[str, Any] | None = None
    """The backtest's metrics (``None`` for a failed trial)."""


@dataclass
class Objective:
    """Callable over Optuna trials; keeps the run's score memory and counters."""

    problem: Problem
    """What a trial's params are backtested on (:meth:`Problem.spec`, :meth:`Problem.evaluate`)."""
    cache: ResultCache | None
    run_dir: RunDir
    guard: Claims
    on_outcome: Callable[[TrialOutcome], None] | None = None
    shared: bool = False
    """Other workers use the study: results must be stored before a claim is released."""
    worker: dict[str, Any] | None = None
    """This process as an owner (``Owner.as_attr``): the loop records it on each trial it
    takes (with a new trial, or on a queued one)."""
    memory: dict[str, Payload] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    corrupt_entries: int = 0
    unique_keys: set[str] = field(default_factory=set)
    computed: dict[int, Payload] = field(default_factory=dict)
    """Payloads of the backtests this process ran, by trial: written to ``trials/`` at export."""
    unreleased: list[tuple[str, int]] = field(default_factory=list)
    """Claims on results still queued for the cache: released once they are stored."""

    def __call__(self, trial: optuna.Trial) -> tuple[float, ...]:
        """Score one trial; raises :class:`TrialFailed` when its backtest fails."""
        with grouped_writes(trial.storage):  # the params in one append, visible at once
            params = self.problem.space.suggest(trial)
        key: str | None = None
        try:
            spec, key = self.spec_and_key(params)
            source, payload = self.lookup(trial.number, key)
            if payload is None:
                source, payload = self._compute(trial.number, spec, key)
        except (StrategyError, BacktestError, TrialFailed) as error:
            if is_interrupt(error):  # Ctrl-C in a numba kernel: not the strategy's fault
                raise KeyboardInterrupt from error
            raise self.failed(trial, key, str(error)) from error
        return self.accept(trial, key, source, payload)

    def spec_and_key(self, params: dict[str, Any]) -> tuple[BacktestSpec, str]:
        """The backtest of ``params`` and its cache key.

        Raises:
            StrategyError: ``params`` do not fit the strategy.
        """
        spec = self.problem.spec(params)
        return spec, cache_key(spec)

    def failed(self, trial: optuna.Trial, key: str | None, message: str) -> TrialFailed:
        """Record that ``trial`` failed with ``message``; the error to raise for it."""
        if key is not None:
            self.failures[key] = message
        with grouped_writes(trial.storage):
            _set_attrs(trial, {"key": key, "error": message})
        self._emit(trial, None, None, key, message)
        return TrialFailed(message)

    def accept(
        self, trial: optuna.Trial, key: str, source: CacheSource, payload: Payload
    ) -> tuple[float, ...]:
        """Remember ``payload`` as ``trial``'s result and record it; the trial's values."""
        self.memory[key] = payload
        self.unique_keys.add(key)
        values = tuple(float(v) for v in payload["score"]["values"])
        self._record(trial, key, source, payload, values)
        return values

    def lookup(self, number: int, key: str) -> tuple[CacheSource, Payload | None]:
        """The result of ``key`` from the memory or the cache (``None``: compute it).

        Raises:
            TrialFailed: ``key``'s backtest failed before in this run.
        """
        remembered = self.memory.get(key)
        if remembered is not None:
            log.log_memory_hit(number, remembered["score"]["values"])
            return CacheSource.MEMORY, remembered
        if key in self.failures:
            raise TrialFailed(self.failures[key])
        stored = self._cache_get(key)
        if stored is not None:
            log.log_cache_hit(number, stored["score"]["values"])
            return CacheSource.CACHE, stored
        return CacheSource.COMPUTED, None

    def _cache_get(self, key: str) -> Payload | None:
        stored, corrupt = read_result(self.cache, key, len(self.problem.score_spec.objectives))
        self.corrupt_entries += corrupt
        return stored

    def _compute(self, number: int, spec: BacktestSpec, key: str) -> tuple[CacheSource, Payload]:
        self._release_stored()
        holder = self.guard.claim(key, number)
        deadline = time.monotonic() + _WAIT_LIMIT_S
        # Another live worker is computing it: wait for its result (through the cache;
        # without a cache there is nothing to wait for, and both compute it).
        while holder is not None and self.cache is not None:
            if time.monotonic() > deadline:
                log.logger.warning(
                    "[CACHE] trial %d waited %.0fs for trial %d's result; computing it too",
                    number, _WAIT_LIMIT_S, holder.trial,
                )  # fmt: skip
                break
            time.sleep(_WAIT_POLL_S)
            waited = self._cache_get(key)
            if waited is not None:
                log.log_cache_hit(number, waited["score"]["values"])
                return CacheSource.CACHE, waited
            holder = self.guard.claim(key, number)
        if self.shared:  # stored and released just before our claim won?
            stored = self._cache_get(key)
            if stored is not None:
                self.guard.release(key, number, done=True)
                log.log_cache_hit(number, stored["score"]["values"])
                return CacheSource.CACHE, stored
        done = False
        try:
            evaluation = self.problem.evaluate(spec)
            payload = self._payload(number, spec, key, evaluation)
            self.computed[number] = payload
            self._cache_put(key, payload)
            done = True
        finally:
            if done and isinstance(self.cache, WriteBehindCache) and self.cache.queued(key):
                self.unreleased.append((key, number))  # others wait for it in the cache
            else:
                self.guard.release(key, number, done=done)
        log.log_computed(
            number, evaluation.elapsed_s, payload["score"]["values"], payload["metrics"]
        )
        return CacheSource.COMPUTED, payload

    def _cache_put(self, key: str, payload: Payload, *, through: bool = False) -> None:
        """Store a result; a cache that cannot be written costs reuse, never the trial.

        ``through`` writes past a write-behind cache, at once (off the trial loop, where
        its writer thread may already be stopped).
        """
        cache = self.cache
        if through and isinstance(cache, WriteBehindCache):
            cache = cache.inner
        store_result(cache, key, payload)

    def _release_stored(self) -> None:
        """Release the claims whose results the write-behind cache has stored by now.

        A claim is held until its result is in the cache, so that a worker that waits for
        it finds it there and never computes it again; the trial loop does not wait for
        the write (a flush per trial cost about 0.8 ms).
        """
        if not self.unreleased:
            return
        assert isinstance(self.cache, WriteBehindCache)
        still = []
        for key, number in self.unreleased:
            if self.cache.queued(key):
                still.append((key, number))
            else:
                self.guard.release(key, number, done=True)
        self.unreleased = still

    def release_claims(self) -> None:
        """Store every queued result, then release its claim (when the session closes)."""
        if self.unreleased:
            assert isinstance(self.cache, WriteBehindCache)
            with contextlib.suppress(CacheError):
                self.cache.flush()
            for key, number in self.unreleased:
                self.guard.release(key, number, done=True)
            self.unreleased = []

    def _payload(self, number: int, spec: BacktestSpec, key: str, ev: Evaluation) -> Payload:
        return trial_payload(self.run_dir.name, number, spec, key, ev)

    def _record(
        self,
        trial: optuna.Trial,
        key: str,
        source: CacheSource,
        payload: Payload,
        values: tuple[float, ...],
    ) -> None:
        cached = source is not CacheSource.COMPUTED
        constraints = {name: float(v) for name, v in payload["score"]["constraints"].items()}
        with grouped_writes(trial.storage):  # one append, before the trial is told
            _set_attrs(trial, {
                "key": key, "cached": cached, "cache_reused": cached,
                "cache_source": source.value, "backtest_path": payload.get("backtest_path"),
            })  # fmt: skip
            for name, value in constraints.items():
                trial.set_constraint(name, value)
        feasible = all(v <= 0 for v in constraints.values())
        self._emit(trial, values, source, key, None, payload.get("metrics"), feasible=feasible)

    def recompute(self, number: int, params: dict[str, Any], key: str) -> Payload:
        """Run trial ``number``'s backtest again because its stored result was lost.

        The result is stored in the cache and the memory as a first run's would be.

        Raises:
            TrialFailed: ``params`` no longer give ``key`` (the config changed), or the
                backtest fails.
        """
        try:
            spec, spec_key = self.spec_and_key(params)
            if spec_key != key:
                raise TrialFailed(f"trial {number}'s params no longer give its key {key[:12]}")
            evaluation = self.problem.evaluate(spec)
        except (StrategyError, BacktestError) as error:
            if is_interrupt(error):
                raise KeyboardInterrupt from error
            raise TrialFailed(str(error)) from error
        payload = self._payload(number, spec, key, evaluation)
        self._cache_put(key, payload, through=True)
        self.memory[key] = payload
        return payload

    def _emit(
        self,
        trial: optuna.Trial,
        values: tuple[float, ...] | None,
        source: CacheSource | None,
        key: str | None,
        error: str | None,
        metrics: dict[str, Any] | None = None,
        *,
        feasible: bool | None = None,
    ) -> None:
        if self.on_outcome is None:
            return  # trial.params is a deep copy: only made for a listener
        outcome = TrialOutcome(
            trial.number, values, source, key, error, feasible=feasible,
            params=dict(trial.params), metrics=metrics,
        )  # fmt: skip
        self.on_outcome(outcome)


def read_result(cache: ResultCache | None, key: str, n_values: int) -> tuple[Payload | None, int]:
    """The checked result of ``key`` in ``cache`` (``None``: a miss) and how many corrupt
    entries were met (0 or 1).

    A corrupt entry or an unreadable cache is a miss, never a failed trial.
    """
    if cache is None:
        return None, 0
    try:
        stored = cache.get(key)
        return (None if stored is None else check_result(key, stored, n_values)), 0
    except CorruptCacheEntry as error:
        log.logger.warning("[CACHE] corrupt entry ignored, recomputing: %s", error)
        return None, 1
    except CacheError as error:  # a dropped connection, say: a miss, not a failed trial
        log.logger.warning("[CACHE] cache unreadable, treated as a miss: %s", error)
    return None, 0


def store_result(cache: ResultCache | None, key: str, payload: Payload) -> None:
    """Store a result in ``cache``; a cache that cannot be written costs reuse, never the
    trial."""
    if cache is None:
        return
    try:
        cache.put(key, payload)
    except CacheError as error:
        log.logger.warning("[CACHE] result of key %s not stored: %s", key[:12], error)


def trial_payload(run: str, number: int, spec: BacktestSpec, key: str, ev: Evaluation) -> Payload:
    """The cache payload of trial ``number``'s backtest in run ``run``."""
    return result_payload(
        key, spec, ev, backtest_path=f"{run}/trials/trial_{number:04d}.json",
        computed_by={"run": run, "trial": number},
    )  # fmt: skip


def result_payload(
    key: str,
    spec: BacktestSpec,
    ev: Evaluation,
    *,
    backtest_path: str | None,
    computed_by: dict[str, Any],
) -> Payload:
    """What the result cache stores for one real backtest (trials and validation alike)."""
    return {
        "key": key,
        "spec": spec.canonical(),
        "score": {
            "values": list(ev.score.values),
            "names": list(ev.score.names),
            "directions": list(ev.score.directions),
            "constraints": dict(ev.score.constraints),
            "feasible": ev.score.feasible,
        },
        "metrics": ev.metrics.as_dict(),
        "elapsed_s": ev.elapsed_s,
        "backtest_path": backtest_path,
        "computed_by": computed_by,
    }


def _set_attrs(trial: optuna.Trial, attrs: dict[str, Any]) -> None:
    for name, value in attrs.items():
        trial.set_user_attr(name, value)


__all__ = [
    "Objective",
    "TrialFailed",
    "TrialOutcome",
    "read_result",
    "result_payload",
    "store_result",
    "trial_payload",
]
