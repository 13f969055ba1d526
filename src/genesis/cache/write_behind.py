"""A write-behind wrapper: ``put`` returns at once, a thread writes the entry.

Creating a file costs a few hundred microseconds on many file systems, and a database
round trip about as much: on the optimizer's hot path that is several percent of a
trial. :class:`WriteBehindCache` hands each write to one background thread (file and
socket calls release the GIL, so the trial loop goes on meanwhile) and answers ``get``
for keys still queued from memory, so this process always sees its own results.

Trade-off: entries still queued when the process is killed are lost; they are simply
computed again if they are asked for again. :meth:`flush` (called before artifacts are
written and when the run closes) waits until every queued entry is stored.

A write that fails (the cache server is down, the disk full) is kept and tried again
every :data:`RETRY_S` while the run goes on, and once more by :meth:`close`: results
computed during an outage reach the cache once it is back, for the next run and the
other machines. :attr:`WriteBehindCache.written_late` counts them.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator

from genesis.cache.base import CacheEntryInfo, Payload, PayloadCheck, ResultCache, VerifyReport
from genesis.errors import CacheError

_logger = logging.getLogger("genesis")
_STOP = object()
RETRY_S = 1.0
"""While some results are not stored, how often the writer tries them again."""


class WriteBehindCache:
    """A :class:`ResultCache` whose writes happen on a background thread."""

    def __init__(self, inner: ResultCache) -> None:
        self.inner = inner
        self.location = inner.location
        self.failed_writes = 0
        """Results whose first write failed (stored late, or not at all)."""
        self.written_late = 0
        """Results stored by a later try, after their first write failed."""
        self._unstored: dict[str, Payload] = {}
        """Failed writes, oldest first, waiting for the next try."""
        self._pending: dict[str, Payload] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(
            target=self._drain, name="genesis-cache-writer", daemon=True
        )
        self._thread.start()

    def __repr__(self) -> str:
        return f"WriteBehindCache({self.inner!r})"

    def get(self, key: str) -> Payload | None:
        with self._lock:
            queued = self._pending.get(key)
            if queued is None:
                queued = self._unstored.get(key)
        return queued if queued is not None else self.inner.get(key)

    @property
    def unstored(self) -> int:
        """Results not in the cache yet (their writes failed; tried again later)."""
        with self._lock:
            return len(self._unstored)

    def put(self, key: str, payload: Payload) -> None:
        with self._lock:
            self._pending[key] = payload
        self._queue.put(key)

    def queued(self, key: str) -> bool:
        """Whether ``key``'s entry is still waiting to be written."""
        with self._lock:
            return key in self._pending

    def flush(self) -> None:
        """Wait until every queued entry has been written (or has failed, and was logged).

        Raises:
            CacheError: the writer thread is gone, so the queue would never drain.
        """
        done = self._queue.all_tasks_done
        with done:
            while self._queue.unfinished_tasks:
                if not self._thread.is_alive():
                    raise CacheError("the cache writer thread stopped; results are not stored")
                if not done.wait(0.5):
                    self._wake()  # ``done`` shares the queue's mutex: it is held here

    def close(self) -> None:
        """Flush, try the failed writes once more, stop the writer; say what was not stored."""
        self.flush()
        self._queue.put(_STOP)
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)
            with self._queue.mutex:
                self._wake()
        self._retry_unstored()  # the writer is gone: this thread is the only one left
        if self.written_late:
            _logger.info(
                "[CACHE] %d results stored late in %s (the cache failed when they were "
                "computed)", self.written_late, self.location,
            )  # fmt: skip
        if self._unstored:
            _logger.warning(
                "[CACHE] %d results could not be stored in %s (they will be recomputed "
                "if asked for again)", len(self._unstored), self.location,
            )  # fmt: skip

    def delete(self, key: str) -> bool:
        self.flush()
        return self.inner.delete(key)

    def entries(self) -> Iterator[CacheEntryInfo]:
        self.flush()
        return self.inner.entries()

    def verify(self, check: PayloadCheck | None = None) -> VerifyReport:
        self.flush()
        return self.inner.verify(check)

    def clear(self) -> int:
        self.flush()
        return self.inner.clear()

    def prune(
        self,
        *,
        older_than_s: float | None = None,
        keep_latest: int | None = None,
        corrupt: bool = False,
        check: PayloadCheck | None = None,
    ) -> int:
        self.flush()
        return self.inner.prune(
            older_than_s=older_than_s, keep_latest=keep_latest, corrupt=corrupt, check=check
        )

    def _wake(self) -> None:
        """Wake the writer even if a wake-up was lost.

        A Ctrl-C that lands inside ``Condition.notify`` (called by ``put`` on the trial
        loop) between its release of a waiter and its removal from the waiter list leaves
        a stale waiter behind; the next ``notify`` then releases that one and the writer
        sleeps on with entries queued. ``notify_all`` releases every waiter, stale or not.
        The caller holds the queue's mutex.
        """
        self._queue.not_empty.notify_all()

    def _drain(self) -> None:
        while True:
            try:
                key = self._queue.get(timeout=RETRY_S if self._unstored else None)
            except queue.Empty:
                self._retry_unstored()
                continue
            try:
                if key is _STOP:
                    return
                assert isinstance(key, str)
                self._write(key)
            finally:
                self._queue.task_done()

    def _write(self, key: str) -> None:
        with self._lock:
            payload = self._pending.get(key)
        if payload is None:
            return
        try:
            self.inner.put(key, payload)
            with self._lock:  # a result stored again after its first write failed
                late = self._unstored.pop(key, None) is not None
            self.written_late += late
        except Exception as error:  # the writer thread's boundary: it must not die
            self.failed_writes += 1
            with self._lock:
                self._unstored[key] = payload
            _logger.warning(
                "[CACHE] result of key %s not stored yet (tried again later): %s", key[:12], error
            )
        finally:
            with self._lock:
                if self._pending.get(key) is payload:
                    del self._pending[key]

    def _retry_unstored(self) -> None:
        """Write the failed results again, oldest first, until one fails (still down)."""
        with self._lock:
            waiting = list(self._unstored.items())
        for key, payload in waiting:
            try:
                self.inner.put(key, payload)
            except Exception:  # still failing: the next try comes after RETRY_S
                with self._lock:  # to the back: one bad entry never blocks the others
                    if self._unstored.pop(key, None) is not None:
                        self._unstored[key] = payload
                return
            with self._lock:
                self._unstored.pop(key, None)
            self.written_late += 1
