"""The whole ``genesis freqtrade backtesting`` path against Freqtrade's own backtest.

test_parity.py feeds the kernel the frames Freqtrade's strategy populated; this runs the
command a user runs (config files, flags, the data directory read by genesis, the signals
computed by genesis, the summary written by --json) and compares its trades with those of
Freqtrade 2026.9's Backtesting on the same config, data and strategy file (offline, markets
patched: tests/freqtrade/reference.py), by the issue's criteria.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from reference import (
    AMOUNT_STEP,
    PAIRS,
    STRATEGIES,
    compare,
    ft_config,
    run_freqtrade,
    write_datadir,
)

from genesis.cli._app import main
from genesis.freqtrade.rules import Wallet

SAMPLE = Path(__import__("freqtrade").__file__).parent / "templates" / "sample_strategy.py"
RULES = STRATEGIES / "rule_strategies.py"
LEGACY = STRATEGIES / "legacy_strategy.py"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("file", "strategy", "n_pairs", "stake"),
    [
        pytest.param(SAMPLE, "SampleStrategy", 1, None, id="sample-one-pair"),
        pytest.param(SAMPLE, "SampleStrategy", 4, None, id="sample-four-pairs"),
        pytest.param(RULES, "InformativeTf", 4, 300.0, id="informative-four-pairs"),
        pytest.param(RULES, "TrailingOffset", 4, None, id="trailing-four-pairs"),
        pytest.param(LEGACY, "LegacyApi", 2, None, id="legacy-two-pairs"),
    ],
)
def test_command_trades_match_freqtrade(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    file: Path,
    strategy: str,
    n_pairs: int,
    stake: float | None,
) -> None:
    pairs = list(PAIRS)[:n_pairs]
    wallet = Wallet(max_open_trades=1 if n_pairs == 1 else 2, stake_amount=stake)
    write_datadir(tmp_path / "data", pairs, "1h", ("4h",))
    market = {"default_market": {"amount_step": AMOUNT_STEP}}
    config = ft_config(tmp_path, file, strategy, pairs, "1h", wallet, genesis=market)
    reference = run_freqtrade(config, wallet)
    out = tmp_path / "genesis.json"
    args = [
        "freqtrade", "backtesting", "-c", str(tmp_path / "config.json"), "--strategy", strategy,
        "--datadir", str(tmp_path / "data"), "--json", str(out),
    ]  # fmt: skip
    try:
        main(args)
    except SystemExit as stop:  # typer exits 0 after a command
        assert not stop.code, capsys.readouterr().err
    document = json.loads(out.read_text())["strategy"][strategy]
    parity = compare(reference.trades, pd.DataFrame(document["trades"]))
    assert parity.n_freqtrade >= 10, parity.report()
    assert parity.passes(), parity.report()
    assert document["total_trades"] == len(reference.trades)
    assert document["profit_total_abs"] == pytest.approx(
        reference.trades["profit_abs"].sum(), rel=1e-3, abs=1e-6
    )
