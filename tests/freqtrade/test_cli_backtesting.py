"""``genesis freqtrade backtesting``: Freqtrade's flags, the summary, --json, refusals, errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ftio_support import project, settings_of, strategy_source, write_strategy

from genesis.cli._app import main

SAMPLE = Path(__import__("freqtrade").__file__).parent / "templates" / "sample_strategy.py"
FIELDS = (
    "pair", "open_date", "close_date", "open_rate", "close_rate", "amount", "stake_amount",
    "exit_reason", "profit_abs", "profit_ratio", "is_short",
)  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``genesis ARGS`` in this process: (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def flags(paths: dict[str, Any], strategy: str = "RsiStrategy") -> list[str]:
    return [
        "freqtrade", "backtesting", "-c", str(paths["config"]), "--strategy", strategy,
        "--strategy-path", str(paths["strategy_path"]), "--datadir", str(paths["datadir"]),
    ]  # fmt: skip


def trades_of(path: Path, strategy: str = "RsiStrategy") -> tuple[pd.DataFrame, dict[str, Any]]:
    document = json.loads(path.read_text())
    stats = document["strategy"][strategy]
    return pd.DataFrame(stats["trades"]), stats


def library_trades(paths: dict[str, Any], strategy: str = "RsiStrategy", **flag: Any) -> Any:
    from genesis.freqtrade.backtest import run_backtest
    from genesis.freqtrade.loading import load_strategy
    from genesis.freqtrade.rules import ExitRules
    from genesis.freqtrade.signals import SignalSource

    settings = settings_of(paths, strategy=strategy, **flag)
    loaded = load_strategy(settings)
    frames = SignalSource(loaded, settings, None).pair_frames()
    rules = ExitRules.from_strategy(loaded)
    return run_backtest(frames, rules, settings.wallet, strategy=loaded).trades


def test_summary_and_json_are_the_backtest_in_freqtrade_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = project(tmp_path)
    out_json = tmp_path / "trades.json"
    code, out, err = run(capsys, *flags(paths), "--json", str(out_json))
    assert code == 0, err
    assert "SUMMARY METRICS" in out and "Total trades" in out
    trades, stats = trades_of(out_json)
    assert len(trades) == stats["total_trades"] > 0
    assert all(field in trades.columns for field in FIELDS)
    assert stats["profit_total_abs"] == pytest.approx(trades["profit_abs"].sum())
    assert stats["final_balance"] == pytest.approx(1000 + trades["profit_abs"].sum())
    assert stats["wins"] == (trades["profit_abs"] > 0).sum()
    assert f"{stats['total_trades']:,}" in out
    expected = library_trades(paths)
    assert list(trades["pair"]) == list(expected["pair"])
    assert list(trades["open_date"]) == [str(d) for d in expected["open_date"]]
    assert list(trades["exit_reason"]) == list(expected["exit_reason"])


def test_freqtrade_flags_are_honoured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = project(tmp_path)
    out_json = tmp_path / "t.json"
    code, _, err = run(
        capsys, *flags(paths), "--json", str(out_json), "--max-open-trades", "1",
        "--stake-amount", "100", "--fee", "0.005", "--timerange", "20170105-20170120",
        "-p", "BTC/USDT", "ETH/USDT", "--dry-run-wallet", "500",
    )  # fmt: skip
    assert code == 0, err
    trades, stats = trades_of(out_json)
    assert len(trades) > 0
    assert set(trades["pair"]) <= {"BTC/USDT", "ETH/USDT"}
    assert (trades["stake_amount"].round(6) == 100).all()
    assert (trades["fee_open"] == 0.005).all()
    opened = pd.to_datetime(trades["open_date"])
    closed = pd.to_datetime(trades["close_date"])
    assert opened.min() >= pd.Timestamp("2017-01-05", tz="UTC")
    assert closed.max() <= pd.Timestamp("2017-01-20", tz="UTC")
    later = opened.iloc[1:].to_numpy()
    assert (later >= closed.iloc[:-1].to_numpy()).all()  # one slot: no overlap
    assert stats["starting_balance"] == 500
    code, _, err = run(capsys, *flags(paths), "--json", str(out_json), "-p", "ETH/USDT")
    assert code == 0, err
    assert set(trades_of(out_json)[0]["pair"]) == {"ETH/USDT"}


def test_sample_strategy_and_legacy_api_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = project(tmp_path, n_bars=1500)
    shutil.copy(SAMPLE, paths["strategy_path"])
    sample_json = tmp_path / "sample.json"
    code, out, err = run(
        capsys, *flags(paths, "SampleStrategy"), "-i", "1h", "--json", str(sample_json)
    )
    assert code == 0, err
    assert "SampleStrategy" in out
    sample_trades, _ = trades_of(sample_json, "SampleStrategy")
    expected = library_trades(paths, "SampleStrategy", timeframe="1h")
    assert len(sample_trades) > 0
    assert list(sample_trades["open_date"]) == [str(d) for d in expected["open_date"]]
    legacy = strategy_source("LegacyRsi").replace(
        "populate_entry_trend", "populate_buy_trend"
    ).replace('"enter_long"] = 1', '"buy"] = 1').replace(
        "populate_exit_trend", "populate_sell_trend"
    ).replace('"exit_long"] = 1', '"sell"] = 1')  # fmt: skip
    write_strategy(paths["strategy_path"], "LegacyRsi", source=legacy)
    out_json = tmp_path / "legacy.json"
    code, _, err = run(capsys, *flags(paths, "LegacyRsi"), "--json", str(out_json))
    assert code == 0, err
    legacy_trades, _ = trades_of(out_json, "LegacyRsi")
    modern = library_trades(paths)
    assert list(legacy_trades["open_date"]) == [str(d) for d in modern["open_date"]]
    assert len(legacy_trades) > 0


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--timeframe-detail", "5m"], "--timeframe-detail"),
        (["--enable-protections"], "--enable-protections"),
        (["--export", "trades"], "--export"),
        (["--breakdown", "day"], "--breakdown"),
        (["--cache", "none"], "--cache"),
        (["--strategy-list", "A", "B"], "--strategy-list"),
        (["--frobnicate"], "no such option: --frobnicate"),
    ],
)
def test_unsupported_flags_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    paths = project(tmp_path)
    code, out, err = run(capsys, *flags(paths), *extra)
    assert code == 2
    assert named in err and "Traceback" not in err
    assert "SUMMARY" not in out  # refused before any work


def bad(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, _, err = run(capsys, *args)
    assert code == 2, err
    assert "Traceback" not in err and err.startswith("error: ")
    return err


def test_strategy_file_errors_name_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = project(tmp_path)
    path = write_strategy(
        paths["strategy_path"], source="import talib_missing\n" + strategy_source(),
        file="rsistrategy.py",
    )  # fmt: skip
    err = bad(tmp_path, capsys, *flags(paths))
    assert f"{path}:1" in err and "talib_missing" in err
    write_strategy(paths["strategy_path"], source=strategy_source(), file="rsistrategy.py")
    err = bad(tmp_path, capsys, *flags(paths, "RsiStrat"))
    assert "did you mean 'RsiStrategy'" in err


def test_strategy_raising_in_populate_is_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = project(tmp_path)
    source = strategy_source().replace(
        '        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)\n',
        '        dataframe["rsi"] = dataframe["no_such_column"]\n',
    )
    path = write_strategy(paths["strategy_path"], source=source, file="rsistrategy.py")
    line = source.splitlines().index('        dataframe["rsi"] = dataframe["no_such_column"]') + 1
    err = bad(tmp_path, capsys, *flags(paths))
    assert f"{path}:{line}" in err and "no_such_column" in err


def test_missing_data_and_broken_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = project(tmp_path)
    err = bad(tmp_path, capsys, *flags(paths), "-p", "XRP/USDT")
    assert "XRP/USDT" in err and "1h" in err
    assert str(paths["datadir"] / "XRP_USDT-1h.feather") in err
    paths["config"].write_text('{"max_open_trades": 2,\n "stake_amount": }')
    err = bad(tmp_path, capsys, *flags(paths))
    assert f"{paths['config']}:2" in err


@pytest.mark.slow
def test_subprocess_run_has_no_traceback_and_help_is_light(tmp_path: Path) -> None:
    paths = project(tmp_path)
    broken = write_strategy(
        paths["strategy_path"], source=strategy_source().replace("class ", "class class "),
        file="rsistrategy.py",
    )  # fmt: skip
    cmd = [sys.executable, "-m", "genesis", *flags(paths)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2
    assert str(broken) in done.stderr and "Traceback" not in done.stderr
    code = (
        "import sys; from genesis.cli import main\n"
        "sys.argv = ['genesis', 'freqtrade', 'backtesting', '--help']\n"
        "try: main()\n"
        "except SystemExit: pass\n"
        "print(sorted(m for m in ('freqtrade', 'numba', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "--stake-amount" in out.stdout
    assert out.stdout.strip().endswith("[]"), out.stdout


def test_without_freqtrade_one_line_names_the_extra(tmp_path: Path) -> None:
    paths = project(tmp_path)
    code = (
        "import sys; sys.modules['freqtrade'] = None\n"
        "from genesis.cli import main\n"
        f"sys.argv = ['genesis', *{flags(paths)!r}]\n"
        "main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ},
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "pip install 'genesis[freqtrade]'" in lines[0]


def test_default_fee_is_said_not_silent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = project(tmp_path)
    code, out, err = run(capsys, *flags(paths))
    assert code == 0, err
    assert "neither --fee" not in out  # the config sets fee
    config = json.loads(paths["config"].read_text())
    del config["fee"]
    paths["config"].write_text(json.dumps(config))
    code, out, err = run(capsys, *flags(paths))
    assert code == 0, err
    assert "fee 0.10% per side: neither --fee nor the config sets one" in out
