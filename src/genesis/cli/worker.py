"""``genesis worker``: join a shared study from another machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def worker(
    config: Annotated[Path, typer.Argument(help="The same config the study was started with.")],
    storage: Annotated[
        str,
        typer.Option(
            "--storage",
            envvar="GENESIS_STORAGE_URL",
            help="The study's database, e.g. postgresql://user@host/db.",
        ),
    ],
    study: Annotated[str, typer.Option("--study", help="The study to join (its name).")],
    index: Annotated[
        int,
        typer.Option(
            "--index", min=1, help="This worker's number: its sampler seed is seed + index."
        ),
    ] = 1,
    trials: Annotated[
        int | None, typer.Option("--trials", help="The study's total number of trials.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes on this machine.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Local results root for this machine's view.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings.")] = False,
) -> None:
    """Join the shared study STUDY in STORAGE and run trials until its budget is spent.

    Every machine uses the same config, storage and study name, and a different --index
    (worker 0 is the machine that started the study). Share results through a
    database cache too (cache.location in the config), so no machine recomputes another's
    backtests. This machine's view of the study lands in <out>/<study>/.
    """
    from genesis.api import run_optimizer
    from genesis.cli._console import setup_logging, stderr_console
    from genesis.config import load_config

    overrides = {
        "storage": storage,
        "study_name": study,
        "optimizer.n_trials": trials,
        "optimizer.n_workers": workers,
        "output_dir": str(out) if out is not None else None,
    }
    cfg = load_config(config, overrides=overrides)
    setup_logging(stderr_console(), quiet=quiet)
    result = run_optimizer(cfg, report=False, worker_index=index)
    stats = result.stats
    typer.echo(f"worker {index} on study {study}: stopped: {result.stop_reason}")
    typer.echo(
        f"study trials: {stats.total_trials}, real backtests in the study: {stats.computed}, "
        f"hit rate: {100 * stats.hit_rate:.1f}%"
    )
