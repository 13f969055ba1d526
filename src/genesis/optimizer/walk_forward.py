"""Walk-forward optimization (Pardo): a search per fold, its best tested on the next bars.

Each fold is a run of its own under ``<run>/folds/<run>-foldN/``: its own study (so a fold
can be resumed, inspected and reported like any run), the run's result cache and budget.
Its best trial, chosen in sample by the one rule of ``best_trial.json``, is backtested on
the fold's test window, together with its next ``top_k - 1`` for the in-sample vs
out-of-sample picture. The folds' test backtests of their bests are stitched in time order
(:func:`genesis.validation.walk_forward.stitch`): that is the out-of-sample result to
expect. The champion is the last fold's best: the params a trader would take on next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from genesis.artifacts import RunCacheStats, RunDir, TrialRecord, write_json, write_text_atomic
from genesis.config import GenesisConfig, dump_config
from genesis.engine import BacktestResult
from genesis.errors import ConfigError, GenesisError
from genesis.metrics import compute_metrics
from genesis.optimizer.export import describe_trial
from genesis.optimizer.lookahead import guard
from genesis.optimizer.objective import TrialOutcome
from genesis.optimizer.out_of_sample import (
    WindowCheck,
    best_record,
    check_window,
    finish,
    statistics,
    tested_pairs,
    validation_entry,
    validation_phase,
)
from genesis.optimizer.problem import Problem, ProblemBuilder, build_problem
from genesis.optimizer.runner import OptimizationResult, Search, run_dir_of, run_search
from genesis.optimizer.validate import (
    curve,
    in_sample_summary,
    window_config,
    window_problem,
)
from genesis.storage import log
from genesis.validation.overfitting import statistics_warnings
from genesis.validation.splits import Fold, Window, walk_forward_folds
from genesis.validation.verdict import judge
from genesis.validation.walk_forward import buy_and_hold, stitch, walk_forward_efficiency


@dataclass(frozen=True)
class FoldRun:
    """One fold's search, its best and that best's backtest on the fold's test window."""

    fold: Fold
    search: Search
    best: TrialRecord | None
    check: WindowCheck
    entry: dict[str, Any]
    tested: BacktestResult | None


def run_walk_forward(
    config: GenesisConfig,
    *,
    on_outcome: Callable[[TrialOutcome], None] | None = None,
    worker_index: int = 0,
    build: ProblemBuilder = build_problem,
) -> OptimizationResult:
    """Search every fold, test each fold's best, stitch (see the module docstring).

    ``build`` makes the problem from ``config`` (see :func:`~.optimize.run_optimizer`).
    """
    wf = config.validation.walk_forward
    assert wf is not None
    log.log_stage(f"loading candles from {config.data.source}")
    full = guard(build(config), allowed=config.strategy.allow_lookahead)
    folds = walk_forward_folds(
        len(full.candles), folds=wf.folds, mode=wf.mode,
        test_bars=wf.test_bars, train_bars=wf.train_bars,
    )  # fmt: skip
    run = run_dir_of(config)
    if run.root.exists() and not config.resume:  # else fold 1 would be the one refused
        raise ConfigError(
            f"study {run.name!r} exists already", where=str(run.root),
            hint="add --resume to continue it, or choose another --study",
        )  # fmt: skip
    run.root.mkdir(parents=True, exist_ok=True)
    log.log_stage(f"run directory {run.root}", study=run.name)
    if not run.config.exists():  # so that --resume finds the run; a resume rewrites it at the end
        write_text_atomic(run.config, dump_config(config))
    done = [_fold(config, full, run, fold, len(folds), on_outcome, worker_index) for fold in folds]
    return _stitch(config, full, run, done)


def _fold(
    config: GenesisConfig,
    full: Problem,
    run: RunDir,
    fold: Fold,
    n_folds: int,
    on_outcome: Callable[[TrialOutcome], None] | None,
    worker_index: int,
) -> FoldRun:
    name = f"{run.name}-fold{fold.index}"
    cache = config.cache.location or str(Path(config.output_dir) / "_cache")
    fold_config = window_config(
        config, full.candles, fold.train, study_name=name, output_dir=str(run.folds_dir),
        cache_location=cache, resume=config.resume and (run.folds_dir / name).exists(),
    )  # fmt: skip
    log.logger.info(
        "[Validation] walk-forward fold %d/%d: search on %s, test on %s",
        fold.index, n_folds, fold.train.label(full.candles), fold.test.label(full.candles),
    )  # fmt: skip
    problem = window_problem(full, fold.train, fold_config.score.min_trades)
    search = run_search(
        fold_config, problem, run_dir_of(fold_config), on_outcome=on_outcome,
        worker_index=worker_index,
    )  # fmt: skip
    with validation_phase(search.result.run_dir):
        return _test_fold(config, full, fold, search)


def _test_fold(config: GenesisConfig, full: Problem, fold: Fold, search: Search) -> FoldRun:
    best = best_record(search)
    check = check_window(search, full, fold.test, config)
    entry = validation_entry(
        "walk_forward", config, statistics(search, best, config), best, check=check,
        expect_from=best,
    )  # fmt: skip
    entry.update(select_by="in_sample", fold=fold.index, windows=_windows(full, fold))
    finish(search, entry, best, check=check)
    tested = None
    best_tested = check.of(best.number) if best is not None else None
    if best_tested is not None:
        try:
            tested = check.tester.result(best_tested)
        except GenesisError as error:  # it failed on the test window: the fold has no result
            log.logger.warning("[Validation] fold %d: best not tested: %s", fold.index, error)
    return FoldRun(fold, search, best, check, entry, tested)


def _windows(full: Problem, fold: Fold) -> dict[str, str]:
    return {
        "in_sample": fold.train.label(full.candles),
        "out_of_sample": fold.test.label(full.candles),
    }


def _stitch(
    config: GenesisConfig, full: Problem, run: RunDir, done: list[FoldRun]
) -> OptimizationResult:
    tested = [f for f in done if f.tested is not None]
    bars = full.candles.ts_ms
    span = Window(done[0].fold.test.start, done[-1].fold.test.stop)
    candles = full.candles.slice(span.start, span.stop)
    hold = buy_and_hold(candles, full.settings.initial_capital)
    entry: dict[str, Any] = {
        "method": "walk_forward",
        "mode": config.validation.walk_forward.mode,  # type: ignore[union-attr]
        "select_by": "in_sample",
        "windows": {"out_of_sample": span.label(full.candles)},
        "buy_and_hold": compute_metrics(hold).as_dict(),
        "folds": [_fold_summary(f) for f in done],
    }
    last = done[-1]
    kept = ("in_sample", "out_of_sample", "n_trials_counted", "lookahead")
    entry.update({k: last.entry.get(k) for k in kept})
    leaks = [f.entry["lookahead"] for f in done if (f.entry.get("lookahead") or {}).get("found")]
    if leaks:  # any fold's best that looks ahead condemns the stitched result
        entry["lookahead"] = leaks[0]
    entry.update(
        deflated_sharpe=last.entry["deflated_sharpe"], pbo=last.entry["pbo"],
        statistics_of_trial=last.entry.get("statistics_of_trial"),
        statistics_of_fold=last.fold.index,
    )  # fmt: skip
    document: dict[str, Any] = {}
    if tested:
        stitched = stitch([f.tested for f in tested if f.tested is not None])
        metrics = compute_metrics(stitched).as_dict()
        is_cagr = [f.best.metrics.get("cagr_pct") if f.best else None for f in tested]
        entry["expected"] = {
            "what": "the folds' out-of-sample backtests of their bests, stitched in time order",
            "folds_tested": [f.fold.index for f in tested],
            "metrics": metrics,
        }
        entry["walk_forward_efficiency"] = walk_forward_efficiency(metrics["cagr_pct"], is_cagr)
        ts = np.concatenate([bars[f.fold.test.start : f.fold.test.stop] for f in tested])
        document["curves"] = {
            "strategy": curve(stitched, ts), "buy_and_hold": curve(hold, candles.ts_ms),
        }  # fmt: skip
    warnings = [f"fold {f.fold.index}: {w}" for f in done for w in statistics_warnings(f.entry)]
    warnings += _stitched_warnings(entry)
    entry.update(significant=not warnings, warnings=warnings)
    entry["verdict"] = judge(entry).as_dict()
    best = None
    if last.best is not None:
        best = describe_trial(
            last.best, last.search.export.payloads, RunDir(last.search.result.run_dir),
            list(config.score.objectives),
        )  # fmt: skip
        best["verdict"] = entry["verdict"]
        best["validation"] = entry
        fold_run = Path(last.search.result.run_dir)
        best["config"] = str(fold_run.relative_to(run.root) / "config.yaml")  # reproduces it
        write_json(run.best_trial, best)
    write_json(run.validation, {**entry, **document})
    stats = _summed([f.search.result.stats for f in done])
    reason = f"walk-forward: {len(done)} folds searched, {len(tested)} tested out of sample"
    write_json(run.cache_stats, {"study": run.name, **stats.as_dict(), "stop_reason": reason})
    write_text_atomic(run.config, dump_config(config))
    return OptimizationResult(run.root, run.name, best, stats, stats.total_trials, reason, entry)


def _fold_summary(f: FoldRun) -> dict[str, Any]:
    return {
        "fold": f.fold.index,
        "windows": f.entry["windows"],
        "run": str(f.search.result.run_dir),
        "in_sample": in_sample_summary(f.best) if f.best else None,
        "out_of_sample": f.entry.get("out_of_sample"),
        "deflated_sharpe": f.entry.get("deflated_sharpe"),
        "pbo": f.entry.get("pbo"),
        "n_trials_counted": f.entry.get("n_trials_counted"),
        "tested": tested_pairs(f.check.tested, f.search.export.records),
    }


def _stitched_warnings(entry: dict[str, Any]) -> list[str]:
    expected = entry.get("expected")
    if expected is None:
        return ["no fold has a completed trial: there is no out-of-sample result"]
    sharpe = expected["metrics"].get("sharpe")
    if sharpe is None or sharpe <= 0:
        return ["the stitched out-of-sample Sharpe ratio is not positive"]
    return []


def _summed(all_stats: list[RunCacheStats]) -> RunCacheStats:
    return RunCacheStats(
        **{f.name: sum(getattr(s, f.name) for s in all_stats) for f in fields(RunCacheStats)}
    )
