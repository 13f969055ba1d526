"""The runner: one search from a validated config to a run directory on disk.

It opens the run directory and this process's session (storage, cache, claims, study:
:mod:`genesis.optimizer.session`), starts the extra local workers if asked
(:mod:`genesis.optimizer.workers`), runs the ask/tell loop (:mod:`genesis.optimizer.loop`),
and rewrites the artifacts from the storage at the end or on interruption.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import optuna

from genesis.artifacts import RunCacheStats, RunDir, latest_run, unique_run_name, write_text_atomic
from genesis.config import GenesisConfig, dump_config
from genesis.errors import ArtifactsIncomplete, StorageError, Terminated
from genesis.optimizer.export import Export, write_artifacts, write_trial_files
from genesis.optimizer.fingerprint import check_study
from genesis.optimizer.loop import run_loop, sweep_orphans
from genesis.optimizer.objective import TrialOutcome
from genesis.optimizer.problem import Problem
from genesis.optimizer.session import Session, is_shared, make_budget, open_session, precompute
from genesis.optimizer.workers import Workers, join_workers, start_workers
from genesis.storage import log


@dataclass(frozen=True)
class OptimizationResult:
    """What :func:`run_optimizer` returns."""

    run_dir: Path
    study_name: str
    best: dict[str, Any] | None
    stats: RunCacheStats
    n_trials: int
    stop_reason: str
    validation: dict[str, Any] | None = None
    """The out-of-sample check and overfitting statistics (``validation.json``)."""


@dataclass(frozen=True)
class Search:
    """One search's result and what its artifacts were written from."""

    result: OptimizationResult
    export: Export
    problem: Problem


def run_search(
    config: GenesisConfig,
    problem: Problem,
    run: RunDir,
    *,
    on_outcome: Callable[[TrialOutcome], None] | None = None,
    worker_index: int = 0,
) -> Search:
    """Search ``problem`` as ``config`` says in run directory ``run``; see the module docstring.

    ``problem`` is ``build_problem(config)`` (the extra workers build it from ``config``).
    ``worker_index`` offsets the sampler seed (``seed + index``) of this process; its
    local extra workers take the next indexes. A machine that joins a shared study
    (``genesis worker``) uses an index no other worker uses.

    Raises:
        ConfigError, DataError, StorageError, ArtifactError: what the message says.
        KeyboardInterrupt: after the run directory was made consistent.
    """
    check_study(config, problem, run, joining=worker_index > 0)  # before any file is written
    run.create()
    log.log_stage(f"run directory {run.root}", study=run.name)
    if config.features.precompute:
        log.log_stage("computing the search space's indicators")
    precompute(config, problem)
    write_text_atomic(run.config, dump_config(config))
    log.log_stage("opening the study storage and the result cache")
    session = open_session(config, problem, run, worker_index, on_outcome)
    local = config.storage is None
    # Before our workers start, a local journal's RUNNING trials without a live owner are
    # orphans; on a shared database only those of dead processes on this host are.
    sweep_orphans(session.study, unknown_are_orphans=local)
    n_workers = config.optimizer.n_workers
    workers = (
        start_workers(
            _worker_config(config, run), n_workers - 1,
            first_index=worker_index + 1, session=session.seed_session,
            builder=problem.builder,
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
    log.log_stage("first trial (numba compiles its kernels once after an install)")
    reason, interrupted = "stopped by an error", False
    try:
        if config.optimizer.cluster is not None:  # the backtests run on a Dask cluster
            from genesis.optimizer.coordinator import run_cluster

            reason = run_cluster(config, session, make_budget(config, problem), run)
        else:
            reason = run_loop(
                session.study, session.objective, make_budget(config, problem),
                shared=is_shared(config), between_trials=watch if workers else None,
                slot_lock=session.slot_lock, heartbeat=session.heartbeat,
            )  # fmt: skip
    except KeyboardInterrupt as stop:
        interrupted = True
        reason = "terminated (SIGTERM)" if isinstance(stop, Terminated) else "interrupted (Ctrl-C)"
        raise
    finally:
        try:
            export = _finish(session, workers, run, problem, reason, interrupted, local)
        except KeyboardInterrupt:
            raise ArtifactsIncomplete from None  # a second Ctrl-C: say so, not "consistent"
    log.logger.info("[Runner] stopped: %s", reason)
    stats = export.stats
    result = OptimizationResult(run.root, run.name, export.best, stats, stats.total_trials, reason)
    return Search(result, export, problem)


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


def _finish(
    session: Session,
    workers: Workers,
    run: RunDir,
    problem: Problem,
    reason: str,
    interrupted: bool,
    local: bool,
) -> Export:
    """Join the workers, free what they left RUNNING, close the session, write the artifacts.

    Without the database (an outage past its limit) this process's trial files are still
    written; the rest comes back with ``--resume``.
    """
    for problem_line in join_workers(workers, interrupted=interrupted):
        log.logger.warning("[Runner] %s", problem_line)
    try:
        try:
            if workers:  # every worker has ended: what they left RUNNING is orphaned
                sweep_orphans(
                    session.study, unknown_are_orphans=local, requeue=not interrupted,
                    mine_are_orphans=True,
                )  # fmt: skip
        finally:
            session.close()
        export = write_artifacts(
            session.study, run, problem, session.cache, session.objective, stop_reason=reason
        )
    except StorageError:
        write_trial_files(run, session.objective)
        raise
    log.log_cache_stats(export.stats)
    return export


def _worker_config(config: GenesisConfig, run: RunDir) -> dict[str, Any]:
    """The config the extra workers load: this run's study, by name."""
    update = {"study_name": run.name, "resume": True, "output_dir": str(run.root.parent)}
    return config.model_copy(update=update).model_dump(mode="json")


def run_dir_of(config: GenesisConfig) -> RunDir:
    """The run directory ``config`` names (not created): its study, or the latest to resume."""
    out = Path(config.output_dir)
    if config.resume and config.study_name is None:
        run = latest_run(out)
    else:
        name = config.study_name or unique_run_name(out)
        run = RunDir(out / name)
    return run
