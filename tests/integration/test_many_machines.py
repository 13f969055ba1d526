"""Faults injected for real: a PostgreSQL restart and stop, a second host that is killed,
single flight across hosts.

A restart needs a server of the test's own (``pg_server.PrivateServer``); the two-host
tests use the shared one at ``GENESIS_TEST_POSTGRES_URL``, each in a study of its own. A
second host is a process with its own hostname (``unshare --uts``, which needs root, as CI
has).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
import sqlalchemy as sa
from pg_server import PrivateServer, start_private_server
from slow_strategy import slow_config as shared_slow_config

pytestmark = pytest.mark.slow

GENESIS = [sys.executable, "-m", "genesis"]


def slow_config(tmp_path: Path, sleep_s: float, *, space: str = "", extra: str = "") -> Path:
    """A slow config with fast heartbeats (1 s interval, 3 s grace), ``extra`` appended."""
    beats = "heartbeat_interval_s: 1, heartbeat_grace_s: 3" + extra
    return shared_slow_config(tmp_path, sleep_s, space=space, optimizer=beats)


def states(url: str, study: str) -> Counter[str]:
    """The study's trials by state, read with plain SQL (cheap enough to poll)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT t.state FROM trials t JOIN studies s USING (study_id) "
                    "WHERE s.study_name = :s"
                ),
                {"s": study},
            ).all()
    except sa.exc.SQLAlchemyError:
        return Counter()
    finally:
        engine.dispose()
    return Counter(str(r[0]).split(".")[-1] for r in rows)


def wait_for(condition: object, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def load(url: str, study: str) -> optuna.Study:
    driver_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return optuna.load_study(study_name=study, storage=driver_url)


def counted(trials: list[optuna.trial.FrozenTrial]) -> list[optuna.trial.FrozenTrial]:
    """The trials a budget counts: not those replaced by a queued copy."""
    replaced = set()
    for t in trials:
        history = t.system_attrs.get("retry_history")
        if history:
            replaced.add(history[-1])
        if "retry_of" in t.user_attrs:
            replaced.add(t.user_attrs["retry_of"])
    return [t for t in trials if t.number not in replaced]


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivateServer]:
    server = start_private_server()
    yield server
    server.destroy()


def test_a_database_restart_and_a_stop_are_survived(
    tmp_path: Path, private_pg: PrivateServer
) -> None:
    config = slow_config(tmp_path, 0.1)
    study = f"restart_{uuid.uuid4().hex[:6]}"
    args = ["optimize", str(config), "--storage", private_pg.url, "--study", study,
            "--trials", "50", "--workers", "2", "--out", "o", "-q"]  # fmt: skip
    proc = subprocess.Popen([*GENESIS, *args], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: states(private_pg.url, study)["COMPLETE"] >= 8)
    private_pg.restart()
    wait_for(lambda: states(private_pg.url, study)["COMPLETE"] >= 20)
    private_pg.stop()
    time.sleep(4)
    private_pg.start()
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    lost = [line for line in stderr.splitlines() if "[Storage] lost the database" in line]
    assert 1 <= len(lost) <= 4, stderr  # one line per outage and process (2 outages, 2 processes)
    assert states(private_pg.url, study) == Counter({"COMPLETE": 50})
    rows = (tmp_path / "o" / study / "trials.csv").read_text().splitlines()
    assert len(rows) == 51


def test_an_outage_past_the_limit_stops_in_one_line_and_resume_loses_nothing(
    tmp_path: Path, private_pg: PrivateServer
) -> None:
    config = slow_config(tmp_path, 0.1, extra=", storage_retry_s: 2")
    study = f"limit_{uuid.uuid4().hex[:6]}"
    args = ["optimize", str(config), "--storage", private_pg.url, "--study", study,
            "--trials", "30", "--out", "o", "-q"]  # fmt: skip
    proc = subprocess.Popen([*GENESIS, *args], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: states(private_pg.url, study)["COMPLETE"] >= 5)
    private_pg.stop()
    try:
        _, stderr = proc.communicate(timeout=120)
    finally:
        private_pg.start()
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "unreachable for 2s" in errors[0], stderr
    assert len(stderr.strip().splitlines()) <= 3, stderr  # lost, gave up: no wall of text
    before = {t.number: t.values for t in load(private_pg.url, study).get_trials()
              if t.state.name == "COMPLETE"}  # fmt: skip
    files = list((tmp_path / "o" / study / "trials").glob("trial_*.json"))
    assert len(files) >= len(before) > 0, "the trial files of the backtests that ran are written"
    resumed = subprocess.run([*GENESIS, *args, "--resume"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    trials = load(private_pg.url, study).get_trials()
    after = {t.number: t.values for t in trials if t.state.name == "COMPLETE"}
    assert all(after[n] == v for n, v in before.items()), "a finished trial was lost"
    assert not [t for t in trials if t.state.name in ("RUNNING", "WAITING")]
    assert len([t for t in counted(trials) if t.state.is_finished()]) == 30


needs_unshare = pytest.mark.skipif(  # never in CI: there a missing unshare fails the test
    not os.environ.get("CI") and (shutil.which("unshare") is None or os.geteuid() != 0),
    reason="a second host needs unshare --uts, which needs root (CI runs as root)",
)


def on_host(host: str, args: list[str]) -> list[str]:
    """``args`` run as a process whose hostname is ``host``."""
    command = " ".join(f"'{a}'" for a in [*GENESIS, *args])
    return ["unshare", "--uts", "--fork", "sh", "-c", f"hostname {host} && exec {command}"]


@needs_unshare
def test_a_killed_host_s_trial_is_failed_in_bounded_time_and_run_again(
    tmp_path: Path, postgres_url: str
) -> None:
    freed_after_s = _kill_a_host_mid_trial(tmp_path, postgres_url)
    assert freed_after_s < 1 + 3 + 1 + 5, "heartbeat interval + grace (+ a poll and slack)"


@needs_unshare
def test_a_killed_host_s_trial_is_run_again_on_a_loaded_machine(
    tmp_path: Path, postgres_url: str
) -> None:
    """The survivor waits for the freed trial however slow the machine: every core busy."""
    busy = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(2 * (os.cpu_count() or 1))
    ]
    try:
        _kill_a_host_mid_trial(tmp_path, postgres_url)
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()


def _kill_a_host_mid_trial(tmp_path: Path, postgres_url: str) -> float:
    """Kill host B mid-trial; host A ends with exactly the budget. Returns when B's trial
    was freed, in seconds after the kill."""
    config = slow_config(tmp_path, 0.4)
    study = f"hosts_{uuid.uuid4().hex[:6]}"
    common = ["--storage", postgres_url, "--study", study, "--trials", "16", "-q"]
    host_a = subprocess.Popen([*GENESIS, "optimize", str(config), *common, "--out", "a"],
                              cwd=tmp_path, stderr=subprocess.PIPE, text=True)  # fmt: skip
    host_b = subprocess.Popen(
        on_host("hostB", ["worker", str(config), *common, "--index", "1", "--out", "b"]),
        cwd=tmp_path, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        victim = _stop_mid_trial(host_b, postgres_url, study)
        os.killpg(host_b.pid, signal.SIGKILL)  # mid-trial, the whole "machine"
        killed_at = time.monotonic()
        host_b.wait(timeout=30)
        wait_for(lambda: load(postgres_url, study).trials[victim[0]].state.name == "FAIL", 60)
        freed_after_s = time.monotonic() - killed_at
        _, stderr = host_a.communicate(timeout=300)
    finally:
        for proc in (host_a, host_b):
            if proc.poll() is None:
                proc.kill()
    assert host_a.returncode == 0, stderr
    trials = load(postgres_url, study).get_trials()
    assert not [t for t in trials if t.state.name in ("RUNNING", "WAITING")]
    assert len([t for t in counted(trials) if t.state.is_finished()]) == 16
    rerun = [t for t in trials if t.system_attrs.get("retry_history") == [victim[0]]]
    assert len(rerun) == 1 and rerun[0].state.name == "COMPLETE"
    # the copy keeps every param the victim had suggested; the rest are sampled anew
    assert trials[victim[0]].params.items() <= rerun[0].params.items()
    optuna.delete_study(study_name=study, storage=postgres_url)
    return freed_after_s


def _stop_mid_trial(host: subprocess.Popen[str], url: str, study: str) -> list[int]:
    """Freeze host B (SIGSTOP) while it runs a trial; returns that trial's number.

    Frozen, B cannot finish the trial between this look and the kill (on a loaded
    machine it often did: the test then had no victim).
    """
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        wait_for(lambda: _running_on(url, study, "hostB"))
        os.killpg(host.pid, signal.SIGSTOP)
        victim = _running_on(url, study, "hostB")
        if victim:
            return victim
        os.killpg(host.pid, signal.SIGCONT)  # between two trials: look again
    raise AssertionError("host B never ran a trial")


def _running_on(url: str, study: str, host: str) -> list[int]:
    try:
        trials = load(url, study).get_trials(states=(optuna.trial.TrialState.RUNNING,))
    except KeyError:
        return []
    return [t.number for t in trials if (t.user_attrs.get("worker") or {}).get("host") == host]


@needs_unshare
def test_two_hosts_with_four_workers_backtest_each_key_exactly_once(
    tmp_path: Path, postgres_url: str
) -> None:
    space = (
        "  fast: {type: int, low: 5, high: 20, step: 5}\n"
        "  slow: {type: int, low: 50, high: 150, step: 50}\n"
    )  # 12 points
    config = slow_config(tmp_path, 0.3, space=space, extra=", sampler: random")
    text = config.read_text() + f"cache: {{location: '{postgres_url}'}}\n"
    config.write_text(text.replace("3:2000", f"{uuid.uuid4().int % 10_000}:2000"))  # fresh keys
    study = f"flight_{uuid.uuid4().hex[:6]}"
    common = ["--storage", postgres_url, "--study", study, "--trials", "40", "--workers", "2", "-q"]
    host_a = subprocess.Popen([*GENESIS, "optimize", str(config), *common, "--out", "a"],
                              cwd=tmp_path, stderr=subprocess.PIPE, text=True)  # fmt: skip
    host_b = subprocess.run(
        on_host("hostB", ["worker", str(config), *common, "--index", "2", "--out", "b"]),
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    _, stderr = host_a.communicate(timeout=300)
    assert host_a.returncode == 0, stderr
    assert host_b.returncode == 0, host_b.stderr
    trials = load(postgres_url, study).get_trials()
    computed = [
        t.user_attrs["key"] for t in trials if t.user_attrs.get("cache_source") == "computed"
    ]
    assert len(computed) == 12 == len(set(computed)), Counter(computed).most_common(3)
    hosts = {(t.user_attrs.get("worker") or {}).get("host") for t in trials}
    assert "hostB" in hosts and len(hosts) == 2
    optuna.delete_study(study_name=study, storage=postgres_url)
