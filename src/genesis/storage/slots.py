"""The lock around taking a trial slot, which keeps a shared study's budget exact.

Workers that share a study read its count and create a trial; without a lock two of them
both see 199 of 200 and the study ends with 201. The lock covers only the count and the
creation of the trial row (or the pop of a queued one), not the sampling, so workers
still sample in parallel.

* :class:`FileSlotLock`: ``flock`` on a file in the run directory, for the processes of
  one machine on a journal (the kernel frees it when its holder dies).
* :class:`AdvisorySlotLock`: a PostgreSQL advisory lock on the study's database, for
  every machine of a study (the server frees it when its holder's connection ends).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from genesis.storage.forks import ProcessFd
from genesis.storage.rdb import ResilientRDBStorage


class FileSlotLock:
    """An exclusive ``flock`` on ``path`` for as long as the ``with`` block runs.

    The file is opened once per process (an open with O_CREAT per slot takes the run
    directory's lock, which other workers' journal appends hold too). A forked child
    closes the descriptor it inherited and opens its own: a flock belongs to an open file
    description, and one shared with the parent would not exclude the parent.
    """

    def __init__(self, path: Path) -> None:
        self._fd = ProcessFd(str(path), os.O_RDWR | os.O_CREAT)

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        fd = self._fd.get()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self._fd.close()


class AdvisorySlotLock:
    """A session-level advisory lock named after the study, on the storage's own database."""

    def __init__(self, storage: ResilientRDBStorage, study_name: str) -> None:
        self._storage = storage
        digest = hashlib.blake2b(f"genesis-slot:{study_name}".encode(), digest_size=8).digest()
        self._id = int.from_bytes(digest, "big", signed=True)

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        import sqlalchemy as sa

        conn: Any = self._storage.call(self._lock)
        try:
            yield
        finally:
            with contextlib.suppress(sa.exc.SQLAlchemyError):  # a lost connection lost its lock
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self._id})
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                conn.close()

    def _lock(self) -> Any:
        import sqlalchemy as sa

        conn = self._storage.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": self._id})
        except BaseException:
            conn.close()
            raise
        return conn
