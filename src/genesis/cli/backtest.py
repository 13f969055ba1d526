"""``genesis backtest``: one backtest with full metrics (the optimizer's own function)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def backtest(
    config: Annotated[Path, typer.Argument(help="A config (YAML): data, strategy, costs, score.")],
    params: Annotated[
        str | None,
        typer.Option("--params", help="Params: a JSON file (e.g. best_trial.json) or inline JSON."),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the full result (metrics, trades, equity) here."),
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
) -> None:
    """Run one backtest of the config's strategy and print its metrics.

    Params not given take the config's fixed values, then the strategy's defaults.
    --start/--end pick the period, as data.start/data.end do in the config.
    """
    from rich.console import Console
    from rich.table import Table

    from genesis.api import read_params, run_backtest
    from genesis.artifacts import write_json

    given = read_params(params) if params is not None else None
    overrides = {"data.fast_window": fast_window, "data.start": start, "data.end": end}
    report = run_backtest(config, given, overrides=overrides)
    spec, ev = report.spec, report.evaluation
    title = f"{spec.strategy} v{spec.strategy_version} — {len(ev.result.equity)} bars"
    table = Table(title=title + (f" ({spec.window})" if spec.window != "all" else ""))
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in ev.metrics.as_dict().items():
        table.add_row(
            name,
            "undefined"
            if value is None
            else f"{value:,.4f}"
            if isinstance(value, float)
            else str(value),
        )
    for name, value in zip(ev.score.names, ev.score.values, strict=True):
        table.add_row(f"score ({name})", f"{value:,.4f}")
    for name, value in ev.score.constraints.items():
        table.add_row(f"constraint {name}", f"{value:,.4f} ({'ok' if value <= 0 else 'violated'})")
    console = Console()
    console.print(table)
    console.print(f"params: {dict(spec.params)}")
    console.print(f"key: {report.key}  ({ev.elapsed_s * 1000:.2f} ms)")
    if json_out is not None:
        write_json(json_out, report.as_dict())
        console.print(f"wrote {json_out}")
