"""genesis's local study storage: Optuna's journal file, with a lock that survives kills.

The file is an ordinary Optuna journal (``optuna-dashboard`` and ``JournalFileBackend``
read and write it). Every operation is appended at once, as Optuna's own backend does
(or, in a group, when the group ends): a RUNNING trial's params and attributes are
visible to every reader as soon as they are set, and Optuna's checks (a param whose
distribution changed) fail the call that made them. Four things differ from Optuna's
backend:

* **The lock** (:class:`~genesis.storage.journal_lock.JournalLock`) is Optuna's own
  protocol on ``<journal>.lock``, taken under a flock that a killed holder frees at once
  and made as a hard link to one symlink (see :mod:`genesis.storage.journal_lock`).
* **Durability**: only the records that end a trial (or create a study, or queue or add
  a trial) are fsynced, by a background thread within 0.1 s of their writing
  (:class:`_Syncer`, a group commit); the file is append-only, so that fsync also makes
  every earlier record durable. Every record reaches the page cache before its call
  returns, which a killed process cannot lose; a power cut can lose the last 0.1 s of
  records, and a session waits for its fsyncs when it closes. Optuna
  fsyncs every record in the call: a trial with 11 params and 8 attributes is 21 fsyncs
  in the trial loop instead of none.
* **Grouped writes** (:class:`GenesisJournalStorage`): the params that one trial's
  sampler chose together, and the attributes set together when its result is known,
  are appended in one locked write instead of one each (4 appends a trial instead of
  21). They are visible to every reader the moment the group ends, which is still
  before the backtest runs and before the trial is told.
* **Damage**: a torn last line (half a record from a killed writer; the last byte is not
  a newline) is cut under the lock before the next append; any other line that is not a
  journal record is a :class:`~genesis.errors.StorageError` naming the file and line,
  and the file is left as it is.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import AbstractContextManager
from typing import Any

import optuna
from optuna.distributions import check_distribution_compatibility, json_to_distribution
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage, JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial, TrialState

from genesis.errors import StorageError
from genesis.storage import log
from genesis.storage._optuna_private import NOT_FOUND_MSG, UNUPDATABLE_MSG, get_lock_file
from genesis.storage.forks import ProcessFd
from genesis.storage.journal_lock import FLOCK_SUFFIX, SYMLINK_SUFFIX, JournalLock

_MAX_LINE = 1 << 20
_READ_BLOCK = 1 << 22
_CREATE_TRIAL, _SET_TRIAL_PARAM, _SET_TRIAL_STATE_VALUES = 4, 5, 6
_GROUPED_OPS = frozenset({5, 7, 8, 9})
"""SET_TRIAL_PARAM, SET_TRIAL_INTERMEDIATE_VALUE, SET_TRIAL_USER_ATTR, SET_TRIAL_SYSTEM_ATTR:
records that change no state, are not fsynced and may be grouped."""
_RECORD_START = b'{"op_code":'
"""How every journal record begins (Optuna's and genesis's writers dump ``op_code`` first)."""


class GenesisJournalBackend(JournalFileBackend):
    """Optuna's journal file with :class:`JournalLock`, cheaper fsyncs and repair of torn tails.

    Raises:
        StorageError: the file holds a line that is not a journal record (names the line).
    """

    def __init__(self, file_path: str) -> None:
        super().__init__(file_path, lock_obj=JournalLock(file_path))
        self._size_after_write = -1
        self._syncer = _Syncer(file_path)
        # One descriptor per process for appends and reads (Optuna's backend has already
        # opened the file for writing: a reader needs write access anyway).
        self._journal = ProcessFd(file_path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
        # A sound tail needs no lock: a reader that never writes leaves the run dir as it is.
        if not _check_tail(file_path, repair=False):
            with get_lock_file(self._lock):
                _check_tail(file_path)

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        data = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in logs).encode()
        durable = any(map(_durable, logs))
        with get_lock_file(self._lock):
            fd = self._journal.get()  # opened once per process
            size = os.fstat(fd).st_size
            if size and size != self._size_after_write and os.pread(fd, 1, size - 1) != b"\n":
                _check_tail(self._file_path)  # someone else wrote since, and left a torn tail?
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            self._size_after_write = os.fstat(fd).st_size
        self._syncer.written(durable=durable)

    def sync(self) -> None:
        """Wait until every record this process wrote is on disk (see :class:`_Syncer`)."""
        self._syncer.wait()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_syncer"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._syncer = _Syncer(self._file_path)

    def read_logs(self, log_number_from: int) -> Generator[dict[str, Any], None, None]:
        """The records from number ``log_number_from`` on, as Optuna's backend reads them.

        Optuna's storage reads the journal before nearly every call (11 times a trial),
        and its backend opens the file each time. This one keeps a descriptor open and
        returns at once when the file has not grown; otherwise it reads the new bytes in
        blocks. As in Optuna's: a last line without its newline (a record being written)
        is left for the next read, and so is a last line that is not JSON.

        A line is always taken from one read: a torn tail that another writer cuts and
        writes over between two reads would otherwise join old bytes to new ones. A bad
        line with more after it is read once more before it is called damaged, for the
        same reason.
        """
        start = self._log_number_offset.get(log_number_from)
        if start is None:  # a record number never read here: Optuna's way
            yield from self._read_logs_from_start(log_number_from)
            return
        fd = self._journal.get()
        size = os.fstat(fd).st_size
        number, offset, want, again = log_number_from, start, _READ_BLOCK, True
        while offset < size:
            block = os.pread(fd, min(want, size - offset), offset)
            whole = block.rfind(b"\n") + 1  # the bytes of whole lines
            if not whole:  # no whole line: the last one is being written, or is long
                if len(block) < min(want, size - offset) or offset + len(block) >= size:
                    return
                want *= 2
                continue
            want = _READ_BLOCK
            for line in block[: whole - 1].split(b"\n"):
                try:
                    record = json.loads(line)
                except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
                    if offset + len(line) + 1 == size:  # nothing after it in the file
                        return  # the last line: Optuna leaves it for the next read
                    if again:  # read it once more: a repair may have raced this read
                        again, size = False, os.fstat(fd).st_size
                        break
                    raise _damaged(self._file_path, number + 1, error) from None
                offset += len(line) + 1
                number += 1
                self._log_number_offset[number] = offset
                yield record

    def _read_logs_from_start(self, log_number_from: int) -> Generator[dict[str, Any], None, None]:
        number = log_number_from
        try:
            for record in super().read_logs(log_number_from):
                yield record
                number += 1
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
            # Optuna raises at the line after the bad one; ``number`` is the bad one's index.
            raise _damaged(self._file_path, number + 1, error) from None


class _Syncer:
    """fsyncs one file on a thread of its own, at most every :attr:`INTERVAL_S`: a group commit.

    The trial loop does not wait for the disk (an fsync was 10 % of a trial's time with
    two workers). Requests made while an fsync runs, or within :attr:`INTERVAL_S` of the
    last one, are covered by the next one, which flushes every record written before it:
    with 300 trials a second that is one fsync for about 30 trials instead of one each
    (an fsync's kernel time, on a thread beside the loop, took a core's 7 % that a second
    worker needs). A caller of :meth:`wait` (a session that closes) does not wait for the
    interval. A killed process loses nothing it wrote (the page cache outlives it); a
    power cut can lose the records of the last interval, as a database with a commit
    interval does (MongoDB's journal: 100 ms; Redis's ``appendfsync everysec``: 1 s).
    The thread ends after a second without requests and starts again on the next one; a
    forked child starts its own.
    """

    INTERVAL_S = 0.1
    _IDLE_S = 1.0

    def __init__(self, path: str) -> None:
        self._path = path
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._asked = 0
        self._done = 0
        self._waiting = 0
        self._unsynced = False
        """Records were written since the last request (ones that need no fsync of their own)."""
        self._thread: threading.Thread | None = None
        self._warned = False

    def written(self, *, durable: bool) -> None:
        """Records were written: fsync soon if they are ``durable``, else when :meth:`wait`."""
        if durable:
            self.request()
        else:
            self._unsynced = True

    def request(self) -> None:
        """Have the file fsynced soon, covering everything written so far."""
        if self._pid != os.getpid():
            self._reset()
        self._unsynced = False  # the fsync that serves this request comes after those writes
        with self._cond:
            self._asked += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="genesis-journal-fsync", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def wait(self) -> None:
        """Block until everything written so far is on disk."""
        if self._pid != os.getpid():
            return  # a forked child's parent's requests are the parent's to wait for
        if self._unsynced:
            self.request()
        with self._cond:
            target = self._asked
            self._waiting += 1
            self._cond.notify_all()  # no interval: fsync now
            try:
                while self._done < target:
                    self._cond.wait(0.5)
            finally:
                self._waiting -= 1

    def _run(self) -> None:
        last = -self.INTERVAL_S
        while True:
            with self._cond:
                if self._done == self._asked:
                    self._cond.wait(self._IDLE_S)
                    if self._done == self._asked:
                        self._thread = None
                        return
                # Let the records of the rest of the interval join this fsync.
                while (
                    not self._waiting and (pause := last + self.INTERVAL_S - time.monotonic()) > 0
                ):
                    self._cond.wait(pause)
                target = self._asked
            try:
                fd = os.open(self._path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except FileNotFoundError:
                pass  # the journal was removed (its run directory deleted): nothing to keep
            except OSError as error:  # the records are still in the page cache
                if not self._warned:
                    self._warned = True
                    log.logger.warning("[Storage] cannot fsync %s: %s", self._path, error)
            last = time.monotonic()
            with self._cond:
                self._done = target
                self._cond.notify_all()


def sync_storage(storage: BaseStorage) -> None:
    """Wait until genesis's journal has everything this process wrote on disk."""
    if isinstance(storage, GenesisJournalStorage):
        backend = storage._backend
        assert isinstance(backend, GenesisJournalBackend)
        backend.sync()


def _durable(record: dict[str, Any]) -> bool:
    """Whether ``record`` must be on disk before the append returns (see the module doc)."""
    op = record.get("op_code")
    if op in _GROUPED_OPS:
        return False
    if op in (_CREATE_TRIAL, _SET_TRIAL_STATE_VALUES):  # a trial that starts to run
        return bool(record.get("state", TrialState.RUNNING) != TrialState.RUNNING)
    return True


class GenesisJournalStorage(JournalStorage):
    """Optuna's :class:`~optuna.storages.JournalStorage`, whose writes can be grouped.

    Inside :meth:`grouped`, this thread's params, attributes and intermediate values are
    held back and appended in one write when the block ends (any other write, such as a
    state change, first appends what is held). Until then this thread's reads see the
    study as it was when the group began. What Optuna would refuse when it reads the
    record back (a param whose distribution changed, a finished trial) is refused at
    the call that makes it, as without a group; a refusal that only shows when the
    group is read back (another process finished the trial meanwhile) raises when the
    block ends, or at a state change inside it, which reads the held records back.
    """

    def __init__(self, backend: GenesisJournalBackend) -> None:
        self._local = threading.local()
        super().__init__(backend)

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        del state["_local"]
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        self._local = threading.local()

    @contextlib.contextmanager
    def grouped(self) -> Iterator[None]:
        """Hold back this thread's params and attributes; append them in one write at the end."""
        if self._group() is not None:  # nested: the outer group writes
            yield
            return
        self._local.group = []
        failed = True
        try:
            yield
            failed = False
        finally:
            held, self._local.group = self._local.group, None
            if held:
                with self._thread_lock:
                    self._backend.append_logs(held)
                    self._apply(len(held), raise_refused=not failed)

    def _group(self) -> list[dict[str, Any]] | None:
        group: list[dict[str, Any]] | None = getattr(self._local, "group", None)
        return group

    def _write_log(self, op_code: int, extra_fields: dict[str, Any]) -> None:
        group = self._group()
        if group is None:
            super()._write_log(op_code, extra_fields)
            return
        if op_code in _GROUPED_OPS:
            self._check(op_code, extra_fields)
        group.append({"op_code": op_code, "worker_id": self._replay_result.worker_id,
                      **extra_fields})  # fmt: skip
        if op_code not in _GROUPED_OPS:  # a state change: it and what it follows, now
            held = list(group)
            group.clear()
            self._backend.append_logs(held)
            # Read past every refused record now (the first is raised here): left unread,
            # each would be raised by a later, unrelated call of this thread.
            self._apply(len(held), raise_refused=True)

    def trials_since(self, study_id: int, number: int) -> list[FrozenTrial]:
        """The study's trials numbered ``number`` on, after one read of the journal."""
        with self._thread_lock:
            self._sync_with_backend()
            replay = self._replay_result
            return [replay._trials[i] for i in replay._study_id_to_trial_ids[study_id][number:]]

    def _check(self, op_code: int, fields: dict[str, Any]) -> None:
        """Raise what Optuna's replay raises for this process's record (``_storage.py``)."""
        replay = self._replay_result
        trial_id = fields["trial_id"]
        trial = replay._trials.get(trial_id)
        if trial is None:  # created since this thread last read? (Optuna writes, then reads)
            super()._sync_with_backend()
            trial = replay._trials.get(trial_id)
        if trial is None:
            raise KeyError(NOT_FOUND_MSG)
        if trial.state.is_finished():
            raise UpdateFinishedTrialError(UNUPDATABLE_MSG.format(trial_number=trial.number))
        if op_code != _SET_TRIAL_PARAM:
            return
        name = fields["param_name"]
        for other_id in replay._study_id_to_trial_ids[replay._trial_id_to_study_id[trial_id]]:
            other = replay._trials[other_id]
            if name in other.params:  # Optuna compares with the first trial that has it
                distribution = json_to_distribution(fields["distribution"])
                check_distribution_compatibility(other.distributions[name], distribution)
                return

    def _sync_with_backend(self) -> None:
        if not self._group():  # nothing held back: this thread may read what is written
            super()._sync_with_backend()

    def _apply(self, n_records: int, *, raise_refused: bool) -> None:
        """Read up to the end, past records of this process that Optuna refuses.

        Optuna raises at the first refused record of its own writer; the next read goes
        on after it. The first refusal is raised once the end is reached.
        """
        refused: Exception | None = None
        for _ in range(n_records + 1):
            try:
                super()._sync_with_backend()
                break
            except (ValueError, KeyError, UpdateFinishedTrialError) as error:
                refused = refused or error
        if refused is not None and raise_refused:
            raise refused


def trials_since(study: optuna.Study, number: int) -> list[FrozenTrial]:
    """``study``'s trials numbered ``number`` on, in number order.

    On genesis's journal without walking the earlier trials (``get_trials`` builds a list
    of every trial, and a shared study is counted before each trial).
    """
    storage = study._storage
    if isinstance(storage, GenesisJournalStorage):
        return storage.trials_since(study._study_id, number)
    return study.get_trials(deepcopy=False)[number:]


def grouped_writes(storage: BaseStorage) -> AbstractContextManager[None]:
    """:meth:`GenesisJournalStorage.grouped` on genesis's journal; nothing on other storages."""
    if isinstance(storage, GenesisJournalStorage):
        return storage.grouped()
    return contextlib.nullcontext()


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
        for chunk in (min(size, 1 << 13), min(size, _MAX_LINE)):  # records are small
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


__all__ = [
    "FLOCK_SUFFIX",
    "SYMLINK_SUFFIX",
    "GenesisJournalBackend",
    "GenesisJournalStorage",
    "JournalLock",
    "grouped_writes",
    "sync_storage",
    "trials_since",
]
