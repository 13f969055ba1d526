"""Fixtures of the cache tests: the PostgreSQL URL, and one harness per cache backend.

``postgres_url`` is meant to move to the root ``tests/conftest.py`` (any test that needs
PostgreSQL should use it). ``backend`` gives each contract test a fresh, empty cache of
one kind plus the backend-specific tools the contract needs to break it on purpose.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from genesis.cache import DirectoryCache, MemoryCache, ResultCache, SqlCache


@dataclass
class Backend:
    """A cache under test and the tools to damage, age and half-write its entries.

    Attributes:
        name: memory, directory, sqlite or postgresql.
        open: A new cache object on the same storage (as another process would open it).
        corrupt: Damage the stored entry of a key; the mode is "truncate" or "edit".
        age: Make an entry look ``seconds`` older than it is.
        multiprocess: Whether several processes can share the storage.
    """

    name: str
    open: Callable[[], ResultCache]
    corrupt: Callable[[str, str], None]
    age: Callable[[str, float], None]
    multiprocess: bool = True


def _memory_backend() -> Backend:
    cache = MemoryCache()

    def corrupt(key: str, mode: str) -> None:
        created, text, checksum = cache._entries[key]
        text = text[: len(text) // 2] if mode == "truncate" else text.replace("1", "2", 1)
        cache._entries[key] = (created, text, checksum)

    def age(key: str, seconds: float) -> None:
        created, text, checksum = cache._entries[key]
        cache._entries[key] = (created - seconds, text, checksum)

    return Backend("memory", lambda: cache, corrupt, age, multiprocess=False)


def _directory_backend(root: Path) -> Backend:
    def corrupt(key: str, mode: str) -> None:
        path = DirectoryCache(root).path_of(key)
        raw = path.read_bytes()
        if mode == "truncate":
            path.write_bytes(raw[: len(raw) // 2])
        else:  # a number inside the payload changes, the envelope stays valid JSON
            head, payload = raw.split(b'"payload":', 1)
            path.write_bytes(head + b'"payload":' + payload.replace(b"1", b"2", 1))

    def age(key: str, seconds: float) -> None:
        path = DirectoryCache(root).path_of(key)
        then = path.stat().st_mtime - seconds
        os.utime(path, (then, then))

    return Backend("directory", lambda: DirectoryCache(root), corrupt, age)


def _sql_backend(name: str, url: str, table: str) -> Backend:
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    tbl = sa.table(table, sa.column("key"), sa.column("payload"), sa.column("created"))

    def update(key: str, **values: Any) -> None:
        with engine.begin() as conn:
            conn.execute(sa.update(tbl).where(tbl.c.key == key).values(**values))

    def corrupt(key: str, mode: str) -> None:
        with engine.connect() as conn:
            text = conn.execute(sa.select(tbl.c.payload).where(tbl.c.key == key)).scalar_one()
        update(
            key, payload=text[: len(text) // 2] if mode == "truncate" else text.replace("1", "2", 1)
        )

    def age(key: str, seconds: float) -> None:
        update(key, created=tbl.c.created - seconds)

    return Backend(name, lambda: SqlCache(url, table=table), corrupt, age)


@pytest.fixture(
    params=["memory", "directory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh, empty cache of every kind, in turn."""
    kind: str = request.param
    if kind == "memory":
        yield _memory_backend()
    elif kind == "directory":
        yield _directory_backend(tmp_path / "_cache")
    elif kind == "sqlite":
        yield _sql_backend(kind, f"sqlite:///{tmp_path / 'cache.db'}", "genesis_result_cache")
    else:
        url = request.getfixturevalue("postgres_url")
        table = f"genesis_result_cache_test_{uuid.uuid4().hex[:12]}"
        yield _sql_backend(kind, url, table)
        _drop_table(url, table)


@pytest.fixture
def cache(backend: Backend) -> ResultCache:
    """The backend's cache, opened once."""
    return backend.open()


def _drop_table(url: str, table: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
    engine.dispose()
