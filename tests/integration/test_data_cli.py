"""``genesis data inspect`` and ``genesis data resample`` on generated files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

import genesis
from genesis.cli import _app
from genesis.data import (
    Candles,
    fingerprint,
    load_candles,
    resample,
    synthetic_candles,
    write_candles,
)
from genesis.errors import DataError

BAD_CSV = """timestamp,open,high,low,close,volume
2018-01-01T00:00:00Z,100,110,95,105,10
2018-01-01T01:00:00Z,100,90,95,105,10
2018-01-01T02:00:00Z,100,110,95,105,10
2018-01-01T02:00:00Z,100,110,95,105,-1
2018-01-01T04:00:00Z,100,110,95,nan,10
"""


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    if not any(group.name == "data" for group in _app.app.registered_groups):
        _app._register()
    return CliRunner()


def _run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(_app.app, ["data", *args])


def _with_hole(candles: Candles, start: int, stop: int) -> Candles:
    keep = np.ones(len(candles), dtype=bool)
    keep[start:stop] = False
    c = candles
    return Candles.from_arrays(
        c.ts_ms[keep], c.open[keep], c.high[keep], c.low[keep], c.close[keep], c.volume[keep],
        symbol=c.symbol, timeframe=c.timeframe,
    )  # fmt: skip


def test_inspect_describes_a_good_file(runner: CliRunner, tmp_path: Path) -> None:
    candles = _with_hole(synthetic_candles(n_bars=1_000), 100, 112)
    path = write_candles(candles, tmp_path / "tBTCUSD_1h.csv")
    result = _run(runner, "inspect", str(path))
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "988" in lines["rows"]
    assert "2017-01-01T00:00:00Z .. 2017-02-11T15:00:00Z" in lines["range"]
    assert lines["timeframe"].split()[-1] == "1h"
    assert "1 (12 missing bars)" in lines["gaps"]
    assert "2017-01-05T04:00:00Z" in result.output  # where the largest gap starts
    assert fingerprint(load_candles(path)) in lines["fingerprint"]
    assert "low" in lines["prices"]


def test_inspect_names_each_bad_row_and_fails(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    result = _run(runner, "inspect", str(path))
    assert isinstance(result.exception, DataError)
    assert result.exception.exit_code == 2
    assert "4 problem(s) in 3 of 5 rows" in str(result.exception)
    problems = [line for line in result.output.splitlines() if line.startswith(str(path))]
    assert [p.split(": ", 1)[0] for p in problems] == [
        f"{path}:3 (2018-01-01T01:00:00Z)",
        f"{path}:5 (2018-01-01T02:00:00Z)",
        f"{path}:5 (2018-01-01T02:00:00Z)",
        f"{path}:6 (2018-01-01T04:00:00Z)",
    ]
    assert "high is below max(open, close)" in problems[0]
    assert "duplicate timestamp" in problems[1]
    assert "volume is negative" in problems[2]
    assert "close is not a finite number" in problems[3]


def test_inspect_exit_code_through_the_real_entry_point(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    source_root = str(Path(genesis.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": source_root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-m", "genesis", "data", "inspect", str(path)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"{path}:3 (2018-01-01T01:00:00Z): high is below" in done.stdout
    assert "4 problem(s)" in done.stderr


def test_inspect_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = _run(runner, "inspect", str(tmp_path / "nope.csv"))
    assert isinstance(result.exception, DataError)
    assert "file not found" in str(result.exception)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_resample_writes_beside_the_input(runner: CliRunner, tmp_path: Path, suffix: str) -> None:
    candles = _with_hole(synthetic_candles(n_bars=500), 50, 60)
    path = write_candles(candles, tmp_path / f"tBTCUSD_1h{suffix}")
    result = _run(runner, "resample", str(path), "--to", "4h")
    assert result.exit_code == 0, result.output
    out = tmp_path / f"tBTCUSD_1h_4h{suffix}"
    written = load_candles(out, timeframe="4h")
    expected = resample(candles, "4h")
    assert len(written) == len(expected) == 123  # 125 bins, two wholly inside hours 50..59
    np.testing.assert_array_equal(written.ts_ms, expected.ts_ms)
    np.testing.assert_array_equal(written.high, expected.high)
    np.testing.assert_array_equal(written.volume, expected.volume)


def test_resample_out_option_and_bad_target(runner: CliRunner, tmp_path: Path) -> None:
    path = write_candles(synthetic_candles(n_bars=100), tmp_path / "c.parquet")
    out = tmp_path / "daily.csv"
    assert _run(runner, "resample", str(path), "--to", "1d", "--out", str(out)).exit_code == 0
    assert len(load_candles(out)) == 5
    result = _run(runner, "resample", str(path), "--to", "30m")
    assert isinstance(result.exception, DataError)
    assert "cannot resample 1h candles to 30m" in str(result.exception)


def test_inspect_reports_a_bad_tick_without_refusing_the_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    c = synthetic_candles(n_bars=500)
    low = c.low.copy()
    low[300] = 0.01  # a bad print, yet a valid row: 0 < low <= open, close
    candles = Candles.from_arrays(
        c.ts_ms, c.open, c.high, low, c.close, c.volume, symbol=c.symbol, timeframe=c.timeframe
    )
    path = write_candles(candles, tmp_path / "tBTCUSD_1h.csv")
    result = _run(runner, "inspect", str(path))
    assert result.exit_code == 0, result.output
    assert "suspect      1 bar(s)" in result.output
    assert f"{path}:302 (" in result.output and "low 0.01" in result.output  # header + row 300
    clean = write_candles(c, tmp_path / "clean_1h.csv")
    assert "suspect      none" in _run(runner, "inspect", str(clean)).output
