"""``genesis report``: write the HTML report of a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(
    run_dir: Annotated[
        Path,
        typer.Argument(help="A run directory (results/hparam_search/<study>)."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-o",
            "--out",  # the old name; in optimize, --out is the results root, so --file here
            help="The HTML file to write [default: <run_dir>/report.html] (also --out).",
        ),
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the report in the default web browser.")
    ] = False,
) -> None:
    """Write an HTML report (plots, cache statistics, best trial) of a finished run.

    Reads the run directory's files (config.yaml, trials.csv, best_trial.json,
    cache_stats.json, trials/*.json) and re-runs the best trial's backtest on the candles
    the config names, for its equity and trades. The page is self-contained and opens
    offline.
    """
    from genesis.api import write_run_report  # plotly is heavy: import on use

    path = write_run_report(run_dir, out=out)
    typer.echo(str(path))
    if open_browser:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
