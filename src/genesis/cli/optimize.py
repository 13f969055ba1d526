"""``genesis optimize``: run an optimization from a config file."""

from __future__ import annotations

import contextlib
import re
import shlex
import sys
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
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Also a line per trial ([Runner] and [CACHE] lines)."),
    ] = False,
    json_events: Annotated[
        bool,
        typer.Option("--json", help="One JSON object per event on stdout (trial, best, summary…)."),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes on this machine [default: 1]."),
    ] = None,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write report.html at the end.")
    ] = True,
    allow_lookahead: Annotated[
        bool,
        typer.Option(
            "--allow-lookahead",
            help="Run a strategy that fails the look-ahead check (its verdict is then never "
            "candidate) [strategy.allow_lookahead].",
        ),
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="Backtest on a Dask cluster: tcp://scheduler:8786, or local:N processes.",
        ),
    ] = None,
) -> None:
    """Optimize a strategy's params: Optuna over cached, real backtests.

    Writes <out>/<study>/ with config.yaml, the study journal, trials.csv,
    best_trial.json, cache_stats.json, report.html and trials/trial_NNNN.json per
    real backtest. On a terminal a status line shows trials done, real backtests, cache
    hits, the best feasible score, trials/s and the ETA; off a terminal a progress line
    is printed every few seconds.
    """
    from genesis.cli._console import stderr_console
    from genesis.cli._live import LiveDisplay, RunState

    console = stderr_console()
    mode = "off" if quiet else "bar" if console.is_terminal else "plain"
    # Before the heavy imports (numba, optuna: about 2 s), so the screen is never blank.
    display = LiveDisplay(
        console, RunState(total=None, directions=("maximize",), objective="score"), mode=mode,
        json_out=sys.stdout if json_events else None,
    )  # fmt: skip
    display.start("starting (loading numba and optuna)")
    given = {
        "--trials": trials, "--out": out, "--seed": seed, "--storage": storage,
        "--workers": workers, "--cluster": cluster, "--fast-window": fast_window,
        "--precompute-features": precompute_features, "--report": report,
        "-q": quiet, "-v": verbose, "--json": json_events,
        "--allow-lookahead": True if allow_lookahead else None,
    }  # fmt: skip
    try:
        result = _run(config, display, verbose=verbose, quiet=quiet, **{
            "optimizer.n_trials": trials,
            "output_dir": str(out) if out is not None else None,
            "study_name": study,
            "storage": storage,
            "resume": True if resume else None,
            "optimizer.seed": seed,
            "data.fast_window": fast_window,
            "features.precompute": precompute_features,
            "optimizer.n_workers": workers,
            "strategy.allow_lookahead": True if allow_lookahead else None,
            "optimizer.cluster": cluster,
        }, report=report)  # fmt: skip
    except KeyboardInterrupt as stop:
        from genesis.errors import ArtifactsIncomplete, Terminated

        display.close()
        name = display.study or study
        command, note = resume_command(config, name, given)
        display.summary({"event": "interrupted", "study": name, "resume": command})
        if isinstance(stop, ArtifactsIncomplete):  # a second Ctrl-C cut the artifacts short
            text = (
                "interrupted again while the artifacts were being written: trials.csv, "
                "best_trial.json and cache_stats.json may be missing or stale; the study "
                f"keeps every finished trial, rebuild them with {command}{note}"
            )
        else:
            what = "terminated" if isinstance(stop, Terminated) else "interrupted"
            text = f"{what}: the run directory is consistent; continue with {command}{note}"
        console.print(text, soft_wrap=True, markup=False, highlight=False)
        raise typer.Exit(143 if isinstance(stop, Terminated) else 130) from None
    finally:
        display.close()
    if json_events:
        display.summary(_summary_event(result))
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries only JSON
            _summary(result)
    else:
        _summary(result)
    _fail_if_nothing_completed(result)


def _fail_if_nothing_completed(result: Any) -> None:
    """A run in which every trial failed is an error (exit 1) that says the first reason."""
    if result.stats.completed or not result.stats.failed:
        return
    from genesis.errors import GenesisError

    first = _first_error(result.run_dir / "trials.csv")
    raise GenesisError(
        f"no trial completed, {result.stats.failed} failed"
        + (f"; the first: {first}" if first else ""),
        hint=f"every trial's error is in {result.run_dir / 'trials.csv'}",
    )


def _first_error(trials_csv: Path) -> str | None:
    import csv

    try:
        with trials_csv.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get("error"):
                    return f"trial {row['number']}: {row['error']}"
    except OSError:
        return None
    return None


def _run(
    config: Path, display: Any, *, verbose: bool, quiet: bool, report: bool, **overrides: Any
) -> Any:
    """Load the config, wire the display to the logger and the runner, optimize."""
    from genesis.api import run_optimizer
    from genesis.cli._console import setup_logging
    from genesis.config import load_config
    from genesis.metrics import objective_direction

    setup_logging(display.console, verbose=verbose, quiet=quiet, display=display)
    display.stage("reading the config")
    cfg = load_config(config, overrides=overrides)
    opt = cfg.optimizer
    state = display.state
    state.objective = cfg.score.objectives[0]
    state.directions = tuple(objective_direction(o) for o in cfg.score.objectives)
    state.timeout_s = opt.timeout_s
    state.local_only = opt.n_workers > 1 or cfg.storage is not None  # others share the study
    if opt.max_unique_backtests is None:
        state.total = opt.n_trials
    else:
        state.total, state.unit = opt.max_unique_backtests, "backtests"
    return run_optimizer(cfg, on_outcome=display.outcome, report=report)


def resume_command(config: Path, study: str | None, given: dict[str, Any]) -> tuple[str, str]:
    """The command that continues this run, with every flag that shaped it; and a note.

    A ``--storage`` URL with a password is left out of the printed command (it would land
    in shell histories and logs): the note says to put it in ``GENESIS_STORAGE_URL``,
    which the config loader reads for ``storage``, and shows it with the password masked.
    """
    parts = ["genesis", "optimize", str(config), "--resume"]
    if study:
        parts += ["--study", study]
    note = ""
    for flag, value in given.items():
        if value is None or (value is False and flag in ("-q", "-v", "--json")):
            continue
        if flag == "--storage" and _without_password(str(value)) != value:
            masked = _without_password(str(value)).replace("@", ":***@", 1)
            note = f" (with GENESIS_STORAGE_URL set to {masked}: the password is not printed)"
        elif flag == "--fast-window":
            parts.append("--fast-window" if value else "--full-window")
        elif flag == "--report":
            if not value:
                parts.append("--no-report")
        elif value is True:
            parts.append(flag)
        else:
            parts += [flag, str(value)]
    return " ".join(shlex.quote(p) for p in parts), note


def _without_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1@", url)


def _summary_event(result: Any) -> dict[str, Any]:
    """The ``summary`` JSON event: what ``_summary`` prints, as data."""
    return {
        "event": "summary",
        "run_dir": str(result.run_dir),
        "study": result.study_name,
        "stop_reason": result.stop_reason,
        "stats": result.stats.as_dict(),
        "verdict": (result.validation or {}).get("verdict"),
        "best": result.best,
        "report": str(result.run_dir / "report.html")
        if (result.run_dir / "report.html").exists()
        else None,
    }


def _violated(best: dict[str, Any]) -> str:
    from genesis.metrics.score import describe_constraint

    constraints, metrics = best.get("constraints") or {}, best.get("metrics") or {}
    violated = [describe_constraint(k, v, metrics) for k, v in constraints.items() if v > 0]
    return "; ".join(violated) or "a constraint"


def _summary(result: Any) -> None:
    from genesis.cli._validation import verdict_line

    stats = result.stats
    line = verdict_line(result.validation)
    if line:
        typer.echo(line)  # the answer first, before any table
    typer.echo(f"run directory: {result.run_dir}")
    if (result.run_dir / "report.html").exists():
        typer.echo(f"report: {result.run_dir / 'report.html'}")
    typer.echo(f"stopped: {result.stop_reason}")
    typer.echo(
        f"trials: {stats.total_trials} ({stats.completed} complete, {stats.failed} failed), "
        f"real backtests: {stats.computed}, cache hits: {stats.cache_hits}, "
        f"memory hits: {stats.memory_hits}, hit rate: {100 * stats.hit_rate:.1f}%"
    )
    if stats.written_late or stats.not_stored:  # the cache failed for a while
        typer.echo(
            f"cache: {stats.written_late} results written late (the cache failed when they "
            f"were computed), {stats.not_stored} not stored"
        )
    best = result.best
    if best is None:
        typer.echo("best trial: none completed")
        return
    score = best["score"]
    score_text = f"{score:.4f}" if isinstance(score, float) else str(score)
    typer.echo(
        f"best trial: #{best['trial']} score={score_text} ({', '.join(best['objectives'])})"
        + _chosen(result.validation)
    )
    if best.get("feasible") is False:
        typer.echo(f"  infeasible: violates {_violated(best)}")
    typer.echo(f"  params: {best['params']}")
    m = best["metrics"]
    if m:
        typer.echo(
            f"  trades={m.get('n_trades')} return={m.get('total_return_pct'):.2f}% "
            f"max_dd={m.get('max_drawdown_pct'):.2f}% sharpe={_ratio(m.get('sharpe'))}"
        )
    from genesis.cli._validation import print_validation, reproduce_lines

    for text in reproduce_lines(best):
        typer.echo(f"  {text}")
    print_validation(result.validation)


def _chosen(validation: dict[str, Any] | None) -> str:
    """How the best was chosen, when not simply the best in sample."""
    from genesis.cli._validation import chosen_how

    how = chosen_how(validation)
    return f", {how}" if how else ""


def _ratio(value: Any) -> str:
    """A ratio as a trader reads it (4 decimals); an undefined one says so, never a number."""
    return "undefined" if value is None else f"{float(value):.4f}"
