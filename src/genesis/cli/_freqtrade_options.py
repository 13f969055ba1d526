"""The Freqtrade flags ``genesis freqtrade backtesting`` and ``hyperopt`` both take, declared once.

Each is an ``Annotated`` type a command's parameter uses with its default (``None``), so the
two commands spell, alias and explain a Freqtrade flag the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EXTRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True}
"""Unknown flags reach the command, which refuses each Freqtrade flag it does not honour."""

Configs = Annotated[
    list[Path] | None,
    typer.Option("-c", "--config", help="Freqtrade config file (repeatable; later wins)."),
]
StrategyName = Annotated[str | None, typer.Option("-s", "--strategy", help="Strategy class name.")]
StrategyPath = Annotated[
    Path | None, typer.Option("--strategy-path", help="Directory to look for strategies.")
]
DataDir = Annotated[
    Path | None, typer.Option("-d", "--datadir", "--data-dir", help="Data directory.")
]
UserDir = Annotated[
    Path | None, typer.Option("--userdir", "--user-data-dir", help="Freqtrade user dir.")
]
TimeRange = Annotated[str | None, typer.Option("--timerange", help="e.g. 20200101-20210101.")]
TimeFrame = Annotated[str | None, typer.Option("-i", "--timeframe", help="e.g. 1h.")]
Fee = Annotated[float | None, typer.Option("--fee", help="Fee ratio per side.")]
MaxOpenTrades = Annotated[
    int | None, typer.Option("--max-open-trades", help="Slots (-1: unlimited).")
]
StakeAmount = Annotated[str | None, typer.Option("--stake-amount", help="A number or 'unlimited'.")]
DryRunWallet = Annotated[
    float | None,
    typer.Option("--dry-run-wallet", "--starting-balance", help="Starting balance."),
]
