"""The public surface of genesis.cache: __all__, open_cache, CacheStats, pruning rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import genesis.cache
from genesis.cache import CacheStats, DirectoryCache, SqlCache, open_cache
from genesis.cache.base import CacheEntryInfo, check_key, select_prunable
from genesis.errors import UsageError


def test_all_is_the_public_surface() -> None:
    assert sorted(genesis.cache.__all__) == sorted(
        [
            "DEFAULT_CACHE_DIR",
            "CacheEntryInfo",
            "CacheStats",
            "DirectoryCache",
            "MemoryCache",
            "Payload",
            "PayloadCheck",
            "ResultCache",
            "SqlCache",
            "VerifyReport",
            "WriteBehindCache",
            "cache_key",
            "canonical_json",
            "check_result",
            "open_cache",
        ]
    )
    for name in genesis.cache.__all__:
        assert hasattr(genesis.cache, name)


def test_import_is_light() -> None:
    code = (
        "import sys, genesis.cache; "
        "print([m for m in ('sqlalchemy', 'numba', 'optuna', 'typer', 'rich', "
        "'genesis.evaluate') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_open_cache_dispatches_on_the_location(tmp_path: Path) -> None:
    assert isinstance(open_cache(tmp_path), DirectoryCache)
    assert isinstance(open_cache(str(tmp_path / "c")), DirectoryCache)
    sql = open_cache(f"sqlite:///{tmp_path / 'c.db'}")
    assert isinstance(sql, SqlCache)
    with pytest.raises(UsageError, match=r"unknown scheme 'redis' \(use a directory path"):
        open_cache("redis://localhost/0")
    with pytest.raises(UsageError, match=r"unknown scheme 'postgress' \(did you mean 'postgresql'"):
        open_cache("postgress://u@localhost/db")


def test_check_key() -> None:
    assert check_key("0" * 64) == "0" * 64
    with pytest.raises(ValueError):
        check_key("0" * 63)


def _info(key: str, created_s: float) -> CacheEntryInfo:
    return CacheEntryInfo(key, 10, created_s)


def test_select_prunable_by_age_then_count() -> None:
    infos = [_info("a", 100.0), _info("b", 900.0), _info("c", 950.0), _info("d", 990.0)]
    assert select_prunable(infos, older_than_s=None, keep_latest=None, now_s=1000.0) == []
    assert select_prunable(infos, older_than_s=500, keep_latest=None, now_s=1000.0) == ["a"]
    assert select_prunable(infos, older_than_s=500, keep_latest=2, now_s=1000.0) == ["a", "b"]
    assert sorted(select_prunable(infos, older_than_s=None, keep_latest=0, now_s=0)) == list("abcd")
    with pytest.raises(ValueError):
        select_prunable(infos, older_than_s=-1, keep_latest=None)


def test_cache_stats() -> None:
    assert CacheStats.of([]) == CacheStats(0, 0, None, None)
    assert CacheStats.of([_info("a", 5.0), _info("b", 2.0)]) == CacheStats(2, 20, 2.0, 5.0)
