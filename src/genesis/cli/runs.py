"""``genesis runs``: list past runs under a results root, and show one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True)

OutOption = Annotated[
    Path, typer.Option("--out", help="The results root [default: results/hparam_search].")
]


def _score(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(f"{v:.4f}" for v in value)
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


@app.command("list")
def list_(out: OutOption = Path("results/hparam_search")) -> None:
    """The runs under --out: name, when, strategy, data, trials, best score, verdict, state."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from genesis.api import list_runs
    from genesis.artifacts.runs import local_time
    from genesis.cli._tables import print_table

    runs = list_runs(out)
    if not runs:
        typer.echo(f"no runs in {out}")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    names = ("run", "when", "strategy", "data", "trials", "real backtests", "best", "verdict")
    for name in (*names, "state"):
        table.add_column(name, justify="right" if name in ("trials", "real backtests") else "left")
    for r in runs:
        table.add_row(
            r.name, local_time(r.started), r.strategy, r.data, _count(r.n_trials),
            _count(r.real_backtests), _score(r.best_score), r.verdict or "–", r.state,
        )  # fmt: skip
    print_table(Console(), table)  # never cuts the run's name


@app.command()
def show(
    run: Annotated[str, typer.Argument(help="A run directory, or a run's name under --out.")],
    top: Annotated[int, typer.Option("--top", min=0, help="How many of the best trials.")] = 10,
    out: OutOption = Path("results/hparam_search"),
) -> None:
    """One run: summary, the top trials, cache statistics and the commands to go on."""
    from rich.console import Console

    from genesis.api import show_run
    from genesis.cli._runs_view import print_run

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    print_run(console, show_run(run, out=out, top=top))
