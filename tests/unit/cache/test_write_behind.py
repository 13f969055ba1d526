"""The write-behind wrapper: own writes visible at once, stored by flush, failures logged."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from genesis.cache import (
    DirectoryCache,
    MemoryCache,
    Payload,
    ResultCache,
    SqlCache,
    WriteBehindCache,
)
from genesis.cache.write_behind import RETRY_S
from genesis.errors import CacheError

KEY = "ab" * 32


class SlowCache(MemoryCache):
    """Holds every write until released, like a slow disk."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def put(self, key: str, payload: Payload) -> None:
        self.release.wait(10)
        super().put(key, payload)


def test_own_writes_are_visible_before_they_are_stored() -> None:
    inner = SlowCache()
    cache = WriteBehindCache(inner)
    cache.put(KEY, {"score": 1.5})
    assert cache.get(KEY) == {"score": 1.5}
    assert inner.get(KEY) is None, "still queued"
    inner.release.set()
    cache.flush()
    assert inner.get(KEY) == {"score": 1.5}
    cache.close()


def test_flush_stores_every_entry_on_disk(tmp_path: Path) -> None:
    cache = WriteBehindCache(DirectoryCache(tmp_path))
    keys = [f"{i:064x}" for i in range(50)]
    for i, key in enumerate(keys):
        cache.put(key, {"i": i})
    cache.close()
    reader = DirectoryCache(tmp_path)
    assert [reader.get(key) for key in keys] == [{"i": i} for i in range(50)]


def test_a_failed_write_is_logged_and_the_writer_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    class Flaky(MemoryCache):
        def put(self, key: str, payload: Payload) -> None:
            if payload.get("bad"):
                raise CacheError("disk full")
            super().put(key, payload)

    inner = Flaky()
    cache = WriteBehindCache(inner)
    with caplog.at_level(logging.WARNING, logger="genesis"):
        cache.put("1" * 64, {"bad": True})
        cache.put("2" * 64, {"bad": False})
        cache.flush()
    assert cache.failed_writes == 1
    assert "disk full" in caplog.text
    assert inner.get("2" * 64) == {"bad": False}
    cache.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_writer_that_died_makes_flush_raise_instead_of_hanging() -> None:
    cache = WriteBehindCache(MemoryCache())
    cache._queue.put(object())  # not a key: the writer thread fails its type check and dies
    cache._thread.join(5)
    cache.put(KEY, {"score": 1.0})
    with pytest.raises(CacheError, match="writer thread stopped"):
        cache.flush()


def test_an_unexpected_error_in_the_inner_cache_does_not_kill_the_writer() -> None:
    class Buggy(MemoryCache):
        def put(self, key: str, payload: Payload) -> None:
            raise RuntimeError("bug")

    cache = WriteBehindCache(Buggy())
    cache.put(KEY, {"score": 1.0})
    cache.flush()
    assert cache.failed_writes == 1 and cache._thread.is_alive()
    cache.close()


def test_a_lost_wake_up_does_not_hang_flush_or_close() -> None:
    """What a Ctrl-C inside ``Condition.notify`` leaves: a stale waiter first in line."""
    import time

    cache = WriteBehindCache(MemoryCache())
    time.sleep(0.05)  # the writer is waiting for work
    waiting = cache._queue.not_empty
    stale = threading.Lock()
    stale.acquire()
    with waiting:
        waiting._waiters.appendleft(stale)  # type: ignore[attr-defined]
    cache.put(KEY, {"score": 1.0})  # its notify releases the stale waiter, not the writer's
    closer = threading.Thread(target=cache.close, daemon=True)
    closer.start()
    closer.join(timeout=10)
    assert not closer.is_alive(), "close() hung on a lost wake-up"
    assert cache.inner.get(KEY) == {"score": 1.0}


class Outage:
    """Makes a real cache's writes fail while ``down`` is set, as a stopped server does."""

    def __init__(self, inner: ResultCache) -> None:
        self.inner = inner
        self.down = threading.Event()
        self.refused = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def put(self, key: str, payload: Payload) -> None:
        if self.down.is_set():
            self.refused += 1
            raise CacheError("connection refused")
        self.inner.put(key, payload)


@pytest.mark.parametrize("recovery", ["during the run", "at close"])
def test_results_not_stored_during_an_outage_are_stored_when_it_is_back(
    tmp_path: Path, recovery: str
) -> None:
    outage = Outage(SqlCache(f"sqlite:///{tmp_path / 'cache.db'}"))
    cache = WriteBehindCache(outage)  # type: ignore[arg-type]
    keys = [f"{i:064x}" for i in range(30)]
    cache.put(keys[0], {"i": 0})
    cache.flush()
    outage.down.set()
    for i, key in enumerate(keys[1:20], start=1):
        cache.put(key, {"i": i})
    cache.flush()
    assert outage.refused >= 19 and cache.unstored == 19
    assert cache.get(keys[5]) == {"i": 5}, "this process still sees its own results"
    time.sleep(2.5 * RETRY_S)  # tried again while down: still not stored
    assert cache.unstored == 19 and outage.refused > 19
    outage.down.clear()
    for i, key in enumerate(keys[20:], start=20):
        cache.put(key, {"i": i})
    if recovery == "during the run":
        deadline = time.monotonic() + 10 * RETRY_S
        while cache.unstored and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cache.unstored == 0
    cache.close()
    stored = {info.key for info in outage.inner.entries()}
    assert stored == set(keys)
    assert (cache.failed_writes, cache.written_late, cache.unstored) == (19, 19, 0)


def test_results_still_unstored_at_close_are_counted_and_named(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    outage = Outage(SqlCache(f"sqlite:///{tmp_path / 'cache.db'}"))
    cache = WriteBehindCache(outage)  # type: ignore[arg-type]
    outage.down.set()
    for i in range(3):
        cache.put(f"{i:064x}", {"i": i})
    with caplog.at_level(logging.WARNING, logger="genesis"):
        cache.close()
    assert (cache.written_late, cache.unstored) == (0, 3)
    assert "3 results could not be stored" in caplog.text
    assert list(outage.inner.entries()) == []
