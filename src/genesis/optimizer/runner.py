"""The runner: one optimization from a validated config to a run directory on disk.

It opens the run directory, storage, cache and dedup guard, asks Optuna for trials and
tells it every answer (ask/tell, so that no asked trial is left RUNNING, even on
Ctrl-C), applies the budgets, and rewrites the artifacts from the storage at the end
or on interruption.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from genesis.artifacts import RunCacheStats, RunDir, latest_run, unique_run_name, write_text_atomic
from genesis.cache import ResultCache, open_cache
from genesis.config import GenesisConfig, dump_config
from genesis.errors import ConfigError, StorageError
from genesis.metrics import objective_direction
from genesis.optimizer import log
from genesis.optimizer.claims import DedupGuard
from genesis.optimizer.export import write_artifacts
from genesis.optimizer.objective import Objective, TrialFailed, TrialOutcome
from genesis.optimizer.problem import Problem, build_problem, precompute_features
from genesis.optimizer.storage import flush_storage, open_storage

INTERRUPTED_ATTR = "interrupted"


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
class _Budget:
    n_trials: int
    max_unique: int | None
    max_trials: int
    timeout_s: float | None
    space_size: int | None
    started: float

    def stop_reason(self, finished: int, asked: int, unique: int) -> str | None:
        if self.max_unique is not None:
            if unique >= self.max_unique:
                return f"{unique} unique backtests reached (max_unique_backtests)"
            if asked >= self.max_trials:
                return (
                    f"{asked} trials asked (max_trials) before {self.max_unique} unique backtests"
                )
        elif finished >= self.n_trials:
            return f"{finished} trials done (n_trials)"
        if self.space_size is not None and unique >= self.space_size:
            return f"search space exhausted: all {self.space_size} combinations evaluated"
        if self.timeout_s is not None and time.monotonic() - self.started >= self.timeout_s:
            return f"timeout of {self.timeout_s:g}s reached"
        return None


def run_optimizer(
    config: GenesisConfig,
    *,
    on_outcome: Callable[[TrialOutcome], None] | None = None,
    worker_index: int = 0,
) -> OptimizationResult:
    """Optimize as ``config`` says; see the module docstring.

    Raises:
        ConfigError, DataError, StorageError, ArtifactError: what the message says.
        KeyboardInterrupt: after the run directory was made consistent.
    """
    for name in config.score.objectives:
        objective_direction(name)  # an unknown objective is a config error, before any file
    problem = build_problem(config)
    run = _run_dir(config)
    if config.features.precompute:
        n = precompute_features(problem)
        log.logger.info("[Runner] precomputed %d indicators of the search space", n)
    write_text_atomic(run.config, dump_config(config))
    storage = open_storage(config.storage, run.root)
    cache = _open_cache(config)
    guard = DedupGuard(run.dedup_db)
    study = _study(config, problem, storage, run.name, worker_index)
    objective = Objective(
        strategy=problem.strategy, features=problem.features, space=problem.space,
        settings=problem.settings, score_spec=problem.score_spec,
        data_fingerprint=problem.data_fingerprint, window=problem.window,
        cache=cache, run_dir=run, guard=guard, on_outcome=on_outcome,
    )  # fmt: skip
    log.logger.info(
        "[Runner] study %s: %s on %d bars of %s %s, run directory %s",
        run.name, problem.strategy.name, len(problem.candles), problem.candles.symbol,
        problem.candles.timeframe, run.root,
    )  # fmt: skip
    reason = "stopped by an error"
    try:
        reason = _loop(study, objective, _budget(config, problem))
    except KeyboardInterrupt:
        reason = "interrupted (Ctrl-C)"
        raise
    finally:
        flush_storage(storage)
        guard.close()
        stats, best = write_artifacts(study, run, problem, cache, objective, stop_reason=reason)
        log.log_cache_stats(stats)
    log.logger.info("[Runner] stopped: %s", reason)
    return OptimizationResult(run.root, run.name, best, stats, stats.total_trials, reason)


def _loop(study: optuna.Study, objective: Objective, budget: _Budget) -> str:
    trials = study.get_trials(deepcopy=False)
    finished = sum(t.state.is_finished() and not t.user_attrs.get(INTERRUPTED_ATTR) for t in trials)
    unique = objective.unique_keys
    unique.update(
        t.user_attrs["key"]
        for t in trials
        if t.state == TrialState.COMPLETE and "key" in t.user_attrs
    )
    first_new = asked = len(trials)
    try:
        while (reason := budget.stop_reason(finished, asked, len(unique))) is None:
            trial = study.ask()
            asked += 1
            _run_trial(study, trial, objective)
            finished += 1
    except KeyboardInterrupt:
        _fail_interrupted(study, first_new)
        raise
    return reason


def _run_trial(study: optuna.Study, trial: optuna.Trial, objective: Objective) -> None:
    """Score one trial and tell Optuna; a failure fails the trial, never the study."""
    try:
        values = objective(trial)
    except TrialFailed:
        study.tell(trial, state=TrialState.FAIL)
    except Exception as error:  # the trial boundary: a bug must not kill the study
        trial.set_user_attr("error", f"{type(error).__name__}: {error}")
        study.tell(trial, state=TrialState.FAIL)
        log.logger.exception("[Runner] trial %d failed unexpectedly", trial.number)
    else:
        study.tell(trial, list(values) if len(values) > 1 else values[0])


def _fail_interrupted(study: optuna.Study, first_new: int) -> None:
    """Fail the trials this session left RUNNING (Ctrl-C may land inside ask or tell).

    A local run has one worker, so every RUNNING trial asked in this session is ours.
    """
    for frozen in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if frozen.number >= first_new:
            study._storage.set_trial_user_attr(frozen._trial_id, INTERRUPTED_ATTR, True)
            study.tell(frozen.number, state=TrialState.FAIL, skip_if_finished=True)


def _budget(config: GenesisConfig, problem: Problem) -> _Budget:
    opt = config.optimizer
    max_trials = opt.max_trials or max(opt.n_trials, 10 * (opt.max_unique_backtests or 0))
    return _Budget(
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


def _open_cache(config: GenesisConfig) -> ResultCache | None:
    if not config.cache.enabled:
        return None
    return open_cache(config.cache.location or str(Path(config.output_dir) / "_cache"))


def _study(
    config: GenesisConfig, problem: Problem, storage: Any, name: str, worker_index: int
) -> optuna.Study:
    directions = [objective_direction(o) for o in config.score.objectives]
    sampler = make_sampler(config, problem, worker_index)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(
            storage=storage, sampler=sampler, study_name=name,
            directions=directions, load_if_exists=True,
        )  # fmt: skip
    except ValueError as error:
        raise StorageError(f"study {name!r}: {error}") from None
    if [d.name.lower() for d in study.directions] != directions:
        raise ConfigError(
            f"study {name!r} was created with objectives in directions "
            f"{[d.name.lower() for d in study.directions]}, the config asks {directions}",
            hint="use a new --study name",
        )
    _sweep_orphans(study)
    return study


def make_sampler(
    config: GenesisConfig, problem: Problem, worker_index: int
) -> optuna.samplers.BaseSampler:
    """The configured sampler, seeded with ``seed + worker_index``."""
    opt = config.optimizer
    seed = None if opt.seed is None else opt.seed + worker_index
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


def _sweep_orphans(study: optuna.Study) -> None:
    """Fail trials left RUNNING by a dead process and queue their params again.

    With constant liar a RUNNING trial repels TPE forever (OPTUNA5.md). This process has
    not asked anything yet, and a local run has one worker, so every RUNNING trial of a
    journal study is an orphan.
    """
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
        study.enqueue_trial(trial.params)
        log.logger.warning(
            "[Runner] trial %d was left running by a dead worker: failed and re-queued",
            trial.number,
        )
