"""``genesis optimize --cluster local:N`` on a real Dask LocalCluster, with SIGKILLs.

A worker killed mid-backtest loses nothing (Dask runs its task again, the trial is told
once); a coordinator killed with its workers is resumed with ``--resume``: every trial is
told, and no backtest that had finished runs again.

The strategy leaves a mark per backtest (``start_`` when it begins, ``done_`` when it
ends, with the process id), so that the tests can kill a worker in a backtest and count
the backtests that ran to the end.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

_STRATEGY = """\
import os, time, uuid
from pathlib import Path
from genesis.strategy.builtin import EmaCross
MARKS = Path({marks!r})

class Marked(EmaCross):
    name = 'marked'
    def signals(self, features, params):
        tag = f"{{params['fast']}}-{{params['slow']}}_{{os.getpid()}}_{{uuid.uuid4().hex[:8]}}"
        (MARKS / f"start_{{tag}}").touch()
        time.sleep({sleep_s})
        (MARKS / f"done_{{tag}}").touch()
        return super().signals(features, params)
"""


def _config(tmp_path: Path, sleep_s: float) -> Path:
    marks = tmp_path / "marks"
    marks.mkdir()
    (tmp_path / "marked.py").write_text(_STRATEGY.format(marks=str(marks), sleep_s=sleep_s))
    path = tmp_path / "cfg.yaml"
    path.write_text(
        "data: {source: 'synthetic:tBTCUSD:1h:3:800'}\n"
        f"strategy: {{name: '{tmp_path / 'marked.py'}:Marked'}}\n"
        "search_space:\n  fast: {type: int, low: 2, high: 40}\n"
        "  slow: {type: int, low: 50, high: 300}\n"
        "score: {objectives: [total_return_pct]}\n"
        "optimizer: {sampler: random, seed: 5}\n"
    )
    return path


def _optimize(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    """The CLI in its own session (so that the test can kill it with its workers)."""
    command = [sys.executable, "-m", "genesis", "optimize", str(tmp_path / "cfg.yaml"),
               "--cluster", "local:2", "--trials", "8", "--study", "s", "--out",
               str(tmp_path / "out"), "--no-report", "-q", *extra]  # fmt: skip
    return subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip


def _marks(tmp_path: Path, kind: str, *coordinators: int) -> list[tuple[str, int]]:
    """(params, pid) of each ``kind`` mark left by a worker (not by the coordinator, whose
    validation re-runs the best backtests after the search)."""
    found = []
    for path in (tmp_path / "marks").glob(f"{kind}_*"):
        _, tag, pid, _ = path.name.split("_")
        if int(pid) not in coordinators:
            found.append((tag, int(pid)))
    return found


def _wait_for(tmp_path: Path, kind: str, n: int, pid: int, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while len(_marks(tmp_path, kind, pid)) < n:
        assert time.monotonic() < deadline, f"fewer than {n} {kind} marks in {timeout_s}s"
        time.sleep(0.05)


def _finish(proc: subprocess.Popen[str]) -> str:
    try:
        out, _ = proc.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # workers left behind, if any
    assert proc.returncode == 0, out
    return out


def _rows(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "out" / "s" / "trials.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_a_worker_killed_mid_backtest_loses_nothing(tmp_path: Path) -> None:
    _config(tmp_path, sleep_s=1.0)
    proc = _optimize(tmp_path)
    _wait_for(tmp_path, "start", 1, proc.pid)
    tag, worker = _marks(tmp_path, "start", proc.pid)[0]
    os.kill(worker, signal.SIGKILL)  # in the middle of its 1 s backtest
    _finish(proc)

    rows = _rows(tmp_path)
    assert [r["state"] for r in rows] == ["COMPLETE"] * 8  # each trial told once, none lost
    done = Counter(t for t, _ in _marks(tmp_path, "done", proc.pid))
    assert done[tag] == 1  # run again on another worker, to the end once
    assert max(done.values()) == 1  # no backtest ran to the end twice
    assert len(done) == 8 == len(list((tmp_path / "out" / "s" / "trials").iterdir()))
    assert all(pid != worker for t, pid in _marks(tmp_path, "done", proc.pid) if t == tag)


@pytest.mark.slow
def test_a_killed_coordinator_resumes_without_losing_or_recomputing(tmp_path: Path) -> None:
    _config(tmp_path, sleep_s=0.5)
    proc = _optimize(tmp_path)
    _wait_for(tmp_path, "done", 3, proc.pid)
    os.kill(proc.pid, signal.SIGKILL)  # the coordinator, with trials in flight
    proc.wait(timeout=30)
    os.killpg(proc.pid, signal.SIGKILL)  # and its workers: the machine went down
    before = Counter(t for t, _ in _marks(tmp_path, "done", proc.pid))

    again = _optimize(tmp_path, "--resume")
    _finish(again)

    rows = _rows(tmp_path)
    complete = [r for r in rows if r["state"] == "COMPLETE"]
    assert len(complete) == 8  # the budget, exactly
    orphans = [r for r in rows if r["state"] == "FAIL"]
    assert orphans  # trials were in flight at the kill ...
    done_params = {(r["param_fast"], r["param_slow"]) for r in complete}
    assert all((r["param_fast"], r["param_slow"]) in done_params for r in orphans)  # ... none lost
    done = Counter(t for t, _ in _marks(tmp_path, "done", proc.pid, again.pid))
    assert max(done.values()) == 1  # nothing that had finished ran again
    assert set(before) <= {f"{r['param_fast']}-{r['param_slow']}" for r in complete}
