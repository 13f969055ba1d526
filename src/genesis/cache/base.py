"""The result-cache seam: one protocol, implemented by memory, a directory and SQL.

Contract (every backend, checked by one contract test suite in ``tests/unit/cache``):

* Entries are JSON objects (never pickle), addressed by a 64-hex-digit key (see
  :func:`~genesis.cache.key.cache_key`). A key of any other shape is a programming error
  and raises :class:`ValueError` before anything is touched.
* A payload must be JSON with finite numbers (no NaN/inf: an undefined metric is
  ``None``). ``get`` returns a fresh, equal copy of what was ``put``: floats, ints,
  ``None``, nested dicts, lists and unicode survive exactly; tuples come back as lists.
* ``put`` is atomic: a reader sees either no entry or the whole entry, never part of one,
  even when the writer is killed midway (a killed writer's leftovers are invisible to
  readers and removed by ``prune``/``verify``). Two writers of the same key write the
  same content (same spec → same result), so last-writer-wins is safe.
* ``get`` verifies what it reads (format, the key inside the entry, a SHA-256 checksum of
  the canonical payload JSON). A missing entry returns ``None``; a damaged one raises
  :class:`~genesis.errors.CorruptCacheEntry` naming the entry and what is wrong — the
  caller logs it, counts it, recomputes and ``put``\\ s over it. It is never fatal.
* Any other failure to read or write (disk full, database down) raises
  :class:`~genesis.errors.CacheError`; foreign exceptions never escape a backend.
* Any number of processes (and, for SQL, machines) may share one cache. A cache *object*
  belongs to one process: open a new one after ``fork`` rather than inheriting it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

Payload = dict[str, Any]
PayloadCheck = Callable[[str, Payload], object]
"""``check(key, payload)`` raises CorruptCacheEntry for a payload a run cannot use."""

ENTRY_FORMAT = 1
"""Version of the stored entry's envelope (``format`` field); bump when it changes shape."""

_KEY_RE = re.compile(r"[0-9a-f]{64}")


def check_key(key: str) -> str:
    """Return ``key`` if it is 64 lowercase hex digits, else raise :class:`ValueError`."""
    if not _KEY_RE.fullmatch(key):
        raise ValueError(f"not a cache key (64 lowercase hex digits): {key!r}")
    return key


@dataclass(frozen=True)
class CacheEntryInfo:
    """What ``stats``/``prune`` need to know of one entry without reading its payload."""

    key: str
    size_bytes: int
    created_s: float  # epoch seconds


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of checking every entry.

    Attributes:
        n_ok: Entries that passed verification.
        corrupt: ``(key or file, what is wrong)`` for each entry that failed.
        n_temp_removed: Leftovers of killed writers removed on the way (directory only).
    """

    n_ok: int
    corrupt: list[tuple[str, str]] = field(default_factory=list)
    n_temp_removed: int = 0


@dataclass(frozen=True)
class CacheStats:
    """Size and age of a cache, computed from :meth:`ResultCache.entries`."""

    n_entries: int
    total_bytes: int
    oldest_s: float | None  # epoch seconds; None when empty
    newest_s: float | None

    @classmethod
    def of(cls, entries: Iterable[CacheEntryInfo]) -> CacheStats:
        """Summarize ``entries`` (typically ``cache.entries()``) in one pass."""
        n = total = 0
        oldest: float | None = None
        newest: float | None = None
        for info in entries:
            n += 1
            total += info.size_bytes
            oldest = info.created_s if oldest is None else min(oldest, info.created_s)
            newest = info.created_s if newest is None else max(newest, info.created_s)
        return cls(n, total, oldest, newest)


class ResultCache(Protocol):
    """Content-addressed store of backtest results. See the module docstring."""

    location: str
    """Where the cache lives (a directory, or a database URL with the password masked)."""

    def get(self, key: str) -> Payload | None:
        """The payload stored under ``key``, ``None`` if absent; CorruptCacheEntry if damaged."""
        ...

    def put(self, key: str, payload: Payload) -> None:
        """Store ``payload`` under ``key`` atomically (replacing any entry)."""
        ...

    def delete(self, key: str) -> bool:
        """Remove the entry; True if there was one."""
        ...

    def entries(self) -> Iterator[CacheEntryInfo]:
        """Every entry's key, size and creation time (no payloads read)."""
        ...

    def verify(self, check: PayloadCheck | None = None) -> VerifyReport:
        """Read and check every entry (and remove a killed writer's leftovers).

        Args:
            check: Also applied to every readable payload (``check_result``: the checks a
                run applies); a :class:`~genesis.errors.CorruptCacheEntry` it raises
                counts the entry as corrupt.
        """
        ...

    def clear(self) -> int:
        """Remove every entry; the number removed."""
        ...

    def prune(
        self,
        *,
        older_than_s: float | None = None,
        keep_latest: int | None = None,
        corrupt: bool = False,
        check: PayloadCheck | None = None,
    ) -> int:
        """Remove old, surplus or corrupt entries; the number removed.

        Args:
            older_than_s: Remove entries created more than this many seconds ago.
            keep_latest: Then keep only this many of the newest remaining entries.
            corrupt: Also remove every entry that fails verification.
            check: With ``corrupt``, the ``check`` of :meth:`verify`.
        """
        ...


def select_prunable(
    entries: Iterable[CacheEntryInfo],
    *,
    older_than_s: float | None,
    keep_latest: int | None,
    now_s: float | None = None,
) -> list[str]:
    """The keys ``prune`` removes by age and count (shared by every backend).

    Raises:
        ValueError: ``older_than_s`` or ``keep_latest`` is negative.
    """
    if older_than_s is not None and older_than_s < 0:
        raise ValueError(f"older_than_s must be >= 0, got {older_than_s}")
    if keep_latest is not None and keep_latest < 0:
        raise ValueError(f"keep_latest must be >= 0, got {keep_latest}")
    now = time.time() if now_s is None else now_s
    newest_first = sorted(entries, key=lambda info: info.created_s, reverse=True)
    doomed: list[str] = []
    kept: list[CacheEntryInfo] = []
    for info in newest_first:
        if older_than_s is not None and now - info.created_s > older_than_s:
            doomed.append(info.key)
        else:
            kept.append(info)
    if keep_latest is not None:
        doomed.extend(info.key for info in kept[keep_latest:])
    return doomed
