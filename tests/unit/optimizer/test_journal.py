"""The journal lock: threads, Optuna's own writers, and writers killed with SIGKILL.

Real processes throughout: a lock is only as good as its behaviour across them.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import stat
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock
from optuna.trial import TrialState

from genesis.storage.journal import SYMLINK_SUFFIX, GenesisJournalBackend, JournalLock
from genesis.storage.storage import JOURNAL_NAME, open_storage

optuna.logging.set_verbosity(optuna.logging.WARNING)

_FORK = multiprocessing.get_context("fork")  # children start at once, with genesis imported


def _hold_genesis_lock(journal: str, seconds: float, held: Event) -> None:
    lock = JournalLock(journal)
    lock.acquire()
    held.set()
    time.sleep(seconds)
    lock.release()


def _hold_stock_lock(journal: str, seconds: float, held: Event) -> None:
    lock = JournalFileSymlinkLock(journal)
    lock.acquire()
    held.set()
    time.sleep(seconds)
    lock.release()


def _run_trials(run_dir: Path, told_file: Path) -> None:
    """Trials as fast as they go; each trial's number goes to ``told_file`` once told."""
    study = optuna.create_study(
        storage=open_storage(None, run_dir), study_name="k", load_if_exists=True
    )
    fd = os.open(told_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    def objective(trial: optuna.Trial) -> float:
        for name in "abcdef":
            trial.suggest_float(name, 0, 1)
        trial.set_user_attr("key", "k" * 64)
        return trial.params["a"]

    def told(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        os.write(fd, f"{trial.number}\n".encode())

    study.optimize(objective, n_trials=100_000, callbacks=[told])


def _hold(target: Callable[[str, float, Event], None], journal: Path, seconds: float) -> Any:
    held = _FORK.Event()
    process = _FORK.Process(target=target, args=(str(journal), seconds, held))
    process.start()
    assert held.wait(timeout=30)
    return process


def _start_trials(run_dir: Path, told_file: Path, *, first: int = 1) -> Any:
    process = _FORK.Process(target=_run_trials, args=(run_dir, told_file))
    process.start()
    deadline = time.monotonic() + 30
    while len(_told(told_file)) < first and time.monotonic() < deadline:
        time.sleep(0.01)
    return process


def _told(told_file: Path) -> set[int]:
    return {int(n) for n in told_file.read_text().split()} if told_file.exists() else set()


def _records(journal: Path) -> int:
    return len(list(JournalFileBackend(str(journal)).read_logs(0)))


def test_eight_threads_append_through_one_backend(tmp_path: Path) -> None:
    backend = GenesisJournalBackend(str(tmp_path / JOURNAL_NAME))
    with ThreadPoolExecutor(8) as pool:
        done = pool.map(backend.append_logs, [[{"op_code": 8, "n": i}] for i in range(400)])
        list(done)  # re-raises a failed append
    records = list(backend.read_logs(0))
    assert sorted(r["n"] for r in records) == list(range(400))


def test_a_study_with_eight_threads_on_one_storage(tmp_path: Path) -> None:
    study = optuna.create_study(storage=open_storage(None, tmp_path), study_name="t")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=40, n_jobs=8)
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 40


def _append_one(backend: GenesisJournalBackend, n: int) -> None:
    backend.append_logs([{"op_code": 8, "n": n}])


def test_processes_forked_with_one_backend_exclude_each_other(tmp_path: Path) -> None:
    backend = GenesisJournalBackend(str(tmp_path / JOURNAL_NAME))
    backend.append_logs([{"op_code": 8, "n": -1}])  # the parent's flock descriptor exists
    with ProcessPoolExecutor(6) as pool:
        list(pool.map(_append_one, [backend] * 120, range(120)))
    assert sorted(r["n"] for r in backend.read_logs(0)) == list(range(-1, 120))


def test_a_stock_writer_waits_for_genesis_and_genesis_for_a_stock_writer(tmp_path: Path) -> None:
    journal = tmp_path / JOURNAL_NAME
    backend = GenesisJournalBackend(str(journal))
    holder = _hold(_hold_genesis_lock, journal, 0.6)
    started = time.monotonic()
    stock = JournalFileSymlinkLock(str(journal))
    stock.acquire()  # Optuna's own lock, as JournalFileBackend takes it
    waited = time.monotonic() - started
    stock.release()
    holder.join(timeout=10)
    assert 0.3 < waited < 5, f"the stock lock must wait for genesis's holder ({waited:.2f}s)"

    holder = _hold(_hold_stock_lock, journal, 0.6)
    started = time.monotonic()
    backend.append_logs([{"op_code": 8, "n": 0}])
    waited = time.monotonic() - started
    holder.join(timeout=10)
    assert 0.3 < waited < 5, f"genesis must wait for the stock holder ({waited:.2f}s)"


def test_a_stock_writer_on_a_live_genesis_journal_is_served_within_a_second(
    tmp_path: Path,
) -> None:
    runner = _start_trials(tmp_path, tmp_path / "told", first=5)  # genesis is writing now
    try:
        stock = optuna.load_study(
            storage=JournalStorage(JournalFileBackend(str(tmp_path / JOURNAL_NAME))),
            study_name="k",
        )
        slowest = 0.0
        for i in range(10):
            started = time.monotonic()
            stock.enqueue_trial({"a": i / 10})  # what a dashboard note or `optuna ask` does
            slowest = max(slowest, time.monotonic() - started)
        assert runner.is_alive(), "the genesis writer is still running"
    finally:
        runner.kill()
        runner.join()
    assert slowest < 1.0, f"a stock write waited {slowest:.2f}s"
    study = optuna.load_study(storage=open_storage(None, tmp_path), study_name="k")
    enqueued = [t for t in study.get_trials() if t.system_attrs.get("fixed_params")]
    assert len(enqueued) == 10


def test_a_genesis_lock_holder_killed_frees_others_at_once(tmp_path: Path) -> None:
    journal = tmp_path / JOURNAL_NAME
    backend = GenesisJournalBackend(str(journal))
    holder = _hold(_hold_genesis_lock, journal, 60)
    assert os.path.islink(str(journal) + ".lock"), "Optuna's lock file is held"
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()
    started = time.monotonic()
    backend.append_logs([{"op_code": 8, "n": 1}])
    assert time.monotonic() - started < 5, "not Optuna's 30 s grace period"
    assert not os.path.lexists(str(journal) + ".lock")
    JournalFileBackend(str(journal)).append_logs([{"op_code": 8, "n": 2}])  # a stock writer
    assert _records(journal) == 2


@pytest.mark.slow
def test_sigkill_at_any_moment_loses_no_completed_trial(tmp_path: Path) -> None:
    rng = random.Random(8)
    told: set[int] = set()
    for _ in range(20):
        runner = _start_trials(tmp_path, tmp_path / "told", first=len(told) + 1)
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(runner.pid, signal.SIGKILL)
        runner.join()
        told = _told(tmp_path / "told")
    study = optuna.load_study(storage=open_storage(None, tmp_path), study_name="k")
    complete = {t.number for t in study.get_trials(states=(TrialState.COMPLETE,))}
    assert told and told <= complete
    assert all(len(t.params) == 6 for t in study.get_trials() if t.number in complete)


def test_a_pickled_lock_is_a_fresh_lock(tmp_path: Path) -> None:
    import pickle

    lock = JournalLock(str(tmp_path / JOURNAL_NAME))
    lock.acquire()
    lock.release()
    copy = pickle.loads(pickle.dumps(lock))
    assert copy.acquire() and not copy.release()


def test_a_torn_record_longer_than_the_first_look_is_cut_whole(tmp_path: Path) -> None:
    journal = tmp_path / JOURNAL_NAME
    backend = GenesisJournalBackend(str(journal))
    backend.append_logs([{"op_code": 8, "n": i, "pad": "x" * 1000} for i in range(100)])
    size = journal.stat().st_size
    with journal.open("ab") as handle:
        handle.write(b'{"op_code":8,"pad":"' + b"y" * 100_000)  # killed mid-write
    GenesisJournalBackend(str(journal))
    assert journal.stat().st_size == size
    assert _records(journal) == 100


def test_each_hold_links_one_symlink_instead_of_making_a_new_inode(tmp_path: Path) -> None:
    journal = tmp_path / JOURNAL_NAME
    journal.touch()
    lock_path, symlink = f"{journal}.lock", f"{journal}{SYMLINK_SUFFIX}"
    lock = JournalLock(str(journal))
    inodes = set()
    for _ in range(3):
        lock.acquire()
        held = os.lstat(lock_path)
        assert stat.S_ISLNK(held.st_mode) and os.readlink(lock_path) == "././" + JOURNAL_NAME
        assert os.path.samefile(lock_path, journal)  # what Optuna's waiting writers stat
        inodes.add(held.st_ino)
        lock.release()
        assert not os.path.lexists(lock_path)
    assert inodes == {os.lstat(symlink).st_ino}


def test_without_hard_links_each_hold_makes_a_symlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # as on file systems without them

    monkeypatch.setattr(os, "link", no_links)
    journal = tmp_path / JOURNAL_NAME
    journal.touch()
    lock = JournalLock(str(journal))
    for _ in range(2):
        lock.acquire()
        assert os.readlink(f"{journal}.lock") == "././" + JOURNAL_NAME
        lock.release()
        assert not os.path.lexists(f"{journal}.lock")


def _fork_idle_child_then_hold(journal: str, held: Event, child_pid: Any) -> None:
    """Use the backend, fork a child that idles, then take the lock and hold it."""
    backend = GenesisJournalBackend(journal)
    backend.append_logs([{"op_code": 8, "n": 0}])  # this process's flock descriptor exists
    pid = os.fork()
    if pid == 0:  # a forked helper that outlives its parent
        time.sleep(30)
        os._exit(0)
    child_pid.value = pid
    backend._lock.acquire()
    held.set()
    time.sleep(60)


def test_a_holder_killed_frees_others_at_once_even_if_it_forked_a_child(tmp_path: Path) -> None:
    journal = tmp_path / JOURNAL_NAME
    held, child_pid = _FORK.Event(), _FORK.Value("i", 0)
    holder = _FORK.Process(target=_fork_idle_child_then_hold, args=(str(journal), held, child_pid))
    holder.start()
    assert held.wait(timeout=30)
    try:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join()
        with ProcessPoolExecutor(1, mp_context=_FORK) as pool:  # a writer that may hang
            appended = pool.submit(_append_one, GenesisJournalBackend(str(journal)), 1)
            appended.result(timeout=5)  # the child must not keep the dead holder's flock
    finally:
        os.kill(child_pid.value, signal.SIGKILL)
    assert _records(journal) == 2


def test_a_child_forked_while_a_thread_holds_the_lock_can_write(tmp_path: Path) -> None:
    backend = GenesisJournalBackend(str(tmp_path / JOURNAL_NAME))
    backend.append_logs([{"op_code": 8, "n": 0}])
    backend._lock.acquire()  # as another thread of this process holds it at the fork
    try:
        pid = os.fork()
        if pid == 0:  # never returns into pytest
            code = 1
            try:
                signal.alarm(10)  # a child that deadlocks dies of SIGALRM
                backend.append_logs([{"op_code": 8, "n": 1}])
                code = 0
            finally:
                os._exit(code)
        time.sleep(0.2)
    finally:
        backend._lock.release()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child inherited a held thread lock"
    assert _records(tmp_path / JOURNAL_NAME) == 2


def test_a_holder_whose_lock_a_stock_writer_broke_leaves_the_stock_lock_alone(
    tmp_path: Path,
) -> None:
    journal = tmp_path / JOURNAL_NAME
    journal.touch()
    lock = JournalLock(str(journal))
    lock.acquire()
    os.unlink(f"{journal}.lock")  # a stock writer broke it after its grace period...
    os.symlink(str(journal), f"{journal}.lock")  # ...and holds its own now
    lock.release()
    assert os.readlink(f"{journal}.lock") == str(journal), "the stock writer's lock was removed"
