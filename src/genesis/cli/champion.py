"""``genesis champion``: keep a run's best trial, and check later that it reproduces."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)

RootOption = Annotated[Path, typer.Option("--root", help="Where champions are kept.")]


@app.command()
def promote(
    run_dir: Annotated[Path, typer.Argument(help="A run directory with a best_trial.json.")],
    name: Annotated[str, typer.Option("--name", help="The champion's name.")],
    root: RootOption = Path("results/champions"),
    force: Annotated[
        bool, typer.Option("--force", help="Promote even a best whose verdict is do not trade.")
    ] = False,
) -> None:
    """Keep RUN_DIR's best trial (params, config, key, score) as champion NAME.

    A best whose verdict is "do not trade" needs --force.
    """
    import json

    from genesis.api import promote_champion

    target = promote_champion(run_dir, name, root=root, force=force)
    verdict = json.loads((target / "champion.json").read_text(encoding="utf-8")).get("verdict")
    if verdict:
        typer.echo(verdict["line"])
    typer.echo(f"champion {name}: {target}")


@app.command()
def verify(
    name: Annotated[str, typer.Argument(help="The champion to re-run.")],
    root: RootOption = Path("results/champions"),
) -> None:
    """Re-run champion NAME's backtest; exit 1 unless key, score and metrics match exactly."""
    from genesis.api import verify_champion

    check = verify_champion(name, root=root)
    if check.reproduced:
        typer.echo(f"champion {name} reproduces: score {check.score}, key {check.key[:16]}…")
        return
    typer.secho(f"champion {name} does NOT reproduce:", err=True, fg=typer.colors.RED)
    for line in check.differences:
        typer.echo(f"  {line}", err=True)
    raise typer.Exit(1)
