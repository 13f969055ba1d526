"""The ResultCache contract, run over every backend (memory, directory, SQLite, PostgreSQL).

Like Optuna's ``tests/storages_tests/test_storages.py``: one suite, parametrized by the
``backend`` fixture of ``conftest.py``, so a new backend passes exactly what the others do.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import time
from typing import Any

import pytest

from genesis.cache import CacheStats, ResultCache, canonical_json, check_result
from genesis.errors import CacheError, CorruptCacheEntry

# A fork child only needs the harness's picklable-free closures; fork is Linux's default.
_MP = multiprocessing.get_context("fork")


def make_key(label: object) -> str:
    """A valid cache key derived from ``label``."""
    return hashlib.sha256(str(label).encode()).hexdigest()


def rich_payload(n: int = 0) -> dict[str, Any]:
    """A payload that exercises everything JSON can hold, plus ~30 metrics like a real one."""
    return {
        "score": 0.1,
        "values": [0.1 + 0.2, -1.5e-300, 1e308, 2**62, -0],
        "n": n,
        "flag": True,
        "nothing": None,
        "nested": {"a": {"b": {"c": [1, [2, [3.25, None]], {"d": False}]}}, "": "empty key"},
        "unicode": 'åäö — 漢字 🚀 \u0000 "quoted" \\ back',
        "metrics": {f"m{i:02d}": i / 7 for i in range(30)},
        "empty": {"list": [], "dict": {}},
    }


def assert_same(got: Any, expected: Any) -> None:
    """Equal *and* of the same JSON types (``True`` is not ``1``, ``1.0`` is not ``1``)."""
    assert got == expected
    assert canonical_json(got) == canonical_json(expected)


def test_get_missing_is_none(cache: ResultCache) -> None:
    assert cache.get(make_key("missing")) is None


def test_round_trip_preserves_payload_exactly(cache: ResultCache) -> None:
    key = make_key(1)
    cache.put(key, rich_payload())
    assert_same(cache.get(key), rich_payload())


def test_get_returns_a_copy(cache: ResultCache) -> None:
    key = make_key(1)
    payload = rich_payload()
    cache.put(key, payload)
    payload["score"] = 99.0
    got = cache.get(key)
    assert got is not None
    got["nested"]["a"] = "changed"
    assert_same(cache.get(key), rich_payload())


def test_overwrite_replaces_payload(cache: ResultCache) -> None:
    key = make_key(1)
    cache.put(key, {"score": 1.0})
    cache.put(key, {"score": 2.0, "extra": [1]})
    assert_same(cache.get(key), {"score": 2.0, "extra": [1]})
    assert [info.key for info in cache.entries()] == [key]


def test_delete(cache: ResultCache) -> None:
    key = make_key(1)
    cache.put(key, {"score": 1.0})
    assert cache.delete(key) is True
    assert cache.get(key) is None
    assert cache.delete(key) is False


def test_entries_list_every_key_with_size_and_time(cache: ResultCache) -> None:
    assert list(cache.entries()) == []
    started = time.time()
    keys = {make_key(i) for i in range(5)}
    for key in keys:
        cache.put(key, rich_payload())
    infos = list(cache.entries())
    assert {info.key for info in infos} == keys
    assert all(info.size_bytes >= len(canonical_json(rich_payload())) for info in infos)
    assert all(started - 1 <= info.created_s <= time.time() + 1 for info in infos)
    stats = CacheStats.of(infos)
    assert stats.n_entries == 5
    assert stats.total_bytes == sum(info.size_bytes for info in infos)


def test_clear_removes_everything(cache: ResultCache) -> None:
    for i in range(3):
        cache.put(make_key(i), {"i": i})
    assert cache.clear() == 3
    assert list(cache.entries()) == []
    assert cache.get(make_key(0)) is None
    assert cache.clear() == 0


@pytest.mark.parametrize("mode", ["truncate", "edit"])
def test_corrupt_entry_raises_then_put_repairs(backend: Any, mode: str) -> None:
    cache = backend.open()
    key, other = make_key(1), make_key(2)
    cache.put(key, {"score": 1.5, "trades": 10})
    cache.put(other, {"score": 2.5})
    backend.corrupt(key, mode)
    with pytest.raises(CorruptCacheEntry) as raised:
        cache.get(key)
    assert key in str(raised.value)
    report = cache.verify()
    assert report.n_ok == 1
    assert len(report.corrupt) == 1
    assert key in report.corrupt[0][0]
    cache.put(key, {"score": 1.5, "trades": 10})
    assert cache.get(key) == {"score": 1.5, "trades": 10}
    assert cache.verify().corrupt == []


def result(values: list[Any], objectives: int = 1) -> dict[str, Any]:
    """A result payload as a run writes it, with the score ``values`` given."""
    return {
        "spec": {"score": {"objectives": [f"o{i}" for i in range(objectives)]}},
        "score": {"values": values, "constraints": {"min_trades": -3.0}},
    }


def test_verify_and_prune_apply_the_checks_a_run_applies(cache: ResultCache) -> None:
    good, text, short, boolean = (make_key(i) for i in range(4))
    cache.put(good, result([1.5, -2.0], objectives=2))
    cache.put(text, result(["oops"]))  # checksum valid: only the content check finds it
    cache.put(short, result([1.5], objectives=2))
    cache.put(boolean, result([True]))
    assert cache.verify().corrupt == []  # the storage is intact ...
    report = cache.verify(check_result)  # ... the results are not all usable
    assert report.n_ok == 1
    bad = {key: what for key in (text, short, boolean) for where, what in report.corrupt
           if key in where}  # fmt: skip
    assert bad[text] == "its score values are ['oops'], not 1 finite number(s)"
    assert "not 2 finite number(s)" in bad[short] and "[True]" in bad[boolean]
    for key in (text, short, boolean):  # the run rejects exactly these, in the same words
        with pytest.raises(CorruptCacheEntry, match=r"not \d finite number"):
            check_result(key, cache.get(key) or {})
    assert cache.prune(corrupt=True, check=check_result) == 3
    assert [info.key for info in cache.entries()] == [good]


def test_unstorable_payload_is_refused(cache: ResultCache) -> None:
    with pytest.raises(CacheError, match="not storable"):
        cache.put(make_key(1), {"score": float("nan")})
    with pytest.raises(CacheError):
        cache.put(make_key(1), {"when": object()})
    assert cache.get(make_key(1)) is None


@pytest.mark.parametrize("bad", ["", "abc", "G" * 64, "../" + "0" * 61, "A" * 64])
def test_malformed_key_is_a_value_error(cache: ResultCache, bad: str) -> None:
    with pytest.raises(ValueError, match="not a cache key"):
        cache.get(bad)
    with pytest.raises(ValueError):
        cache.put(bad, {})


def test_prune_by_age_count_and_corruption(backend: Any) -> None:
    cache = backend.open()
    keys = [make_key(i) for i in range(5)]
    for key in keys:
        cache.put(key, {"k": key})
    for i, key in enumerate(keys):  # keys[0] oldest … keys[4] newest
        backend.age(key, 1000.0 * (5 - i))
    backend.corrupt(keys[4], "truncate")
    assert cache.prune() == 0
    assert cache.prune(older_than_s=3500.0) == 2  # ages 5000 and 4000
    assert cache.prune(keep_latest=2) == 1  # keys[2] goes, keys[3] and keys[4] stay
    assert cache.prune(corrupt=True) == 1  # keys[4]
    assert [info.key for info in cache.entries()] == [keys[3]]
    with pytest.raises(ValueError):
        cache.prune(keep_latest=-1)


def _writer(backend: Any, writer: int, n: int, errors: Any) -> None:
    """Child process: write shared and own keys, checking every read is whole."""
    cache = backend.open()
    bad = 0
    for i in range(n):
        cache.put(make_key(f"shared-{i}"), {**rich_payload(i), "writer": writer})
        cache.put(make_key(f"own-{writer}-{i}"), rich_payload(i))
        got = cache.get(make_key(f"shared-{(i * 7) % n}"))
        if got is not None and {k: v for k, v in got.items() if k != "writer"} != rich_payload(
            (i * 7) % n
        ):
            bad += 1
    errors.put(bad)


def test_concurrent_writers_leave_only_complete_entries(backend: Any) -> None:
    if not backend.multiprocess:
        pytest.skip(f"{backend.name} lives in one process")
    backend.open()  # create the storage (table) before the race
    n = 60
    errors = _MP.Queue()
    workers = [_MP.Process(target=_writer, args=(backend, w, n, errors)) for w in (0, 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert [errors.get(timeout=5), errors.get(timeout=5)] == [0, 0]
    cache = backend.open()
    report = cache.verify()
    assert report.corrupt == []
    assert report.n_ok == 3 * n
    for i in range(n):
        got = cache.get(make_key(f"shared-{i}"))
        assert got is not None and got["writer"] in (0, 1)
        assert cache.get(make_key(f"own-1-{i}")) == rich_payload(i)


def _endless_writer(backend: Any) -> None:
    cache = backend.open()
    i = 0
    while True:
        cache.put(make_key(f"killed-{i % 50}"), rich_payload(i))
        i += 1


def test_killed_writer_leaves_no_partial_entry(backend: Any) -> None:
    if not backend.multiprocess:
        pytest.skip(f"{backend.name} lives in one process")
    cache = backend.open()
    child = _MP.Process(target=_endless_writer, args=(backend,))
    child.start()
    deadline = time.monotonic() + 20
    while len(list(cache.entries())) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    report = cache.verify()
    assert report.corrupt == []
    assert report.n_ok >= 20
    for info in cache.entries():
        assert cache.get(info.key) is not None
