"""DirectoryCache specifics: file layout, every way a file can be damaged, temp files."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from genesis.cache import DirectoryCache
from genesis.cache.directory import STALE_TEMP_S
from genesis.errors import CorruptCacheEntry

KEY = hashlib.sha256(b"spec").hexdigest()
OTHER = hashlib.sha256(b"other").hexdigest()


@pytest.fixture
def cache(tmp_path: Path) -> DirectoryCache:
    return DirectoryCache(tmp_path / "_cache")


def test_entry_file_layout_and_envelope(cache: DirectoryCache) -> None:
    started = time.time()
    cache.put(KEY, {"score": 0.1})
    path = cache.root / KEY[:2] / f"{KEY}.json"
    assert cache.path_of(KEY) == path
    entry = json.loads(path.read_text())
    assert entry["format"] == 1
    assert entry["key"] == KEY
    assert started - 1 <= entry["created"] <= time.time() + 1
    assert entry["checksum"] == hashlib.sha256(b'{"score":0.1}').hexdigest()
    assert entry["payload"] == {"score": 0.1}


def test_reading_never_creates_the_directory(cache: DirectoryCache) -> None:
    assert cache.get(KEY) is None
    assert list(cache.entries()) == []
    assert cache.verify().n_ok == 0
    assert not cache.root.exists()


def test_hand_reformatted_entry_still_verifies(cache: DirectoryCache) -> None:
    cache.put(KEY, {"b": 1, "a": [0.5]})
    path = cache.path_of(KEY)
    path.write_text(json.dumps(json.loads(path.read_text()), indent=2))
    assert cache.get(KEY) == {"b": 1, "a": [0.5]}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda e: b"", "not valid JSON"),
        (lambda e: b"\xff\xfe{", "not valid JSON"),
        (lambda e: b"[1, 2]", "not a JSON object"),
        (lambda e: e.replace(b'"format":1', b'"format":2'), "format 2, expected 1"),
        (lambda e: e.replace(KEY.encode(), OTHER.encode()), f"holds key '{OTHER}'"),
        (lambda e: e.replace(b'"checksum":"', b'"checksum":"0'), "checksum mismatch"),
        (lambda e: e.replace(b'"score":0.1', b'"score":NaN'), "not canonical JSON"),
        (lambda e: e.replace(b'"payload":{', b'"payload":[{').replace(b"}}", b"}]}"), "payload"),
    ],
)
def test_each_kind_of_damage_is_named(cache: DirectoryCache, damage: object, message: str) -> None:
    cache.put(KEY, {"score": 0.1})
    path = cache.path_of(KEY)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with pytest.raises(CorruptCacheEntry) as raised:
        cache.get(KEY)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_unreadable_file_is_corrupt(cache: DirectoryCache) -> None:
    # A directory where the entry should be: unreadable for every user, root included
    # (a chmod 0 file would be, but root reads it anyway and CI runs as root).
    path = cache.path_of(KEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir()
    with pytest.raises(CorruptCacheEntry, match="unreadable"):
        cache.get(KEY)


def _leave_temp(cache: DirectoryCache, age_s: float) -> Path:
    """What a writer killed between write and rename leaves behind."""
    shard = cache.root / KEY[:2]
    shard.mkdir(parents=True, exist_ok=True)
    temp = shard / f".{KEY}.4242.deadbeef.tmp"
    temp.write_bytes(b'{"format":1,"key":"' + KEY.encode() + b'","payl')
    then = time.time() - age_s
    os.utime(temp, (then, then))
    return temp


def test_temp_file_of_a_killed_writer_is_invisible(cache: DirectoryCache) -> None:
    _leave_temp(cache, age_s=0)
    assert cache.get(KEY) is None
    assert list(cache.entries()) == []
    cache.put(KEY, {"score": 1.0})
    assert cache.get(KEY) == {"score": 1.0}


def test_verify_and_prune_remove_only_stale_temp_files(cache: DirectoryCache) -> None:
    fresh = _leave_temp(cache, age_s=0)
    assert cache.verify().n_temp_removed == 0
    assert fresh.exists()
    stale = _leave_temp(cache, age_s=STALE_TEMP_S + 5)
    assert cache.verify().n_temp_removed == 1
    assert not stale.exists()
    stale = _leave_temp(cache, age_s=STALE_TEMP_S + 5)
    assert cache.prune() == 0
    assert not stale.exists()


def test_clear_removes_shards_it_emptied(cache: DirectoryCache) -> None:
    cache.put(KEY, {"score": 1.0})
    cache.put(OTHER, {"score": 2.0})
    assert cache.clear() == 2
    assert list(cache.root.iterdir()) == []


def test_files_that_are_not_entries_are_ignored(cache: DirectoryCache) -> None:
    cache.put(KEY, {"score": 1.0})
    (cache.root / "README.txt").write_text("not a shard")
    (cache.root / KEY[:2] / "notes.txt").write_text("not an entry")
    assert [info.key for info in cache.entries()] == [KEY]
    assert cache.verify().n_ok == 1


def test_fsync_off_writes_the_same_entry(tmp_path: Path) -> None:
    cache = DirectoryCache(tmp_path, fsync=False)
    cache.put(KEY, {"score": 1.0})
    assert cache.get(KEY) == {"score": 1.0}
