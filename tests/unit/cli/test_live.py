"""The live display's counts, best rule, rate and ETA; its lines; the resume command."""

from __future__ import annotations

import io
import json
import math
import shlex
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from genesis.artifacts import CacheSource
from genesis.cli._live import LiveDisplay, RunState, _fmt_duration
from genesis.cli.optimize import resume_command
from genesis.optimizer import TrialOutcome


def outcome(number: int, value: float | None, source: str = "computed", **kw: Any) -> TrialOutcome:
    if value is None:
        return TrialOutcome(number, None, None, f"k{number}", kw.pop("error", "boom"), **kw)
    kw.setdefault("feasible", True)
    return TrialOutcome(number, (value,), CacheSource(source), kw.pop("key", f"k{number}"), **kw)


def test_counts_best_and_failures() -> None:
    state = RunState(total=10, directions=("maximize",), objective="sharpe")
    kinds = [
        [e["event"] for e in state.observe(o, now=float(i))]
        for i, o in enumerate([
            outcome(0, 0.5), outcome(1, 0.9), outcome(2, 0.9, "memory", key="k1"),
            outcome(3, None, error="undefined"), outcome(4, 0.7, "cache"),
            outcome(5, None, error="undefined"),
        ])
    ]  # fmt: skip
    assert kinds == [
        ["trial", "best"], ["trial", "best"], ["trial"], ["failure"], ["trial"], ["failure"]
    ]  # fmt: skip
    assert (state.done, state.backtests, state.memory_hits, state.cache_hits, state.failed) == (
        6, 2, 1, 1, 2,
    )  # fmt: skip
    assert state.best is not None and state.best.number == 1  # a tie keeps the earlier trial
    status = state.status(now=5.0)
    assert status.startswith("6/10 trials · ETA 0:00:04 · best 0.9 #1 ·")
    assert "2 backtests · 2 cache hits · 1.0 trials/s · 2 failed" in status


def test_a_feasible_trial_beats_a_better_infeasible_one_and_minimize_is_respected() -> None:
    state = RunState(total=None, directions=("minimize",), objective="max_drawdown_pct")
    state.observe(outcome(0, 1.0, feasible=False), now=0.0)
    assert "(infeasible)" in state.best_text()
    state.observe(outcome(1, 5.0), now=1.0)
    state.observe(outcome(2, 0.5, feasible=False), now=2.0)
    state.observe(outcome(3, 3.0), now=3.0)
    assert state.best is not None and state.best.number == 3
    assert state.status(now=3.0).startswith("4 trials · ETA –")


def test_rate_counts_only_this_session_and_eta_respects_the_timeout() -> None:
    state = RunState(
        total=1000, directions=("maximize",), objective="s", timeout_s=30.0, started=0.0
    )
    state.observe(outcome(500, 1.0), now=10.0)  # resumed: 500 trials were done before
    assert state.rate(10.0) is None
    state.observe(outcome(520, 1.0), now=12.0)
    assert state.rate(12.0) == 10.0
    assert state.eta_s(12.0) == 18.0  # 479 trials at 10/s is later than the timeout
    assert state.rate(100.0) == 10.0  # after the last trial (validation, report): no decay


def test_display_prints_best_and_failure_lines_and_json_events() -> None:
    err, out = io.StringIO(), io.StringIO()
    console = Console(file=err, width=200, force_terminal=False)
    display = LiveDisplay(
        console,
        RunState(total=3, directions=("maximize",), objective="sharpe"),
        mode="plain",
        json_out=out,
    )
    display.start()
    display.stage("run directory o/s1", study="s1")
    metrics = {"n_trades": 12, "total_return_pct": 3.5}
    display.outcome(outcome(0, 1.25, params={"fast": 5}, metrics=metrics))
    display.outcome(outcome(1, None, error="no trades"))
    display.outcome(outcome(2, None, error="no trades"))
    display.close()
    lines = err.getvalue().splitlines()
    assert lines == [
        "new best #0: sharpe=1.2500  trades=12 return=3.50%  fast=5",
        "trial #1 failed: no trades",
        "trial #2 failed: the same error as trial #1",
    ]
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["event"] for e in events] == [
        "stage", "stage", "trial", "best", "failure", "failure"
    ]  # fmt: skip
    assert events[3]["metrics"] == metrics and events[4]["error"] == "no trades"
    assert display.study == "s1"


def test_plain_mode_prints_a_progress_line_every_interval() -> None:
    err = io.StringIO()
    display = LiveDisplay(
        Console(file=err, width=200), RunState(total=5, directions=("maximize",), objective="s"),
        mode="plain", interval_s=0.05,
    )  # fmt: skip
    display.start()
    display.outcome(outcome(0, 1.0))
    import time

    time.sleep(0.3)
    display.close()
    progress = [line for line in err.getvalue().splitlines() if line.startswith("[progress] ")]
    assert progress and progress[-1].startswith("[progress] 1/5 trials · ETA")


def test_resume_command_keeps_every_flag_and_leaves_out_a_password() -> None:
    given: dict[str, Any] = {
        "--trials": 500, "--out": Path("my runs"), "--seed": 7,
        "--storage": "postgresql://bob:s3cret@db:5432/optuna", "--workers": None,
        "--fast-window": False, "--precompute-features": None, "--report": False,
        "-q": True, "-v": False, "--json": False,
    }  # fmt: skip
    command, note = resume_command(Path("cfg.yaml"), "run_1", given)
    assert shlex.split(command) == [
        "genesis", "optimize", "cfg.yaml", "--resume", "--study", "run_1", "--trials", "500",
        "--out", "my runs", "--seed", "7", "--full-window", "--no-report", "-q",
    ]  # fmt: skip
    assert "s3cret" not in command + note
    assert "GENESIS_STORAGE_URL set to postgresql://bob:***@db:5432/optuna" in note
    plain, no_note = resume_command(Path("c.yaml"), "s", {"--storage": "postgresql://u@h/d"})
    assert plain.endswith("--storage postgresql://u@h/d") and no_note == ""


def test_with_other_workers_the_status_says_its_counts_are_this_process_s() -> None:
    state = RunState(total=10, directions=("maximize",), objective="sharpe", local_only=True)
    state.observe(outcome(0, 0.5), now=0.0)
    status = state.status(now=1.0)
    assert "best 0.5 #0 (this process)" in status
    assert "1 backtests in this process · 0 cache hits in this process" in status


@pytest.mark.parametrize(
    "seconds", [0.0, 65.4, -5.0, -1e300, 1e300, 8.7e13, 1e9, math.inf, -math.inf, math.nan]
)
def test_a_duration_of_any_size_is_formatted_without_raising(seconds: float) -> None:
    text = _fmt_duration(seconds)
    expected = {0.0: "0:00:00", 65.4: "0:01:05", -5.0: "0:00:00", -1e300: "0:00:00"}
    if seconds in expected:
        assert text == expected[seconds]
    elif math.isfinite(seconds):
        assert text == "> 100 days"
    else:
        assert text == "–"


@pytest.mark.parametrize("total", [10**23, 10**400, -(10**30)], ids=["1e23", "1e400", "negative"])
@pytest.mark.parametrize("timeout_s", [None, 1e300, math.inf, math.nan, -1.0])
def test_the_status_line_survives_absurd_budgets_and_timeouts(
    total: int, timeout_s: float | None
) -> None:
    state = RunState(total=total, directions=("maximize",), objective="sharpe", timeout_s=timeout_s)
    state.started = 0.0
    for i in range(3):
        state.observe(outcome(i, 0.5 + i), now=float(i + 1))
    line = state.status(now=4.0)
    assert line.startswith(f"3/{total} trials · ETA ")
    assert "best 2.5 #2" in line
