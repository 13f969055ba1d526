"""The command line as a user meets it: exit codes, one-line errors, fast --help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from genesis_cli import ROOT, SMOKE, genesis  # type: ignore[import-not-found]
from slow_strategy import slow_config  # type: ignore[import-not-found]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    return path


def test_help_does_not_import_numba_or_optuna(tmp_path: Path) -> None:
    code = (
        "import sys; from genesis.cli import main\n"
        "sys.argv = ['genesis', '--help']\n"
        "try: main()\n"
        "except SystemExit: pass\n"
        "print(sorted(m for m in ('numba', 'optuna', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]"), out.stdout
    assert "optimize" in out.stdout and "backtest" in out.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "search_space:\n  ema_fast: {type: int, low: 30, high: 10}\n",
            "search_space.ema_fast.high: must be > low",
        ),
        ("strategy:\n  name: genesis_trnd\n", "did you mean: genesis_trend?"),
        ("search_space:\n  ema_fats: {type: int, low: 5, high: 10}\n", "did you mean: ema_fast"),
        (
            "search_space:\n  ema_fast: {type: int, low: 1, high: 10}\n",
            "below the strategy's minimum",
        ),
        ("data:\n  source: nowhere.csv\n", "nowhere.csv"),
        ("optimizer:\n  sampler: annealing\n", "optimizer.sampler"),
        ("score:\n  objectives: [sharp]\n", "sharp"),
        ("search_space:\n  ema_fast: {type: float, low: 10, high: 30}\n", "an int param"),
        ("strategy:\n  params: {rsi_period: abc}\n", "strategy.params.rsi_period"),
        (
            "search_space:\n  allow_short: {type: categorical, choices: [maybe, false]}\n",
            "search_space.allow_short.choices.0",
        ),
    ],
)
def test_bad_config_is_one_line_exit_2(tmp_path: Path, text: str, expected: str) -> None:
    result = genesis(
        "optimize", str(write(tmp_path, text)), "--out", str(tmp_path / "out"), cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("run_*"))


def test_optimize_then_backtest_reproduces_the_best_trial(tmp_path: Path) -> None:
    result = genesis(
        "optimize",
        str(SMOKE),
        "--trials",
        "6",
        "--out",
        str(tmp_path / "out"),
        "--study",
        "s",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "[CACHE STATS] " in result.stderr
    run = tmp_path / "out" / "s"
    for name in (
        "config.yaml",
        "study.journal",
        "_dedup.db",
        "trials.csv",
        "best_trial.json",
        "cache_stats.json",
    ):
        assert (run / name).exists(), name
    best = json.loads((run / "best_trial.json").read_text())
    out_json = tmp_path / "bt.json"
    again = genesis(
        "backtest", str(run / "config.yaml"), "--params", str(run / "best_trial.json"),
        "--json", str(out_json), cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    full = json.loads(out_json.read_text())
    assert full["key"] == best["key"]
    assert full["score"]["values"][0] == best["score"]
    assert full["metrics"]["n_trades"] == len(full["trades"])


def test_backtest_rejects_unknown_params(tmp_path: Path) -> None:
    result = genesis("backtest", str(SMOKE), "--params", '{"ema_fst": 5}', cwd=tmp_path)
    assert result.returncode == 2
    assert "did you mean: ema_fast" in result.stderr and "Traceback" not in result.stderr


def test_backtest_takes_a_period_with_start_and_end(tmp_path: Path) -> None:
    args = ["backtest", str(SMOKE), "--full-window", "--start", "2018-01-01"]
    result = genesis(*args, "--end", "2018-03-01", "--json", "w.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    week = json.loads((tmp_path / "w.json").read_text())
    assert week["equity"]["n_bars"] == (31 + 28) * 24  # inclusive start, exclusive end
    assert week["spec"]["window"] == "2018-01-01..2018-03-01"
    backwards = genesis(*args, "--end", "2017-12-01", cwd=tmp_path)
    assert backwards.returncode == 2 and "Traceback" not in backwards.stderr
    assert "window end 2017-12-01 is not after its start 2018-01-01" in backwards.stderr


def test_ctrl_c_exits_130_and_leaves_a_consistent_run(tmp_path: Path) -> None:
    import signal
    import time

    full = ROOT / "config" / "optimizer" / "tBTCUSD_1h_optuna.yaml"
    args = [
        "optimize",
        str(full),
        "--fast-window",
        "--trials",
        "100000",
        "--out",
        str(tmp_path),
        "--study",
        "k",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "genesis", *args], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    journal = tmp_path / "k" / "study.journal"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not journal.exists() or journal.stat().st_size < 20_000):
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    rows = (tmp_path / "k" / "trials.csv").read_text().splitlines()
    assert len(rows) > 2
    assert ",RUNNING," not in "\n".join(rows)


def test_two_machines_share_a_postgresql_study(tmp_path: Path, postgres_url: str) -> None:
    import uuid

    import optuna

    study = f"shared_{uuid.uuid4().hex[:8]}"
    config = tmp_path / "shared.yaml"
    config.write_text(
        SMOKE.read_text().replace("cache:\n  enabled: true", f"cache:\n  location: {postgres_url}")
    )
    common = ["--storage", postgres_url, "--study", study, "--trials", "40"]
    first = subprocess.Popen(
        [sys.executable, "-m", "genesis", "optimize", str(config), *common, "--out", "a", "-q"],
        cwd=tmp_path, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    second = genesis(
        "worker", str(config), *common, "--index", "1", "--out", "b", "-q", cwd=tmp_path
    )
    _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second.stderr
    trials = optuna.load_study(study_name=study, storage=postgres_url).get_trials()
    assert len(trials) == 40
    assert all(t.state.is_finished() for t in trials)
    assert (tmp_path / "a" / study / "trials.csv").exists()
    assert (tmp_path / "b" / study / "trials.csv").exists()
    optuna.delete_study(study_name=study, storage=postgres_url)


def test_resume_with_nothing_to_resume_is_a_usage_error(tmp_path: Path) -> None:
    result = genesis(
        "optimize", str(SMOKE), "--resume", "--out", str(tmp_path / "none"), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "no run to resume" in result.stderr and "Traceback" not in result.stderr


def test_params_must_be_a_json_object(tmp_path: Path) -> None:
    result = genesis("backtest", str(SMOKE), "--params", "[1, 2]", cwd=tmp_path)
    assert result.returncode == 2
    assert "must be a JSON object" in result.stderr


def test_ctrl_c_with_two_workers_exits_130_and_leaves_a_consistent_run(tmp_path: Path) -> None:
    import os
    import signal
    import time

    config = slow_config(tmp_path, 0.3)
    args = [
        "optimize",
        str(config),
        "--trials",
        "500",
        "--workers",
        "2",
        "--out",
        "o",
        "--study",
        "c",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "genesis", *args],
        cwd=tmp_path, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    journal = tmp_path / "o" / "c" / "study.journal"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not journal.exists() or journal.stat().st_size < 6_000):
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: every process at once
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    rows = (tmp_path / "o" / "c" / "trials.csv").read_text().splitlines()
    assert len(rows) > 2
    assert ",RUNNING," not in "\n".join(rows)


def test_a_bad_flag_is_blamed_on_the_flag(tmp_path: Path) -> None:
    result = genesis("optimize", str(SMOKE), "--trials", "0", "--out", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: --trials: optimizer.n_trials:"), result.stderr
    assert SMOKE.name not in result.stderr  # not a line of the config file
