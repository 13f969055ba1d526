"""Owners of running trials: liveness by host, pid and start time; sweeping by owner."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import optuna
from optuna.trial import TrialState

from genesis.optimizer.loop import WORKER_ATTR, sweep_orphans
from genesis.optimizer.runner import _WorkerWatch
from genesis.storage.owner import Owner
from genesis.storage.storage import open_storage

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _dead_owner() -> Owner:
    gone = subprocess.Popen(["true"])
    gone.wait()
    return Owner(Owner.current().host, gone.pid)


def test_liveness_needs_the_same_pid_and_start_time() -> None:
    me = Owner.current()
    assert me.alive()
    assert me.start_ticks is not None
    assert not Owner(me.host, me.pid, me.start_ticks + 1).alive(), "a reused pid is not alive"
    assert not _dead_owner().alive()
    assert Owner("another-host", 1).alive(), "other hosts cannot be judged from here"
    assert Owner.from_attr(me.as_attr()) == me
    assert Owner.from_attr("nonsense") is None and Owner.from_attr(None) is None


def _running_trial(study: optuna.Study, storage: object, owner: Owner | None) -> int:
    trial = study.ask()
    if owner is not None:
        trial.set_user_attr(WORKER_ATTR, owner.as_attr())
    trial.suggest_int("x", 0, 9)
    return trial.number


def test_sweep_frees_only_trials_of_dead_owners(tmp_path: Path) -> None:
    storage = open_storage(None, tmp_path)
    study = optuna.create_study(storage=storage, study_name="s")
    live = subprocess.Popen(["sleep", "30"])
    try:
        alive = _running_trial(study, storage, Owner(Owner.current().host, live.pid))
        dead = _running_trial(study, storage, _dead_owner())
        unknown = _running_trial(study, storage, None)
        assert sweep_orphans(study, unknown_are_orphans=False) == 1
        states = {t.number: t.state for t in study.get_trials()}
        assert states[dead] == TrialState.FAIL
        assert states[alive] == states[unknown] == TrialState.RUNNING
        assert sweep_orphans(study, unknown_are_orphans=True) == 1
        assert study.get_trials()[unknown].state == TrialState.FAIL
        assert study.get_trials()[alive].state == TrialState.RUNNING
    finally:
        live.kill()


def test_after_its_loop_a_process_frees_a_trial_it_created_and_never_ran(tmp_path: Path) -> None:
    storage = open_storage(None, tmp_path)
    study = optuna.create_study(storage=storage, study_name="s")
    mine = _running_trial(study, storage, Owner.current())  # Ctrl-C came right after ask
    assert sweep_orphans(study, unknown_are_orphans=True) == 0  # its owner is alive: us
    assert sweep_orphans(study, unknown_are_orphans=True, mine_are_orphans=True) == 1
    assert study.get_trials()[mine].state == TrialState.FAIL


def test_the_main_process_frees_a_dead_workers_trial_at_once(tmp_path: Path) -> None:
    @dataclass
    class FakeProcess:
        name: str
        exitcode: int | None

    storage = open_storage(None, tmp_path)
    study = optuna.create_study(storage=storage, study_name="w")
    orphan = _running_trial(study, storage, _dead_owner())
    worker = FakeProcess("genesis-worker-1", None)
    watch = _WorkerWatch([worker], study)  # type: ignore[list-item]
    watch()
    assert study.get_trials()[orphan].state == TrialState.RUNNING, "the worker still runs"
    worker.exitcode = -9
    watch()
    assert study.get_trials()[orphan].state == TrialState.FAIL
    again = study.ask()  # takes the re-queued params first
    assert again.suggest_int("x", 0, 9) == study.get_trials()[orphan].params["x"]


def test_a_claim_whose_pid_was_reused_is_taken_over(tmp_path: Path) -> None:
    import sqlite3
    import time

    from genesis.storage.claims import DedupGuard

    guard = DedupGuard(tmp_path / "_dedup.db")
    live = subprocess.Popen(["sleep", "30"])
    try:
        me = Owner.current()
        with sqlite3.connect(guard.path) as db:  # the pid lives, but it is not the holder
            db.execute(
                "INSERT INTO claims VALUES ('k', ?, ?, 1, ?, ?)",
                (me.host, live.pid, time.time(), 1),
            )
        assert guard.claim("k", 2) is None
        holder = guard.holder("k")
        assert holder is not None and holder.pid == me.pid
    finally:
        live.kill()
