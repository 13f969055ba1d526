"""``genesis freqtrade hyperopt``: Freqtrade's hyperopt command on genesis's optimizer.

A user's ``freqtrade hyperopt -c config.json --strategy X --hyperopt-loss L --spaces buy roi
-e 100`` works with ``freqtrade`` replaced by ``genesis freqtrade``: the Freqtrade flags
below are honoured, any other Freqtrade flag is refused with a message (never accepted
and ignored), and genesis's own flags are added (``--json FILE``, ``--resume``,
``--study``, ``--out``, ``--holdout``, ``--walk-forward``, ``--genesis-config``). The run
is a genesis run (:mod:`genesis.freqtrade.hyperopt`): every trial's true loss, no backtest
twice, resume, workers, validation and the run directory's artifacts; the best params are
written to ``<StrategyFile>.json`` as Freqtrade does unless ``--disable-param-export``.
Heavy modules are imported inside the command only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from genesis.cli._freqtrade_options import (
    Configs,
    DataDir,
    DryRunWallet,
    Fee,
    MaxOpenTrades,
    StakeAmount,
    StrategyName,
    StrategyPath,
    TimeFrame,
    TimeRange,
    UserDir,
)

_WHY_NOT: dict[str, str] = {
    "hyperopt_jobs": "",  # -j/--job-workers is honoured (below); never reached
    "analyze_per_epoch": "indicators run once per pair and window (their .range is searched)",
    "early_stop": "use optimizer.max_unique_backtests or a timeout in --genesis-config",
    "hyperopt_ignore_missing_space": "a selected space without parameters is an error",
    "timeframe_detail": "intra-candle detail backtests are not supported yet",
    "enable_protections": "protections are not supported yet",
    "position_stacking": "position stacking is not supported",
    "export": "the run directory holds every trial; --json FILE writes the best",
    "hyperopt_show_no_header": "genesis prints its own summary",
    "print_colorized": "genesis prints its own summary",
    "print_json": "use --json FILE",
    "hyperoptexportfilename": "the run directory holds every trial (trials.csv)",
    "strategy_list": "run one command per strategy",
}


def hyperopt(
    ctx: typer.Context,
    config: Configs = None,
    strategy: StrategyName = None,
    strategy_path: StrategyPath = None,
    datadir: DataDir = None,
    userdir: UserDir = None,
    timerange: TimeRange = None,
    timeframe: TimeFrame = None,
    fee: Fee = None,
    max_open_trades: MaxOpenTrades = None,
    stake_amount: StakeAmount = None,
    dry_run_wallet: DryRunWallet = None,
    epochs: Annotated[int, typer.Option("-e", "--epochs", min=1, help="Trials.")] = 100,
    spaces: Annotated[
        list[str] | None,
        typer.Option("--spaces", help="buy sell roi stoploss trailing trades, default, all."),
    ] = None,
    hyperopt_loss: Annotated[
        str | None, typer.Option("--hyperopt-loss", "--hyperoptloss", help="Loss class name.")
    ] = None,
    hyperopt_path: Annotated[
        Path | None, typer.Option("--hyperopt-path", help="Directory of your loss classes.")
    ] = None,
    random_state: Annotated[
        int | None, typer.Option("--random-state", help="Sampler seed [default: 42].")
    ] = None,
    min_trades: Annotated[
        int, typer.Option("--min-trades", min=0, help="Constraint: trials with fewer trades.")
    ] = 1,
    job_workers: Annotated[
        int, typer.Option("-j", "--job-workers", help="Worker processes (-1: one per CPU).")
    ] = 1,
    print_all: Annotated[bool, typer.Option("--print-all", help="A line per trial.")] = False,
    disable_param_export: Annotated[
        bool, typer.Option("--disable-param-export", help="Do not write <Strategy>.json.")
    ] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the best trial and the run here.")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue --study.")] = False,
    study: Annotated[str | None, typer.Option("--study", help="Study (run) name.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Results root [default: results/hparam_search].")
    ] = None,
    holdout: Annotated[
        float | None, typer.Option("--holdout", help="Validate on the last FRACTION of bars.")
    ] = None,
    walk_forward: Annotated[
        int | None, typer.Option("--walk-forward", help="Walk-forward validation, N folds.")
    ] = None,
    genesis_config: Annotated[
        Path | None,
        typer.Option("--genesis-config", help="A genesis YAML for the rest (validation, …)."),
    ] = None,
    allow_lookahead: Annotated[
        bool,
        typer.Option(
            "--allow-lookahead",
            help="Run a strategy that fails the look-ahead check (its verdict is then never "
            "candidate).",
        ),
    ] = False,
) -> None:
    """Hyperopt a Freqtrade strategy as `freqtrade hyperopt` does, on genesis's optimizer.

    Every trial's backtest runs once (repeats come from memory or the result cache), the
    loss is Freqtrade's loss class, --min-trades is a constraint (never a 100000 loss),
    and --resume continues a study. The best params go to <StrategyFile>.json.
    """
    import logging

    spaces = _spaces_and_refusals(list(ctx.args), spaces)
    logging.getLogger("freqtrade").setLevel(logging.ERROR)
    from genesis.cli._console import setup_logging, stderr_console

    console = stderr_console()
    setup_logging(console, verbose=print_all, quiet=False)
    flags = {
        "config": [str(c.resolve()) for c in config or []], "strategy": strategy,
        "strategy_path": strategy_path, "datadir": datadir, "user_data_dir": userdir,
        "timerange": timerange, "timeframe": timeframe, "fee": fee,
        "max_open_trades": max_open_trades, "stake_amount": stake_amount,
        "dry_run_wallet": dry_run_wallet,
    }  # fmt: skip
    settings = _settings(flags)
    run_config = _genesis_config(
        flags, settings, spaces=spaces, loss=hyperopt_loss, hyperopt_path=hyperopt_path,
        epochs=epochs, seed=random_state, min_trades=min_trades, workers=_workers(job_workers),
        export=not disable_param_export, resume=resume, study=study, out=out,
        holdout=holdout, walk_forward=walk_forward, base=genesis_config,
        allow_lookahead=allow_lookahead,
    )  # fmt: skip
    from genesis.api import run_optimizer
    from genesis.freqtrade.hyperopt import FtProblemBuilder

    result = run_optimizer(run_config, build=FtProblemBuilder(settings))
    _print_result(result, run_config)
    if json_out is not None:
        _write_json(json_out, result, run_config)


def _spaces_and_refusals(extra: list[str], spaces: list[str] | None) -> list[str] | None:
    """Freqtrade's ``--spaces buy sell`` (the ``sell`` lands in the extra args); refuse
    any other extra argument, naming why a Freqtrade flag is not honoured."""
    from genesis.errors import UsageError
    from genesis.freqtrade.settings import freqtrade_option

    given = [s for value in spaces or [] for s in value.replace(",", " ").split()]
    for arg in extra:
        if not arg.startswith("-") and given:
            given.append(arg)
            continue
        if not arg.startswith("-"):
            raise UsageError(f"unexpected argument {arg!r}", hint="see --help")
        name = arg.split("=", 1)[0]
        dest = freqtrade_option(name)
        if dest is None:
            raise UsageError(
                f"no such option: {name}", hint="see `genesis freqtrade hyperopt --help`"
            )
        reason = _WHY_NOT.get(dest) or "genesis does not honour it yet"
        raise UsageError(
            f"the freqtrade option {name} is not supported: {reason}",
            hint="remove it: genesis refuses a flag rather than ignore it",
        )
    return given or None


def _workers(jobs: int) -> int:
    """Freqtrade's ``-j``: a count, or ``-1`` for one per CPU (``-2``: all but one, …)."""
    from genesis.errors import UsageError

    if jobs > 0:
        return jobs
    count = (os.cpu_count() or 1) + 1 + jobs
    if jobs == 0 or count < 1:
        raise UsageError(f"-j {jobs} leaves no worker", where="-j/--job-workers")
    return count


def _genesis_config(flags: dict[str, Any], settings: Any, **options: Any) -> Any:
    """The genesis config of the run: the strategy file found as Freqtrade finds it, the
    Freqtrade flags, the loss as objective, budget, seed, workers and validation."""
    from genesis.config import config_from_dict, load_config
    from genesis.freqtrade.loss import loss_name

    base: dict[str, Any] = {}
    if options["base"] is not None:
        base = load_config(options["base"]).model_dump(mode="json", exclude_none=True)
    freqtrade = {k: _text(v) for k, v in flags.items() if v is not None and k != "strategy"}
    freqtrade.pop("strategy_path", None)
    freqtrade.update(export_params=options["export"], spaces=options["spaces"] or ["default"])
    if options["hyperopt_path"] is not None:
        freqtrade["hyperopt_path"] = str(Path(options["hyperopt_path"]).resolve())
    config = {
        **base,
        "strategy": {"name": f"{settings.strategy_path.resolve()}:{settings.strategy_name}"},
        "freqtrade": freqtrade,
        "score": {
            **base.get("score", {}),
            "objectives": [f"loss:{loss_name(options['loss'], settings.config)}"],
            "min_trades": options["min_trades"],
        },
        "optimizer": {
            **base.get("optimizer", {}),
            "n_trials": options["epochs"],
            "n_workers": options["workers"],
        },
        "resume": options["resume"],
    }
    if options["allow_lookahead"] or base.get("strategy", {}).get("allow_lookahead"):
        config["strategy"]["allow_lookahead"] = True
    if options["seed"] is not None:
        config["optimizer"]["seed"] = options["seed"]
    for key, value in (("study_name", options["study"]), ("output_dir", options["out"])):
        if value is not None:
            config[key] = str(value)
    _validation(config, options["holdout"], options["walk_forward"])
    return config_from_dict(config, where="genesis freqtrade hyperopt")


def _settings(flags: dict[str, Any]) -> Any:
    """Freqtrade's settings of the flags: the strategy's file is found as Freqtrade finds
    it; the run reuses them (they are what its ``freqtrade`` section loads)."""
    from genesis.freqtrade.settings import load_settings

    return load_settings(flags["config"], **{k: v for k, v in flags.items() if k != "config"},
                         hyperopt=True)  # fmt: skip


def _text(value: Any) -> Any:
    return str(Path(value).resolve()) if isinstance(value, Path) else value


def _validation(config: dict[str, Any], holdout: float | None, folds: int | None) -> None:
    from genesis.errors import UsageError

    if holdout is not None and folds is not None:
        raise UsageError("--holdout and --walk-forward exclude each other")
    validation = dict(config.get("validation", {}))
    if holdout is not None:
        validation["holdout"] = {"test_fraction": holdout}
    if folds is not None:
        validation["walk_forward"] = {"folds": folds}
    if validation:
        config["validation"] = validation


def _print_result(result: Any, config: Any) -> None:
    """The best trial as Freqtrade shows it: loss, trades, profit, drawdown, params."""
    import json

    from genesis.cli._validation import reproduce_lines, verdict_line

    best = result.best
    verdict = verdict_line(result.validation)  # first, before any figure (as genesis optimize)
    lines = [*([verdict] if verdict else []), f"run directory: {result.run_dir}"]
    lines.append(_cache_line(result))
    if best is None:
        lines.append("no trial completed: see trials.csv for each trial's error")
    else:
        metrics = best.get("metrics", {})
        lines += [
            f"best trial {best.get('trial', best.get('number'))}: "
            f"{config.score.objectives[0]} = {best['score']}"
            + ("" if best.get("feasible", True) else " (infeasible: below --min-trades)"),
            f"  {metrics.get('n_trades')} trades, total return "
            f"{_fmt(metrics.get('total_return_pct'))} %, max drawdown "
            f"{_fmt(metrics.get('max_drawdown_pct'))} %, Sharpe {_fmt(metrics.get('sharpe'))}",
            f"  params: {json.dumps(best['params'], sort_keys=True)}",
        ]
    validation = (best or {}).get("validation") or {}
    dsr, pbo = validation.get("deflated_sharpe"), validation.get("pbo")
    if isinstance(dsr, dict) and isinstance(pbo, dict):
        lines.append(
            f"  deflated Sharpe ratio: probability {_fmt(dsr.get('probability'))}; "
            f"probability of backtest overfitting {_fmt(pbo.get('probability'))} "
            f"(over {validation.get('n_trials_counted')} distinct backtests)"
        )
    if config.freqtrade.export_params and best is not None:
        strategy_file = Path(config.strategy.name.rsplit(":", 1)[0])
        lines.append(f"best params written to {strategy_file.with_suffix('.json')}")
    lines += reproduce_lines(best or {})
    for line in lines:
        typer.echo(line)


def _cache_line(result: Any) -> str:
    stats = result.stats
    return (
        f"{stats.total_trials} trials, {stats.unique_backtests} real backtests, "
        f"{stats.total_trials - stats.unique_backtests} answered without a backtest; "
        f"stopped: {result.stop_reason}"
    )


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def _write_json(path: Path, result: Any, config: Any) -> None:
    from genesis.artifacts import write_json

    document = {
        "run_dir": str(result.run_dir),
        "study": result.study_name,
        "strategy": config.strategy.name,
        "objective": config.score.objectives[0],
        "best": result.best,
        "stats": result.stats.as_dict(),
        "stop_reason": result.stop_reason,
    }
    write_json(path, document)
