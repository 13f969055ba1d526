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
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import optuna

from genesis.artifacts import CacheSource, RunDir
from genesis.cache import Payload, ResultCache, WriteBehindCache, cache_key
from genesis.errors import BacktestError, CacheError, CorruptCacheEntry, StrategyError
from genesis.evaluate import BacktestSpec, Evaluation
from genesis.optimizer import log
from genesis.optimizer.claims import Claims
from genesis.optimizer.journal import grouped_writes
from genesis.optimizer.problem import Problem

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
            spec = self.problem.spec(params)
            key = cache_key(spec)
            source, payload = self._lookup(trial.number, key)
            if payload is None:
                source, payload = self._compute(trial.number, spec, key)
        except (StrategyError, BacktestError, TrialFailed) as error:
            message = str(error)
            if key is not None:
                self.failures[key] = message
            with grouped_writes(trial.storage):
                _set_attrs(trial, {"key": key, "error": message})
            self._emit(trial, None, None, key, message)
            raise TrialFailed(message) from error
        self.memory[key] = payload
        self.unique_keys.add(key)
        values = tuple(float(v) for v in payload["score"]["values"])
        self._record(trial, key, source, payload, values)
        return values

    def _lookup(self, number: int, key: str) -> tuple[CacheSource, Payload | None]:
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
        if self.cache is None:
            return None
        try:
            stored = self.cache.get(key)
            return None if stored is None else self._checked(key, stored)
        except CorruptCacheEntry as error:
            self.corrupt_entries += 1
            log.logger.warning("[CACHE] corrupt entry ignored, recomputing: %s", error)
        except CacheError as error:  # a dropped connection, say: a miss, not a failed trial
            log.logger.warning("[CACHE] cache unreadable, treated as a miss: %s", error)
        return None

    def _checked(self, key: str, payload: Payload) -> Payload:
        """``payload`` if its score is what :meth:`_payload` writes, else CorruptCacheEntry.

        The checksum proves the entry is as written, not that its writer wrote a score.
        """
        score = payload.get("score")
        values = score.get("values") if isinstance(score, dict) else None
        constraints = score.get("constraints") if isinstance(score, dict) else None
        n = len(self.problem.score_spec.objectives)
        if not (isinstance(values, list) and len(values) == n and all(map(_finite, values))):
            problem = f"its score values are {values!r}, not {n} finite number(s)"
        elif not (isinstance(constraints, dict) and all(map(_finite, constraints.values()))):
            problem = f"its constraints are {constraints!r}, not finite numbers by name"
        else:
            return payload
        raise CorruptCacheEntry(problem, where=f"cache entry {key[:12]}…")

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
        if self.cache is None:
            return
        try:
            if through and isinstance(self.cache, WriteBehindCache):
                self.cache.inner.put(key, payload)
                return
            self.cache.put(key, payload)
        except CacheError as error:
            log.logger.warning("[CACHE] result of key %s not stored: %s", key[:12], error)

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
        run = self.run_dir.name
        return result_payload(
            key, spec, ev, backtest_path=f"{run}/trials/trial_{number:04d}.json",
            computed_by={"run": run, "trial": number},
        )  # fmt: skip

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
            spec = self.problem.spec(params)
            if cache_key(spec) != key:
                raise TrialFailed(f"trial {number}'s params no longer give its key {key[:12]}")
            evaluation = self.problem.evaluate(spec)
        except (StrategyError, BacktestError) as error:
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


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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


__all__ = ["Objective", "TrialFailed", "TrialOutcome", "result_payload"]
