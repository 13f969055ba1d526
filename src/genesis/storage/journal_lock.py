"""The journal's lock: Optuna's own ``<journal>.lock`` protocol, freed at once when its
holder is killed.

:class:`JournalLock` takes Optuna's lock (a symlink, as ``JournalFileSymlinkLock`` makes;
Optuna's ``JournalFileOpenLock`` file excludes it too) while holding an ``fcntl.flock`` on
``<journal>.genesis-lock``. The flock orders genesis writers among themselves and is freed
by the kernel when its holder dies. genesis's symlink points to the journal as
``././<name>``, a form no stock writer uses: a genesis writer that holds the flock and
finds such a symlink knows its maker died holding it and removes it at once, not after
Optuna's 30 s grace period. A stock Optuna writer sees an ordinary symlink lock, held for
microseconds; one it left behind is broken after the same grace period Optuna uses. One
lock object serves any number of threads.

The symlink is made once, as ``<journal>.genesis-symlink``; each hold creates
``<journal>.lock`` as a hard link to it (``link`` fails if the name exists, as ``symlink``
does). A new symlink per hold allocated an inode and freed it again, and ext4 scans the
inodes it freed recently before it reuses one: with thousands of holds a minute each
``symlink`` took 0.5 ms and most of a trial's time went to the kernel. Where hard links
are not supported a symlink is made per hold.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from typing import Any

from genesis.storage import log
from genesis.storage._optuna_private import LOCK_FILE_SUFFIX, BaseJournalFileLock
from genesis.storage.forks import ProcessFd, forget_in_forked_children

FLOCK_SUFFIX = ".genesis-lock"
SYMLINK_SUFFIX = ".genesis-symlink"
GRACE_PERIOD_S = 30.0
"""Optuna's grace period: a lock of another writer this old is taken for abandoned."""
_POLL_MAX_S = 0.005


class JournalLock(BaseJournalFileLock):
    """Optuna's ``<journal>.lock`` symlink lock, taken under a flock that a kill frees.

    Thread-safe: a thread lock serializes this process's threads around the flock.
    Picklable (a copy is a fresh, unheld lock).
    """

    def __init__(self, journal_path: str, grace_period_s: float = GRACE_PERIOD_S) -> None:
        self._journal = journal_path
        self._lock_path = journal_path + LOCK_FILE_SUFFIX
        self._flock_path = journal_path + FLOCK_SUFFIX
        self._symlink_path = journal_path + SYMLINK_SUFFIX
        self._hard_links = True
        # Resolves to the journal (Optuna's waiting writers stat it) in a form no stock
        # writer uses: a flock holder that finds it knows its maker died holding it.
        self._target = "././" + os.path.basename(journal_path)
        self._grace_s = grace_period_s
        self._thread_lock = threading.Lock()
        self._flock = ProcessFd(self._flock_path, os.O_RDWR | os.O_CREAT)
        forget_in_forked_children(self)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_thread_lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._thread_lock = threading.Lock()
        forget_in_forked_children(self)

    def forget_parent(self) -> None:
        """In a forked child: a fresh thread lock (another thread may have held this one)."""
        self._thread_lock = threading.Lock()

    def acquire(self) -> bool:
        """Block until this process holds the journal (the flock, then the symlink)."""
        self._thread_lock.acquire()
        try:
            fd = self._flock.get()  # opened once per process (O_CREAT takes the dir's lock)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                self._take_symlink()
            except BaseException:
                fcntl.flock(fd, fcntl.LOCK_UN)
                raise
        except BaseException:
            self._thread_lock.release()
            raise
        return True

    def release(self) -> None:
        """Remove the symlink and let the next writer in (unlock the flock).

        A holder stalled past Optuna's grace period (a stopped process) may find its lock
        broken by a stock writer, and that writer's own lock in its place: that one is
        left alone.
        """
        try:
            try:
                ours = os.readlink(self._lock_path) == self._target
            except OSError:  # gone, or an open-lock file: not ours
                ours = False
            if ours:
                os.unlink(self._lock_path)
            else:  # a stock writer broke it after its grace period
                log.logger.warning("[Storage] journal lock %s was removed by another writer",
                                   self._lock_path)  # fmt: skip
            fcntl.flock(self._flock.get(), fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def _take_symlink(self) -> None:
        """Create ``<journal>.lock``; wait while a stock Optuna writer holds it."""
        seen: tuple[int, int] | None = None
        seen_at = time.monotonic()
        sleep_s = 0.0005
        while True:
            try:
                self._make_lock()
                return
            except FileExistsError:
                pass
            try:
                ours = os.readlink(self._lock_path) == self._target
            except FileNotFoundError:
                continue  # released between our two calls
            except OSError:  # not a symlink: Optuna's JournalFileOpenLock file
                ours = False
            if ours:  # made by a genesis writer that died holding it: we hold the flock now
                _remove(self._lock_path)
                continue
            held = _identity(self._lock_path)
            if held != seen:
                seen, seen_at = held, time.monotonic()
            if (
                time.monotonic() - seen_at > self._grace_s
                or _age_s(self._lock_path) > self._grace_s
            ):
                log.logger.warning("[Storage] breaking journal lock %s, held for over %.0fs",
                                   self._lock_path, self._grace_s)  # fmt: skip
                _remove(self._lock_path)
                continue
            time.sleep(sleep_s)
            sleep_s = min(2 * sleep_s, _POLL_MAX_S)

    def _make_lock(self) -> None:
        """Create ``<journal>.lock`` (FileExistsError if it exists): a hard link to our symlink."""
        if not self._hard_links:
            os.symlink(self._target, self._lock_path)
            return
        try:
            os.link(self._symlink_path, self._lock_path, follow_symlinks=False)
        except FileNotFoundError:  # the first hold: make the symlink every hold links to
            with contextlib.suppress(FileExistsError):
                os.symlink(self._target, self._symlink_path)
            os.link(self._symlink_path, self._lock_path, follow_symlinks=False)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (EPERM, ENOTSUP, EMLINK): a symlink per hold
            self._hard_links = False
            os.symlink(self._target, self._lock_path)


def _identity(path: str) -> tuple[int, int] | None:
    """(inode, ctime) of the lock file itself, or ``None`` if it is gone."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_ctime_ns


def _age_s(path: str) -> float:
    try:
        return time.time() - os.lstat(path).st_mtime
    except FileNotFoundError:
        return 0.0


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


__all__ = ["FLOCK_SUFFIX", "GRACE_PERIOD_S", "SYMLINK_SUFFIX", "JournalLock"]
