"""The runner: one optimization from a validated config to a run directory on disk.

It opens the run directory, storage, cache and dedup guard, starts the extra local
workers if asked, runs the ask/tell loop (:mod:`genesis.optimizer.loop`), and rewrites
the artifacts from the storage at the end or on interruption.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage

from genesis.artifacts import RunCacheStats, RunDir, latest_run, unique_run_name, write_text_atomic
from genesis.cache import DirectoryCache, WriteBehindCache, open_cache
from genesis.config import GenesisConfig, dump_config
from genesis.errors import ConfigError, StorageError
from genesis.metrics import objective_direction
from genesis.optimizer import log
from genesis.optimizer.claims import DedupGuard
from genesis.optimizer.export import write_artifacts
from genesis.optimizer.loop import Budget, run_loop, sweep_orphans
from genesis.optimizer.objective import Objective, TrialOutcome
from genesis.optimizer.owner import Owner
from genesis.optimizer.problem import Problem, build_problem, precompute_features
from genesis.optimizer.storage import flush_storage, open_storage
from genesis.optimizer.workers import Workers, join_workers, start_workers


@dataclass(frozen=True)
class OptimizationResult:
    """What :func:`run_optimizer` returns."""

    run_dir: Path
    study_name: str
    best: dict[str, Any] | None
    stats: RunCacheStats
    n_trials: int
    stop_reason: str


@dataclass
class _Session:
    """What one worker holds open while it runs trials."""

    storage: BaseStorage
    cache: WriteBehindCache | None
    guard: DedupGuard
    study: optuna.Study
    objective: Objective
    seed_session: int

    def close(self) -> None:
        flush_storage(self.storage)
        self.guard.close()
        if self.cache is not None:
            self.cache.close()


def run_optimizer(
    config: GenesisConfig,
    *,
    on_outcome: Callable[[TrialOutcome], None] | None = None,
    worker_index: int = 0,
) -> OptimizationResult:
    """Optimize as ``config`` says; see the module docstring.

    ``worker_index`` offsets the sampler seed (``seed + index``) of this process; its
    local extra workers take the next indexes. A machine that joins a shared study
    (``genesis worker``) uses an index no other worker uses.

    Raises:
        ConfigError, DataError, StorageError, ArtifactError: what the message says.
        KeyboardInterrupt: after the run directory was made consistent.
    """
    for name in config.score.objectives:
        objective_direction(name)  # an unknown objective is a config error, before any file
    problem = build_problem(config)
    run = _run_dir(config)
    _precompute(config, problem)
    write_text_atomic(run.config, dump_config(config))
    session = _open_session(config, problem, run, worker_index, on_outcome)
    local = config.storage is None
    # Before our workers start, a local journal's RUNNING trials without a live owner are
    # orphans; on a shared database only those of dead processes on this host are.
    sweep_orphans(session.study, unknown_are_orphans=local)
    n_workers = config.optimizer.n_workers
    workers = (
        start_workers(
            _worker_config(config, run), n_workers - 1,
            first_index=worker_index + 1, session=session.seed_session,
        )
        if n_workers > 1
        else Workers()
    )  # fmt: skip
    watch = _WorkerWatch(workers.processes, session.study)
    log.logger.info(
        "[Runner] study %s: %s on %d bars of %s %s, %d worker(s), run directory %s",
        run.name, problem.strategy.name, len(problem.candles), problem.candles.symbol,
        problem.candles.timeframe, n_workers, run.root,
    )  # fmt: skip
    reason, interrupted = "stopped by an error", False
    try:
        reason = run_loop(
            session.study, session.objective, _budget(config, problem),
            shared=_shared(config), between_trials=watch if workers else None,
        )  # fmt: skip
    except KeyboardInterrupt:
        reason, interrupted = "interrupted (Ctrl-C)", True
        raise
    finally:
        for problem_line in join_workers(workers, interrupted=interrupted):
            log.logger.warning("[Runner] %s", problem_line)
        if workers and local:  # every worker has ended: what is still RUNNING is orphaned
            sweep_orphans(session.study, unknown_are_orphans=True)
        session.close()
        stats, best = write_artifacts(
            session.study, run, problem, session.cache, session.objective, stop_reason=reason
        )
        log.log_cache_stats(stats)
    log.logger.info("[Runner] stopped: %s", reason)
    return OptimizationResult(run.root, run.name, best, stats, stats.total_trials, reason)


def run_worker(
    config: GenesisConfig, worker_index: int, seed_session: int, stopped: Callable[[], bool]
) -> str:
    """Run one extra worker on the run ``config.study_name`` (see :mod:`.workers`).

    ``stopped`` is the main process's stop flag, checked before the first trial and
    between trials.
    """
    assert config.study_name is not None

    def check_stop() -> None:
        if stopped():
            raise KeyboardInterrupt

    problem = build_problem(config)
    run = RunDir(Path(config.output_dir) / config.study_name)
    _precompute(config, problem)
    session = _open_session(config, problem, run, worker_index, None, seed_session=seed_session)
    try:
        check_stop()
        return run_loop(
            session.study, session.objective, _budget(config, problem),
            shared=True, between_trials=check_stop,
        )  # fmt: skip
    finally:
        session.close()


def _open_session(
    config: GenesisConfig,
    problem: Problem,
    run: RunDir,
    worker_index: int,
    on_outcome: Callable[[TrialOutcome], None] | None,
    *,
    seed_session: int | None = None,
) -> _Session:
    storage = open_storage(config.storage, run.root)
    cache = _open_cache(config)
    guard = DedupGuard(run.dedup_db)
    study, seed_session = _study(config, problem, storage, run.name, worker_index, seed_session)
    objective = Objective(
        strategy=problem.strategy, features=problem.features, space=problem.space,
        settings=problem.settings, score_spec=problem.score_spec,
        data_fingerprint=problem.data_fingerprint, window=problem.window,
        cache=cache, run_dir=run, guard=guard, on_outcome=on_outcome,
        publish=(lambda: flush_storage(storage)) if _shared(config) else None,
        worker=Owner.current().as_attr() if _shared(config) else None,
        shared=_shared(config),
    )  # fmt: skip
    return _Session(storage, cache, guard, study, objective, seed_session)


class _WorkerWatch:
    """Between trials, notices a worker that died and frees the trial it left RUNNING.

    Otherwise that trial would repel TPE (constant liar) until the run ends.
    """

    def __init__(self, workers: list[BaseProcess], study: optuna.Study) -> None:
        self._workers = workers
        self._study = study
        self._seen_dead: set[str] = set()

    def __call__(self) -> None:
        dead = {w.name for w in self._workers if w.exitcode not in (None, 0)}
        if dead - self._seen_dead:
            self._seen_dead |= dead
            for name in sorted(dead):
                log.logger.warning("[Runner] %s died; freeing its running trial", name)
            sweep_orphans(self._study, unknown_are_orphans=False)


def _shared(config: GenesisConfig) -> bool:
    """Whether other workers may use the study while this one runs."""
    return config.optimizer.n_workers > 1 or config.storage is not None


def _worker_config(config: GenesisConfig, run: RunDir) -> dict[str, Any]:
    """The config the extra workers load: this run's study, by name."""
    update = {"study_name": run.name, "resume": True, "output_dir": str(run.root.parent)}
    return config.model_copy(update=update).model_dump(mode="json")


def _precompute(config: GenesisConfig, problem: Problem) -> None:
    if config.features.precompute:
        n = precompute_features(problem)
        log.logger.info("[Runner] precomputed %d indicators of the search space", n)


def _budget(config: GenesisConfig, problem: Problem) -> Budget:
    opt = config.optimizer
    max_trials = opt.max_trials or max(opt.n_trials, 10 * (opt.max_unique_backtests or 0))
    return Budget(
        n_trials=opt.n_trials, max_unique=opt.max_unique_backtests, max_trials=max_trials,
        timeout_s=opt.timeout_s, space_size=problem.space.size, started=time.monotonic(),
    )  # fmt: skip


def _run_dir(config: GenesisConfig) -> RunDir:
    out = Path(config.output_dir)
    if config.resume and config.study_name is None:
        run = latest_run(out)
    else:
        name = config.study_name or unique_run_name(out)
        run = RunDir(out / name)
        if config.resume and not run.root.exists():
            raise ConfigError(f"no run named {name!r} to resume", where=str(out))
    return run.create()


def _open_cache(config: GenesisConfig) -> WriteBehindCache | None:
    """The run's result cache, written behind the trial loop by a thread.

    A directory cache skips fsync: entries are checksummed, so a crash costs at most a
    recomputed backtest, never a wrong score. Creating the entry file (0.3-0.7 ms here)
    happens off the trial loop.
    """
    if not config.cache.enabled:
        return None
    location = config.cache.location or str(Path(config.output_dir) / "_cache")
    inner = (
        DirectoryCache(Path(location), fsync=False)
        if "://" not in location
        else open_cache(location)
    )
    return WriteBehindCache(inner)


def _study(
    config: GenesisConfig,
    problem: Problem,
    storage: Any,
    name: str,
    worker_index: int,
    seed_session: int | None,
) -> tuple[optuna.Study, int]:
    """Create or load the study; returns it and its seed session (see :func:`make_sampler`).

    ``seed_session`` is given to extra workers (the main process's); otherwise it is the
    number of trials the study has when this session starts.
    """
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
    if seed_session is None:
        seed_session = len(study.get_trials(deepcopy=False))
    if seed_session:  # a resumed session must not replay the first session's random draws
        sampler = make_sampler(config, problem, worker_index, session=seed_session)
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler)
    return study, seed_session


_SESSION_STRIDE = 1_000_003  # a prime: sessions' seeds never meet the workers' offsets


def make_sampler(
    config: GenesisConfig, problem: Problem, worker_index: int, *, session: int = 0
) -> optuna.samplers.BaseSampler:
    """The configured sampler, seeded with ``seed + worker_index`` in a fresh study.

    A resumed study (``session`` = the number of trials it already has) shifts the seed,
    still deterministically, so that it draws new points instead of the first session's.
    """
    opt = config.optimizer
    seed = None
    if opt.seed is not None:
        seed = (opt.seed + worker_index + _SESSION_STRIDE * session) % 2**32
    if opt.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=opt.n_startup_trials)
    if opt.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if opt.sampler == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, n_startup_trials=opt.n_startup_trials)
    if opt.sampler == "grid":
        return optuna.samplers.GridSampler(problem.space.grid(), seed=seed)
    if len(config.score.objectives) < 2:
        raise ConfigError("optimizer.sampler: nsga2 is for several score.objectives")
    return optuna.samplers.NSGAIISampler(seed=seed)
