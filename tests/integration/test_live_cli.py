"""What ``genesis optimize`` shows while it runs: lines, progress, JSON events, Ctrl-C."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from genesis_cli import SMOKE, genesis  # type: ignore[import-not-found]


def test_default_shows_bests_not_per_trial_lines_and_v_shows_them(tmp_path: Path) -> None:
    common = ["optimize", str(SMOKE), "--trials", "12", "--out", str(tmp_path), "--no-report"]
    quiet = genesis(*common, "--study", "a", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "new best #0: sharpe=" in quiet.stderr
    assert "[Runner] loading candles from synthetic:tBTCUSD:1h" in quiet.stderr  # a stage
    assert "[CACHE STATS] 12/12" not in quiet.stderr and "[CACHE STATS] " in quiet.stderr
    assert "[Runner] Trial trial_" not in quiet.stderr
    verbose = genesis(*common, "--study", "b", "-v", cwd=tmp_path)
    assert "[Runner] Trial trial_0000 done in" not in verbose.stderr  # all cached by run "a"
    assert "[CACHE] Trial 0 reusing cached score" in verbose.stderr
    assert "best trial: #" in verbose.stdout


def test_json_writes_one_object_per_event_on_stdout(tmp_path: Path) -> None:
    result = genesis(
        "optimize", str(SMOKE), "--trials", "8", "--out", str(tmp_path), "--study", "j",
        "--json", "--no-report", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds.count("trial") + kinds.count("failure") == 8 and "best" in kinds
    assert kinds[0] == "stage" and kinds[-1] == "summary"
    summary = events[-1]
    assert summary["study"] == "j" and summary["stats"]["total_trials"] == 8
    assert summary["best"]["trial"] == [e for e in events if e["event"] == "best"][-1]["trial"]
    assert "best trial: #" in result.stderr  # the human summary moved to stderr


@pytest.mark.slow
def test_the_ctrl_c_hint_is_a_command_that_works_when_pasted(tmp_path: Path) -> None:
    config = tmp_path / "cfg.yaml"
    config.write_text(
        "data: {source: 'synthetic:tBTCUSD:1h:3:3000'}\n"
        "strategy: {name: ema_cross}\n"
        "search_space:\n  fast: {type: int, low: 2, high: 40}\n"
        "  slow: {type: int, low: 50, high: 300}\n"
        "score: {objectives: [total_return_pct]}\n"
        "optimizer: {timeout_s: 8}\n"
    )
    args = ["optimize", "cfg.yaml", "--trials", "100000", "--seed", "7", "--out", "my runs"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "genesis", *args],
        cwd=tmp_path, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    journals: list[Path] = []
    while time.monotonic() < deadline:
        journals = list((tmp_path / "my runs").glob("run_*/study.journal"))
        if journals and journals[0].stat().st_size > 20_000:  # trials are running
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    hint = next(line for line in stderr.splitlines() if "continue with " in line)
    command = shlex.split(hint.split("continue with ", 1)[1])
    run_name = journals[0].parent.name
    assert command[:6] == ["genesis", "optimize", "cfg.yaml", "--resume", "--study", run_name]
    assert "--seed" in command and "--trials" in command
    before = len((journals[0].parent / "trials.csv").read_text().splitlines())
    pasted = subprocess.run(
        [sys.executable, "-m", "genesis", *command[1:]],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert pasted.returncode == 0, pasted.stderr
    assert "timeout of 8s reached" in pasted.stdout
    after = len((journals[0].parent / "trials.csv").read_text().splitlines())
    assert after > before
    runs = [p for p in (tmp_path / "my runs").iterdir() if p.name.startswith("run_")]
    assert runs == [journals[0].parent]  # continued, not a new run
