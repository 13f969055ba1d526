"""The result cache: never run the same backtest twice.

A backtest is addressed by :func:`cache_key` (the hash of its canonical
:class:`~genesis.evaluate.BacktestSpec`) and its result stored as JSON in a
:class:`ResultCache`: a :class:`DirectoryCache` by default (shared by every run under
``results/hparam_search/_cache``), a :class:`SqlCache` on SQLite or PostgreSQL for many
machines, or a :class:`MemoryCache` in tests. :func:`open_cache` picks one from a path or
URL. The contract every backend keeps is in :mod:`genesis.cache.base`.

Importing this package is cheap: no numba, engine or SQLAlchemy until a backend needs it.
"""

from __future__ import annotations

from pathlib import Path

from genesis.cache._codec import check_result
from genesis.cache.base import (
    CacheEntryInfo,
    CacheStats,
    Payload,
    PayloadCheck,
    ResultCache,
    VerifyReport,
)
from genesis.cache.database import check_scheme
from genesis.cache.directory import DEFAULT_CACHE_DIR, DirectoryCache
from genesis.cache.key import cache_key, canonical_json
from genesis.cache.memory import MemoryCache
from genesis.cache.sql import SqlCache
from genesis.cache.write_behind import WriteBehindCache

_SQL_SCHEMES = ("postgresql", "sqlite", "postgres")
_USAGE = "use a directory path, sqlite:///path/to/cache.db or postgresql://user@host/db"


def open_cache(location: str | Path) -> ResultCache:
    """The cache at ``location``: a directory path, ``sqlite:///file.db`` or ``postgresql://…``.

    Raises:
        UsageError: ``location`` is a URL of a kind genesis cannot store results in.
    """
    if isinstance(location, Path) or "://" not in location:
        return DirectoryCache(Path(location))
    check_scheme(location, _SQL_SCHEMES, field="cache location", usage=_USAGE)
    return SqlCache(location)


__all__ = [
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
