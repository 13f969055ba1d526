"""``genesis backtest`` as a trader reads it: bars, buy-and-hold, trades, --json, --plot."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from genesis_cli import ROOT, SMOKE  # type: ignore[import-not-found]

from genesis.api import run_backtest
from genesis.engine import ExitReason

REASONS = {reason.name.lower() for reason in ExitReason}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_backtest_prints_buy_and_hold_range_and_last_trades(tmp_path: Path) -> None:
    out_json, plot = tmp_path / "bt.json", tmp_path / "bt.html"
    result = subprocess.run(
        [sys.executable, "-m", "genesis", "backtest", str(SMOKE), "--trades", "3",
         "--json", str(out_json), "--plot", str(plot)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    full = json.loads(out_json.read_text())
    equity, trades, m = full["equity"], full["trades"], full["metrics"]
    out = result.stdout
    first, last = equity["curve"]["time"][0], equity["curve"]["time"][-1]
    assert f"{equity['n_bars']:,} bars, {first[:10]} {first[11:16]} → {last[:10]}" in out
    assert f"vs buy-and-hold {m['buy_hold_return_pct']:+,.2f}%" in out
    assert f"last 3 of {len(trades)} trades" in out
    assert f"\nconstraint min_trades: {m['n_trades']:,} trades, needs ≥ 10\n" in out
    for trade in trades[-3:]:  # the last three, each with its times and reason by name
        row = f"{trade['entry_time'][:10]} {trade['entry_time'][11:16]}"
        assert row in out and trade["exit_reason"] in out
    assert trades[-4]["entry_time"].replace("T", " ")[:16] not in out
    # --json: a timestamped curve and trades with ISO times and exit reason names
    curve = equity["curve"]
    assert len(curve["time"]) == len(curve["equity"]) == len(curve["buy_hold"]) == equity["n_bars"]
    assert all(ISO.match(t) for t in (curve["time"][0], curve["time"][-1]))
    held = curve["buy_hold"][-1] / equity["initial"] - 1
    assert held == pytest.approx(m["buy_hold_return_pct"] / 100)
    assert {t["exit_reason"] for t in trades} <= REASONS and {t["side"] for t in trades} <= {
        "long",
        "short",
    }
    assert all(ISO.match(t["entry_time"]) and ISO.match(t["exit_time"]) for t in trades)
    assert min(curve["drawdown_pct"]) >= 0 and max(curve["drawdown_pct"]) == m["max_drawdown_pct"]
    # --plot: one self-contained page (plotly.js inline, nothing fetched)
    page = plot.read_text()
    assert page.count("<script") >= 2 and 'src="http' not in page
    assert "buy-and-hold" in page and "drawdown" in page and "entry" in page
    assert plot.stat().st_size < 6_000_000


def test_python_result_offers_trades_frame_and_timestamped_equity() -> None:
    report = run_backtest(SMOKE)
    equity, trades = report.equity, report.trades
    assert isinstance(equity.index, pd.DatetimeIndex) and str(equity.index.tz) == "UTC"
    assert len(equity) == len(report.evaluation.result.equity)
    assert equity.index[0] == pd.Timestamp(int(report.candles.ts_ms[0]), unit="ms", tz="UTC")
    assert equity.iloc[-1] == report.evaluation.metrics.final_equity
    assert len(trades) == report.evaluation.metrics.n_trades > 0
    assert (trades["exit_time"] >= trades["entry_time"]).all()
    assert set(trades["exit_reason"].astype(str)) <= REASONS
    first = trades.iloc[0]
    assert first["entry_time"] == equity.index[first["entry_idx"]]
    c, capital = report.candles, report.evaluation.result.initial_capital
    assert report.buy_hold.iloc[0] == pytest.approx(capital * c.close[0] / c.open[0])
    assert report.buy_hold.iloc[-1] == pytest.approx(capital * c.close[-1] / c.open[0])


def test_the_docs_show_what_genesis_backtest_really_prints() -> None:
    import shlex

    page = (ROOT / "docs" / "how-to" / "check-params.md").read_text(encoding="utf-8")
    blocks = [b.split("\n", 1)[1] for b in page.split("```")[1::2]]  # without the language
    block = next(b for b in blocks if b.startswith("$ genesis backtest"))
    command, *expected = block.strip().splitlines()
    result = subprocess.run(
        [sys.executable, "-m", "genesis", *shlex.split(command)[2:]],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    printed = [line.rstrip() for line in result.stdout.splitlines()]
    shown = [line.rstrip() for line in expected if line.strip() != "…"]
    assert [line for line in shown if line not in printed] == []
