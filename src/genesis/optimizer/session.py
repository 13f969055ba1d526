"""What one worker holds open while it runs trials: storage, cache, claims, study, objective.

The main process (:mod:`genesis.optimizer.runner`) and every extra worker
(:mod:`genesis.optimizer.worker`) open a :class:`Session` the same way, so that they
share the study, the result cache and the claims of a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage

from genesis.artifacts import RunDir
from genesis.cache import DirectoryCache, ResultCache, WriteBehindCache, open_cache
from genesis.cache.sql import mask_url
from genesis.config import GenesisConfig
from genesis.errors import CacheError, ConfigError, StorageError
from genesis.metrics import objective_direction
from genesis.optimizer.fingerprint import remember_fingerprint, study_fingerprint
from genesis.optimizer.loop import Budget, SlotLock
from genesis.optimizer.objective import Objective, TrialOutcome
from genesis.optimizer.problem import Problem, precompute_features
from genesis.samplers.sampler import make_sampler
from genesis.storage import log
from genesis.storage.claims import AdvisoryClaims, Claims, DedupGuard
from genesis.storage.journal import sync_storage
from genesis.storage.owner import Owner
from genesis.storage.rdb import Heartbeat, ResilientRDBStorage
from genesis.storage.slots import AdvisorySlotLock, FileSlotLock
from genesis.storage.storage import open_storage, refuse_masked


@dataclass
class Session:
    """What one worker holds open while it runs trials."""

    storage: BaseStorage
    cache: WriteBehindCache | None
    guard: Claims
    study: optuna.Study
    objective: Objective
    seed_session: int
    slot_lock: SlotLock | None = None
    """Taken around each new trial of a shared study (:mod:`genesis.storage.slots`)."""
    heartbeat: Heartbeat | None = None
    """On a database storage: beats for the running trial, fails dead processes' trials."""

    def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.close()
        try:
            self.objective.release_claims()
        finally:
            self.guard.close()
            if isinstance(self.slot_lock, FileSlotLock):
                self.slot_lock.close()
            sync_storage(self.storage)  # the journal's last records on disk
        if self.cache is not None:
            self.cache.close()


def open_session(
    config: GenesisConfig,
    problem: Problem,
    run: RunDir,
    worker_index: int,
    on_outcome: Callable[[TrialOutcome], None] | None,
    *,
    seed_session: int | None = None,
) -> Session:
    """Open the storage, cache, claims and study of ``run`` for the worker ``worker_index``.

    ``seed_session`` is given to extra workers (the main process's); otherwise it is the
    number of trials the study has when this session starts (see :func:`make_sampler`).
    """
    opt = config.optimizer
    storage = open_storage(
        config.storage, run.root, retry_s=opt.storage_retry_s,
        heartbeat_interval_s=opt.heartbeat_interval_s, grace_s=opt.heartbeat_grace_s,
    )  # fmt: skip
    cache = open_run_cache(config)
    guard = open_claims(config, run)
    study, seed_session = _study(config, problem, storage, run.name, worker_index, seed_session)
    objective = Objective(
        problem=problem, cache=cache, run_dir=run, guard=guard, on_outcome=on_outcome,
        worker=Owner.current().as_attr() if is_shared(config) else None,
        shared=is_shared(config),
    )  # fmt: skip
    session = Session(storage, cache, guard, study, objective, seed_session)
    if isinstance(storage, ResilientRDBStorage):
        session.slot_lock = AdvisorySlotLock(storage, run.name)
        session.heartbeat = Heartbeat(storage, study)
    elif is_shared(config):
        session.slot_lock = FileSlotLock(run.root / "_slots.lock")
    return session


def open_claims(config: GenesisConfig, run: RunDir) -> Claims:
    """Claims in the PostgreSQL cache's database when there is one (many machines), else
    in the run's ``_dedup.db`` (one machine)."""
    location = config.cache.location or ""
    if config.cache.enabled and location.startswith(("postgresql://", "postgres://")):
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return AdvisoryClaims(location)
        except SQLAlchemyError as error:
            raise StorageError(f"cannot open the claims in {mask_url(location)}: {error}") from None
    return DedupGuard(run.dedup_db)


def is_shared(config: GenesisConfig) -> bool:
    """Whether other workers may use the study while this one runs."""
    return config.optimizer.n_workers > 1 or config.storage is not None


def precompute(config: GenesisConfig, problem: Problem) -> None:
    """Warm the feature store with the search space's indicators, if the config asks."""
    if config.features.precompute:
        n = precompute_features(problem)
        log.logger.info("[Runner] precomputed %d indicators of the search space", n)


def make_budget(config: GenesisConfig, problem: Problem) -> Budget:
    """The budget of one worker's loop, started now."""
    opt = config.optimizer
    max_trials = opt.max_trials or max(opt.n_trials, 10 * (opt.max_unique_backtests or 0))
    return Budget(
        n_trials=opt.n_trials, max_unique=opt.max_unique_backtests, max_trials=max_trials,
        timeout_s=opt.timeout_s, space_size=problem.space.size, started=time.monotonic(),
    )  # fmt: skip


def open_run_cache(config: GenesisConfig) -> WriteBehindCache | None:
    """The run's result cache, written behind the trial loop by a thread.

    Creating the entry file (0.3-0.7 ms here) happens off the trial loop.
    """
    inner = open_result_cache(config)
    return None if inner is None else WriteBehindCache(inner)


def open_result_cache(config: GenesisConfig) -> ResultCache | None:
    """The result cache ``config`` names, written synchronously (``None``: disabled).

    A directory cache skips fsync: entries are checksummed, so a crash costs at most a
    recomputed backtest, never a wrong score.
    """
    if not config.cache.enabled:
        return None
    location = config.cache.location or str(Path(config.output_dir) / "_cache")
    refuse_masked(location, "cache.location", "GENESIS_CACHE_URL")
    if "://" in location:
        return open_cache(location)
    inner = DirectoryCache(Path(location), fsync=False)
    try:  # once, here: not one "corrupt entry" warning per key during the search
        inner.probe()
    except CacheError as error:
        raise ConfigError(
            f"cache.location {location!r} is unusable: {error.message}",
            hint="point cache.location at a writable directory, or set cache.enabled: false",
        ) from error
    return inner


def _study(
    config: GenesisConfig,
    problem: Problem,
    storage: Any,
    name: str,
    worker_index: int,
    seed_session: int | None,
) -> tuple[optuna.Study, int]:
    """Create or load the study; returns it and its seed session."""
    directions = [objective_direction(o) for o in config.score.objectives]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(
            storage=storage, sampler=make_sampler(config, problem, worker_index),
            study_name=name, directions=directions, load_if_exists=True,
        )  # fmt: skip
    except ValueError as error:
        raise StorageError(f"study {name!r}: {error}") from None
    if [d.name.lower() for d in study.directions] != directions:
        raise ConfigError(
            f"study {name!r} was created with objectives in directions "
            f"{[d.name.lower() for d in study.directions]}, the config asks {directions}",
            hint="use a new --study name",
        )
    remember_fingerprint(study, study_fingerprint(config, problem))
    if seed_session is None:
        seed_session = len(study.get_trials(deepcopy=False))
    if seed_session:  # a resumed session must not replay the first session's random draws
        sampler = make_sampler(config, problem, worker_index, session=seed_session)
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler)
    return study, seed_session
