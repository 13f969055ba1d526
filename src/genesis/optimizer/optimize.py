"""One optimization as a user asks for it: search in sample, then validate out of sample.

``validation`` in the config says how (see :class:`~genesis.config.ValidationConfig`):

* none: the whole data is searched (:func:`~genesis.optimizer.runner.run_search`); the
  overfitting statistics of the search are added to ``best_trial.json``;
* holdout: the first bars are searched, the top ``top_k`` trials are then backtested on
  the last bars, and the champion is chosen by ``select_by``;
* walk-forward: see :mod:`genesis.optimizer.walk_forward`.

Before any search the strategy is checked for look-ahead (:mod:`genesis.optimizer.lookahead`).
The sampler never sees an out-of-sample candle: a search's problem holds only its
in-sample bars. Each window is backtested on its own bars (indicators warm up inside it),
exactly as ``genesis backtest --start --end`` does.
"""

from __future__ import annotations

from collections.abc import Callable

from genesis.config import GenesisConfig
from genesis.metrics import objective_direction
from genesis.optimizer.lookahead import guard
from genesis.optimizer.objective import TrialOutcome
from genesis.optimizer.out_of_sample import (
    best_record,
    check_window,
    finish,
    statistics,
    validation_entry,
    validation_phase,
)
from genesis.optimizer.problem import Problem, ProblemBuilder, build_problem
from genesis.optimizer.runner import OptimizationResult, Search, run_dir_of, run_search
from genesis.optimizer.validate import choose, window_config, window_problem
from genesis.optimizer.walk_forward import run_walk_forward
from genesis.optimizer.workers import warn_if_more_workers_than_cores
from genesis.storage import log
from genesis.validation.splits import Window, holdout_windows

Outcomes = Callable[[TrialOutcome], None] | None


def run_optimizer(
    config: GenesisConfig,
    *,
    on_outcome: Outcomes = None,
    worker_index: int = 0,
    build: ProblemBuilder = build_problem,
) -> OptimizationResult:
    """Search and validate as ``config`` says (see the module docstring).

    ``build`` makes the run's problem from ``config``: :func:`build_problem` for genesis's
    strategies, an adapter's builder for another tool's (e.g. a Freqtrade strategy).

    Raises:
        ConfigError, DataError, StorageError, ArtifactError: what the message says.
        KeyboardInterrupt: after the run directory was made consistent.
    """
    for name in config.score.objectives:
        objective_direction(name)  # an unknown objective is a config error, before any file
    warn_if_more_workers_than_cores(config.optimizer.n_workers)  # once, not once per fold
    if config.validation.method == "walk_forward":
        return run_walk_forward(
            config, on_outcome=on_outcome, worker_index=worker_index, build=build
        )
    log.log_stage(f"loading candles from {config.data.source}")
    full = guard(build(config), allowed=config.strategy.allow_lookahead)
    if config.validation.method == "holdout":
        return _holdout(config, full, on_outcome, worker_index)
    search = run_search(
        config, full, run_dir_of(config), on_outcome=on_outcome, worker_index=worker_index
    )
    with validation_phase(search.result.run_dir):
        best = best_record(search)
        stats = statistics(search, best, config)
        entry = validation_entry("none", config, stats, best)
        return finish(search, entry, best)


def _holdout(
    config: GenesisConfig, full: Problem, on_outcome: Outcomes, worker_index: int
) -> OptimizationResult:
    hold = config.validation.holdout
    assert hold is not None
    train, test = holdout_windows(full.candles, test_fraction=hold.test_fraction, split=hold.split)
    run = run_dir_of(config)
    search_config = window_config(
        config, full.candles, train, study_name=run.name, resume=config.resume
    )
    problem = window_problem(full, train, search_config.score.min_trades)
    log.logger.info(
        "[Validation] holdout: search on %s, test on %s",
        train.label(full.candles), test.label(full.candles),
    )  # fmt: skip
    search = run_search(
        search_config, problem, run, on_outcome=on_outcome, worker_index=worker_index
    )
    with validation_phase(search.result.run_dir):
        return _test_holdout(config, full, search, train, test)


def _test_holdout(
    config: GenesisConfig, full: Problem, search: Search, train: Window, test: Window
) -> OptimizationResult:
    best = best_record(search)
    stats = statistics(search, best, config)
    check = check_window(search, full, test, config)
    champion = best
    feasible = {r.number: bool(r.feasible) for r in search.export.records}
    chosen = choose(check.tested, config.score.objectives, feasible)
    if chosen is not None and config.validation.select_by == "out_of_sample":
        champion = next(r for r in search.export.records if r.number == chosen.trial)
    entry = validation_entry("holdout", config, stats, champion, check=check, expect_from=best)
    entry["windows"] = {
        "in_sample": train.label(full.candles), "out_of_sample": test.label(full.candles),
    }  # fmt: skip
    return finish(search, entry, champion, check=check)
