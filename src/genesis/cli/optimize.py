"""``genesis optimize``: run an optimization from a config file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def optimize(
    config: Annotated[Path, typer.Argument(help="The optimizer config (YAML).")],
    trials: Annotated[
        int | None, typer.Option("--trials", help="Total number of trials (n_trials).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Results root [default: results/hparam_search].")
    ] = None,
    study: Annotated[
        str | None, typer.Option("--study", help="Study name = run directory name.")
    ] = None,
    storage: Annotated[
        str | None, typer.Option("--storage", help="Optuna storage URL (e.g. postgresql://…).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue --study, or the latest run in --out.")
    ] = False,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed of the sampler.")] = None,
    fast_window: Annotated[
        bool | None,
        typer.Option(
            "--fast-window/--full-window", help="Backtest only the last bars (smoke runs)."
        ),
    ] = None,
    precompute_features: Annotated[
        bool | None,
        typer.Option(
            "--precompute-features", help="Compute the search space's indicators up front."
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only warnings and the summary.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes on this machine [default: 1]."),
    ] = None,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write report.html at the end.")
    ] = True,
) -> None:
    """Optimize a strategy's params: Optuna over cached, real backtests.

    Writes <out>/<study>/ with config.yaml, the study journal, trials.csv,
    best_trial.json, cache_stats.json, report.html and trials/trial_NNNN.json per
    real backtest.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from genesis.api import run_optimizer
    from genesis.cli._console import setup_logging, stderr_console
    from genesis.config import load_config

    overrides: dict[str, Any] = {
        "optimizer.n_trials": trials,
        "output_dir": str(out) if out is not None else None,
        "study_name": study,
        "storage": storage,
        "resume": True if resume else None,
        "optimizer.seed": seed,
        "data.fast_window": fast_window,
        "features.precompute": precompute_features,
        "optimizer.n_workers": workers,
    }
    cfg = load_config(config, overrides=overrides)
    total = cfg.optimizer.n_trials if cfg.optimizer.max_unique_backtests is None else None
    console = stderr_console()
    setup_logging(console, quiet=quiet)
    columns = (
        TextColumn("trials"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best {task.fields[best]}"),
        TimeElapsedColumn(),
    )
    from genesis.artifacts import RunningBest
    from genesis.metrics import objective_direction

    progress = Progress(*columns, console=console, transient=True, disable=quiet)
    task = progress.add_task("optimize", total=total, best="-")
    # The same rule as best_trial.json: the best feasible trial, infeasible only if none is.
    best = RunningBest([objective_direction(o) for o in cfg.score.objectives])

    def on_outcome(outcome: Any) -> None:
        progress.start()  # on the first trial: set-up errors print without a bar around them
        best.offer(outcome)
        # Trial numbers count the whole study: other workers' and earlier sessions' trials.
        done = max(outcome.number + 1, int(progress.tasks[0].completed))
        done = min(done, total) if total is not None else done
        progress.update(task, completed=done, best=_best_text(best.current))

    try:
        result = run_optimizer(cfg, on_outcome=on_outcome, report=report)
    except KeyboardInterrupt:
        progress.stop()
        console.print(
            f"interrupted: the run directory is consistent; continue with "
            f"genesis optimize {config} --resume" + (f" --study {study}" if study else "")
        )
        raise typer.Exit(130) from None
    finally:
        progress.stop()
    _summary(result)


def _best_text(best: Any) -> str:
    if best is None:
        return "-"
    return f"{best.values[0]:.2f}" + ("" if best.feasible else " (infeasible)")


def _violated(best: dict[str, Any]) -> str:
    constraints = best.get("constraints") or {}
    return ", ".join(name for name, value in constraints.items() if value > 0) or "a constraint"


def _summary(result: Any) -> None:
    stats = result.stats
    typer.echo(f"run directory: {result.run_dir}")
    if (result.run_dir / "report.html").exists():
        typer.echo(f"report: {result.run_dir / 'report.html'}")
    typer.echo(f"stopped: {result.stop_reason}")
    typer.echo(
        f"trials: {stats.total_trials} ({stats.completed} complete, {stats.failed} failed), "
        f"real backtests: {stats.computed}, cache hits: {stats.cache_hits}, "
        f"memory hits: {stats.memory_hits}, hit rate: {100 * stats.hit_rate:.1f}%"
    )
    best = result.best
    if best is None:
        typer.echo("best trial: none completed")
        return
    score = best["score"]
    score_text = f"{score:.4f}" if isinstance(score, float) else str(score)
    typer.echo(f"best trial: #{best['trial']} score={score_text} ({', '.join(best['objectives'])})")
    if best.get("feasible") is False:
        typer.echo(f"  infeasible: violates {_violated(best)}")
    typer.echo(f"  params: {best['params']}")
    m = best["metrics"]
    if m:
        typer.echo(
            f"  trades={m.get('n_trades')} return={m.get('total_return_pct'):.2f}% "
            f"max_dd={m.get('max_drawdown_pct'):.2f}% sharpe={m.get('sharpe')}"
        )
    typer.echo(f"  reproduce: {best['reproduce']}")
    from genesis.cli._validation import print_validation

    print_validation(result.validation)
