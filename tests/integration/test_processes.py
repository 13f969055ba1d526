"""Processes of one machine: a killed or terminated coordinator, an exact budget with any
number of workers, and extra workers' results without a cache."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from slow_strategy import slow_config  # type: ignore[import-not-found]

from genesis.config import config_from_dict
from genesis.optimizer import run_optimizer

GENESIS = [sys.executable, "-m", "genesis"]


def worker_pids(parent: int) -> list[int]:
    """The multiprocessing workers (spawned children) of ``parent``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        if ppid == parent and b"spawn_main" in cmdline:
            pids.append(int(entry.name))
    return pids


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def seconds_until_dead(pids: list[int], limit_s: float = 10.0) -> float:
    """How long ``pids`` take to end from now (``limit_s`` at most)."""
    started = time.monotonic()
    while any(alive(p) for p in pids) and time.monotonic() - started < limit_s:
        time.sleep(0.02)
    return time.monotonic() - started


def start_and_wait_for_workers(
    tmp_path: Path, n_workers: int
) -> tuple[subprocess.Popen[str], list[int]]:
    config = slow_config(tmp_path, 0.2)
    args = ["optimize", str(config), "--trials", "2000", "--workers", str(n_workers),
            "--out", "o", "--study", "c", "-q"]  # fmt: skip
    proc = subprocess.Popen([*GENESIS, *args], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    journal = tmp_path / "o" / "c" / "study.journal"
    deadline = time.monotonic() + 180
    pids: list[int] = []
    while time.monotonic() < deadline:  # until every worker has started up and runs trials
        pids = worker_pids(proc.pid)
        text = journal.read_text() if journal.exists() else ""
        if len(pids) == n_workers - 1 and all(re.search(rf'"pid": ?{p}\b', text) for p in pids):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the workers did not start: {pids}")
    return proc, pids


@pytest.mark.slow
def test_killing_the_coordinator_stops_its_workers_within_two_seconds(tmp_path: Path) -> None:
    proc, pids = start_and_wait_for_workers(tmp_path, 3)
    proc.kill()  # SIGKILL: no clean-up in the coordinator at all
    stopped_after_s = seconds_until_dead(pids)
    proc.communicate(timeout=30)
    assert not any(alive(p) for p in pids)
    assert stopped_after_s < 2.0, f"the workers ran on for {stopped_after_s:.1f}s"
    journal = tmp_path / "o" / "c" / "study.journal"
    size = journal.stat().st_size
    time.sleep(1.0)
    assert journal.stat().st_size == size, "someone still adds trials"


_SLOW_NUMBA_IMPORT = """
import importlib.abc, sys, time

class SlowNumba(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "numba":
            time.sleep(5.0)  # a loaded machine: the heavy imports take seconds
        return None

if "--multiprocessing-fork" in sys.argv:  # the workers only
    sys.meta_path.insert(0, SlowNumba())
"""


@pytest.mark.slow
def test_killing_the_coordinator_while_its_workers_import_stops_them_within_two_seconds(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SLOW_NUMBA_IMPORT)
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    config = slow_config(tmp_path, 0.2)
    args = ["optimize", str(config), "--trials", "2000", "--workers", "3",
            "--out", "o", "--study", "c", "-q"]  # fmt: skip
    proc = subprocess.Popen(
        [*GENESIS, *args], cwd=tmp_path, stderr=subprocess.PIPE, text=True, env=env
    )
    deadline = time.monotonic() + 120
    while len(pids := worker_pids(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pids) == 2, "the workers did not start"
    time.sleep(1.0)  # they are importing numba now (5 s)
    proc.kill()
    stopped_after_s = seconds_until_dead(pids)
    proc.communicate(timeout=30)
    assert not any(alive(p) for p in pids)
    assert stopped_after_s < 2.0, f"the workers ran on for {stopped_after_s:.1f}s"


@pytest.mark.slow
def test_sigterm_is_like_ctrl_c_artifacts_written_nothing_running_exit_143(tmp_path: Path) -> None:
    proc, pids = start_and_wait_for_workers(tmp_path, 2)
    proc.send_signal(signal.SIGTERM)  # to the coordinator only, as a service manager does
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert not any(alive(p) for p in pids)
    with (tmp_path / "o" / "c" / "trials.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 2
    assert not [r for r in rows if r["state"] in ("RUNNING", "WAITING")]
    assert (tmp_path / "o" / "c" / "cache_stats.json").exists()
    assert "terminated (SIGTERM)" in (tmp_path / "o" / "c" / "cache_stats.json").read_text()


def small_config(out: Path, **optimizer: object) -> dict[str, object]:
    return {
        "data": {"source": "synthetic:tBTCUSD:1h:7:2000", "timeframe": "1h"},
        "strategy": {"name": "ema_cross"},
        "search_space": {
            "fast": {"type": "int", "low": 4, "high": 40, "step": 2},
            "slow": {"type": "int", "low": 50, "high": 200, "step": 10},
        },
        "score": {"objectives": ["total_return_pct"]},
        "optimizer": {"sampler": "random", "seed": 5, **optimizer},
        "output_dir": str(out),
    }


@pytest.mark.parametrize("n_workers", [2, 3])
def test_the_budget_is_exact_with_any_number_of_workers(tmp_path: Path, n_workers: int) -> None:
    config = small_config(tmp_path, n_trials=40, n_workers=n_workers)
    result = run_optimizer(config_from_dict(config))
    with (result.run_dir / "trials.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 40
    assert {r["state"] for r in rows} == {"COMPLETE"}


def test_without_a_cache_extra_workers_keep_their_metrics_and_trial_files(tmp_path: Path) -> None:
    config = small_config(tmp_path, n_trials=30, n_workers=2)
    config["cache"] = {"enabled": False}
    result = run_optimizer(config_from_dict(config))
    with (result.run_dir / "trials.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    computed = [r for r in rows if r["cache_source"] == "computed"]
    assert len(computed) > 1
    assert all(r["n_trades"] != "" for r in rows if r["state"] == "COMPLETE")
    for row in computed:
        assert (result.run_dir / "trials" / f"trial_{int(row['number']):04d}.json").exists()
    workers = {os.path.basename(r["backtest_path"]) for r in computed}
    assert len(workers) == len(computed)


def test_a_running_trial_shows_its_params_to_other_readers_during_its_backtest(
    tmp_path: Path,
) -> None:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from optuna.trial import TrialState

    config = slow_config(tmp_path, 1.0)
    args = ["optimize", str(config), "--trials", "3", "--out", "o", "--study", "v", "-q"]
    proc = subprocess.Popen([*GENESIS, *args], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    journal = tmp_path / "o" / "v" / "study.journal"
    seen: list[dict[str, object]] = []
    deadline = time.monotonic() + 120
    try:
        while not seen and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
            if not journal.exists():
                continue
            try:  # a stock reader, as optuna-dashboard is
                storage = JournalStorage(JournalFileBackend(str(journal)))
                reader = optuna.load_study(study_name="v", storage=storage)
            except KeyError:  # the study is not created yet
                continue
            running = reader.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            seen = [dict(t.params) for t in running if t.params]
    finally:
        proc.wait(timeout=120)
    assert seen, "no running trial showed its params"
    assert set(seen[0]) == {"fast", "slow"}  # every param, while its backtest sleeps
