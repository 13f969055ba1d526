"""Fixtures for the Freqtrade parity tests: synthetic candles in a Freqtrade data directory
and one call that runs Freqtrade's backtest and genesis's on them and compares the trades."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from reference import PAIRS, Parity, ParityCase, compare, ft_config, run_freqtrade, write_datadir

from genesis.freqtrade.backtest import run_backtest
from genesis.freqtrade.rules import ExitRules, Wallet


@pytest.fixture
def parity_case(tmp_path: Path) -> ParityCase:
    """Run Freqtrade and genesis on one strategy file, pairlist and wallet; compare."""

    def run(
        strategy_file: Path,
        strategy: str,
        n_pairs: int,
        stake_amount: float | None,
        *,
        timeframe: str = "1h",
        informative: Sequence[str] = ("4h",),
    ) -> Parity:
        pairs = list(PAIRS)[:n_pairs]
        wallet = Wallet(max_open_trades=1 if n_pairs == 1 else 2, stake_amount=stake_amount)
        write_datadir(tmp_path / "data", pairs, timeframe, informative)
        config = ft_config(tmp_path, strategy_file, strategy, pairs, timeframe, wallet)
        reference = run_freqtrade(config, wallet)
        result = run_backtest(
            reference.pair_frames(),
            ExitRules.from_strategy(reference.strategy),
            wallet,
            strategy=reference.strategy,
            start=reference.start,
        )
        return compare(reference.trades, result.trades)

    return run
