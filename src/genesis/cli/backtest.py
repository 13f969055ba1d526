"""``genesis backtest``: one backtest with full metrics (the optimizer's own function)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def backtest(
    config: Annotated[Path, typer.Argument(help="A config (YAML): data, strategy, costs, score.")],
    params: Annotated[
        str | None,
        typer.Option(
            "--params",
            help="Params: inline JSON, or a JSON file (best_trial.json, trials/trial_NNNN.json, "
            "a --json output).",
        ),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json", help="Write the full result here (metrics, timestamped equity, trades)."
        ),
    ] = None,
    last_trades: Annotated[
        int, typer.Option("--trades", min=0, help="How many of the last trades to print.")
    ] = 10,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Write an HTML page (self-contained, offline): equity and drawdown against "
            "buy-and-hold, trades on price.",
        ),
    ] = None,
    fast_window: Annotated[
        bool | None,
        typer.Option("--fast-window/--full-window", help="Backtest only the last bars."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--start", help="First bar to use (ISO date, inclusive) [data.start]."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--end", help="End of the bars to use (ISO date, exclusive) [data.end]."),
    ] = None,
    trade_from: Annotated[
        str | None,
        typer.Option(
            "--trade-from",
            help="Trade from this date on; the bars before it only warm the indicators up "
            "(how an optimization tests a period out of sample).",
        ),
    ] = None,
    allow_lookahead: Annotated[
        bool,
        typer.Option(
            "--allow-lookahead",
            help="Run a strategy that fails the look-ahead check [strategy.allow_lookahead].",
        ),
    ] = False,
) -> None:
    """Run one backtest of the config's strategy; print its metrics against buy-and-hold.

    Params not given take the config's fixed values, then the strategy's defaults.
    --start/--end pick the period, as data.start/data.end do in the config; with
    --trade-from the account starts flat on that date and the bars before it are warm-up.
    The strategy is first checked for look-ahead with these params (exit 2 if it fails).
    """
    from rich.console import Console

    from genesis.api import read_params, run_backtest
    from genesis.artifacts import write_json
    from genesis.cli._backtest_view import print_backtest

    given = read_params(params) if params is not None else None
    overrides = {
        "data.fast_window": fast_window, "data.start": start, "data.end": end,
        "strategy.allow_lookahead": True if allow_lookahead else None,
    }  # fmt: skip
    report = run_backtest(config, given, overrides=overrides, trade_from=trade_from)
    console = Console()
    if not console.is_terminal:  # piped or captured: rich would assume 80 columns
        console = Console(width=120)
    print_backtest(console, report, last_trades=last_trades)
    if json_out is not None:
        write_json(json_out, report.as_dict())
        console.print(f"wrote {json_out}", soft_wrap=True, highlight=False)
    if plot is not None:
        from genesis.cli._backtest_view import write_plot

        write_plot(plot, report)
        console.print(f"wrote {plot}", soft_wrap=True, highlight=False)
