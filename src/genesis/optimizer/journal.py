"""genesis's local study storage: Optuna's journal file, with a lock that survives kills.

The file is an ordinary Optuna journal (``optuna-dashboard`` and ``JournalFileBackend``
read and write it). Every operation is appended at once, as Optuna's own backend does:
a RUNNING trial's params and attributes are visible to every reader as soon as they are
set, and Optuna's checks (a param whose distribution changed) fail the call that made
them. Three things differ from Optuna's backend:

* **The lock** (:class:`JournalLock`) is Optuna's own protocol on ``<journal>.lock`` (a
  symlink, as ``JournalFileSymlinkLock`` makes; Optuna's ``JournalFileOpenLock`` file
  excludes it too), taken while holding an ``fcntl.flock`` on ``<journal>.genesis-lock``.
  The flock orders genesis writers among themselves and is freed by the kernel when its
  holder dies. genesis's symlink points to the journal as ``././<name>``, a form no stock
  writer uses: a genesis writer that holds the flock and finds such a symlink knows its
  maker died holding it and removes it at once, not after Optuna's 30 s grace period.
  A stock Optuna writer sees an ordinary symlink lock, held for microseconds; one it
  left behind is broken after the same grace period Optuna uses. One lock object serves
  any number of threads.
* **Durability**: only the records that create a study or a trial or change a trial's
  state are fsynced (the file is append-only, so that fsync also makes every earlier
  record durable). Params and attributes reach the page cache, which a killed process
  cannot lose; only a power cut between two state changes can drop them. Optuna fsyncs
  every record: 11 params and 6 attributes a trial are 17 fsyncs instead of 2.
* **Damage**: a torn last line (half a record from a killed writer) is cut under the
  lock before the next append; any other line that is not a journal record is a
  :class:`~genesis.errors.StorageError` naming the file and line, and the file is left
  as it is.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Generator
from typing import Any

from optuna.storages.journal import JournalFileBackend
from optuna.storages.journal._file import LOCK_FILE_SUFFIX, BaseJournalFileLock, get_lock_file

from genesis.errors import StorageError
from genesis.optimizer import log

FLOCK_SUFFIX = ".genesis-lock"
GRACE_PERIOD_S = 30.0
"""Optuna's grace period: a lock of another writer this old is taken for abandoned."""
_POLL_MAX_S = 0.005
_MAX_LINE = 1 << 20
_NOT_DURABLE_OPS = frozenset({5, 7, 8, 9})
"""SET_TRIAL_PARAM, SET_TRIAL_INTERMEDIATE_VALUE, SET_TRIAL_USER_ATTR, SET_TRIAL_SYSTEM_ATTR."""
_RECORD_START = b'{"op_code":'
"""How every journal record begins (Optuna's and genesis's writers dump ``op_code`` first)."""


class JournalLock(BaseJournalFileLock):
    """Optuna's ``<journal>.lock`` symlink lock, taken under a flock that a kill frees.

    Thread-safe: a thread lock serializes this process's threads around the flock.
    Picklable (a copy is a fresh, unheld lock).
    """

    def __init__(self, journal_path: str, grace_period_s: float = GRACE_PERIOD_S) -> None:
        self._journal = journal_path
        self._lock_path = journal_path + LOCK_FILE_SUFFIX
        self._flock_path = journal_path + FLOCK_SUFFIX
        # Resolves to the journal (Optuna's waiting writers stat it) in a form no stock
        # writer uses: a flock holder that finds it knows its maker died holding it.
        self._target = "././" + os.path.basename(journal_path)
        self._grace_s = grace_period_s
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_thread_lock=None, _fd=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._thread_lock = threading.Lock()

    def acquire(self) -> bool:
        """Block until this process holds the journal (the flock, then the symlink)."""
        self._thread_lock.acquire()
        try:
            # A descriptor per hold: a flock belongs to an open file description, which a
            # forked child would share, and none stays open between appends.
            fd = os.open(self._flock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._take_symlink()
            except BaseException:
                os.close(fd)
                raise
        except BaseException:
            self._thread_lock.release()
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        """Remove the symlink and let the next writer in (closing the fd frees the flock)."""
        try:
            try:
                os.unlink(self._lock_path)
            except FileNotFoundError:  # a stock writer broke it after its grace period
                log.logger.warning("[Storage] journal lock %s was removed by another writer",
                                   self._lock_path)  # fmt: skip
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        finally:
            self._thread_lock.release()

    def _take_symlink(self) -> None:
        """Create ``<journal>.lock``; wait while a stock Optuna writer holds it."""
        seen: tuple[int, int] | None = None
        seen_at = time.monotonic()
        sleep_s = 0.0005
        while True:
            try:
                os.symlink(self._target, self._lock_path)
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


class GenesisJournalBackend(JournalFileBackend):
    """Optuna's journal file with :class:`JournalLock`, cheaper fsyncs and repair of torn tails.

    Raises:
        StorageError: the file holds a line that is not a journal record (names the line).
    """

    def __init__(self, file_path: str) -> None:
        super().__init__(file_path, lock_obj=JournalLock(file_path))
        self._size_after_write = -1
        # A sound tail needs no lock: a reader that never writes leaves the run dir as it is.
        if not _check_tail(file_path, repair=False):
            with get_lock_file(self._lock):
                _check_tail(file_path)

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        data = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in logs).encode()
        durable = any(r.get("op_code") not in _NOT_DURABLE_OPS for r in logs)
        with get_lock_file(self._lock):
            fd = os.open(self._file_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if os.fstat(fd).st_size != self._size_after_write:
                    _check_tail(self._file_path)  # someone else wrote since: check their tail
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if durable:
                    os.fsync(fd)
                self._size_after_write = os.fstat(fd).st_size
            finally:
                os.close(fd)

    def read_logs(self, log_number_from: int) -> Generator[dict[str, Any], None, None]:
        number = log_number_from
        try:
            for record in super().read_logs(log_number_from):
                yield record
                number += 1
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
            # Optuna raises at the line after the bad one; ``number`` is the bad one's index.
            raise _damaged(self._file_path, number + 1, error) from None


def _check_tail(path: str, *, repair: bool = True) -> bool:
    """Whether the last line is a whole record; with ``repair``, make it so or raise.

    With ``repair`` (under the lock: nobody is writing, so a line without a newline is
    torn) a torn last record of a killed writer is cut, and a last line that is no record
    raises StorageError. Without it, nothing is changed or raised.
    """
    size = os.path.getsize(path)
    if size == 0:
        return True
    with open(path, "rb+" if repair else "rb") as handle:
        for chunk in (min(size, 1 << 16), min(size, _MAX_LINE)):  # records are small
            handle.seek(size - chunk)
            tail = handle.read(chunk)
            start = tail.rfind(b"\n", 0, len(tail) - 1) + 1
            if start > 0 or chunk == size:
                break
        else:
            if not repair:
                return False
            raise _damaged(path, None, ValueError("its last line is over 1 MB long"))
        last = tail[start:]
        offset = size - chunk + start
        error: ValueError | None = None
        if last.endswith(b"\n"):
            try:
                if isinstance(json.loads(last), dict):
                    return True
            except ValueError as bad:
                error = bad
        elif repair and (last.startswith(_RECORD_START) or _RECORD_START.startswith(last)):
            handle.truncate(offset)
            return False
        if repair:
            raise _damaged(path, _line_at(path, offset), error)
        return False


def _line_at(path: str, offset: int) -> int:
    """The 1-based number of the line that starts at byte ``offset``."""
    with open(path, "rb") as handle:
        return handle.read(offset).count(b"\n") + 1


def _damaged(path: str, line: int | None, error: Exception | None) -> StorageError:
    where = f"{path}:{line}" if line is not None else path
    detail = f" ({type(error).__name__}: {error})" if isinstance(error, ValueError) else ""
    if isinstance(error, UnicodeDecodeError):
        detail = " (binary data)"
    return StorageError(
        f"not an Optuna journal record{detail}",
        where=where,
        hint="the study journal is damaged; genesis left it unchanged: restore it from a copy "
        "or start a new --study",
    )


__all__ = ["FLOCK_SUFFIX", "GenesisJournalBackend", "JournalLock"]
