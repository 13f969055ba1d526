"""An in-process :class:`~genesis.cache.base.ResultCache`: a dict, for tests and one-off runs.

It keeps the stored canonical text (not the caller's object), so it honours the same
contract as the persistent backends: ``get`` returns a fresh copy, unstorable payloads
are refused at ``put``, and damage is detected by the checksum. It is the big sibling of
the optimizer's in-run score memory, which keeps scores only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from genesis.cache._codec import decode_payload, encode_payload
from genesis.cache.base import (
    CacheEntryInfo,
    Payload,
    PayloadCheck,
    VerifyReport,
    check_key,
    select_prunable,
)
from genesis.errors import CorruptCacheEntry


class MemoryCache:
    """A :class:`~genesis.cache.base.ResultCache` held in a dict; gone with the process."""

    def __init__(self) -> None:
        self.location = "memory"
        # key -> (created_s, canonical payload text, checksum)
        self._entries: dict[str, tuple[float, str, str]] = {}

    def __repr__(self) -> str:
        return f"MemoryCache(<{len(self._entries)} entries>)"

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Payload | None:
        """The payload stored under ``key``, ``None`` if absent; CorruptCacheEntry if damaged."""
        stored = self._entries.get(check_key(key))
        if stored is None:
            return None
        _, text, checksum = stored
        return decode_payload(text, checksum, where=f"memory cache entry {key}")

    def put(self, key: str, payload: Payload) -> None:
        """Store a copy of ``payload`` under ``key`` (replacing any entry)."""
        text, checksum = encode_payload(check_key(key), payload)
        self._entries[key] = (time.time(), text, checksum)

    def delete(self, key: str) -> bool:
        """Remove the entry; True if there was one."""
        return self._entries.pop(check_key(key), None) is not None

    def entries(self) -> Iterator[CacheEntryInfo]:
        """Every entry's key, size (canonical text bytes) and creation time."""
        for key, (created_s, text, _) in list(self._entries.items()):
            yield CacheEntryInfo(key, len(text.encode()), created_s)

    def verify(self, check: PayloadCheck | None = None) -> VerifyReport:
        """Check every entry's checksum (and ``check`` its payload)."""
        n_ok = 0
        corrupt: list[tuple[str, str]] = []
        for key in list(self._entries):
            try:
                payload = self.get(key)
                if payload is not None and check is not None:
                    check(key, payload)
            except CorruptCacheEntry as error:
                corrupt.append((key, error.message))
            else:
                n_ok += 1
        return VerifyReport(n_ok, corrupt)

    def clear(self) -> int:
        """Remove every entry; the number removed."""
        n = len(self._entries)
        self._entries.clear()
        return n

    def prune(
        self,
        *,
        older_than_s: float | None = None,
        keep_latest: int | None = None,
        corrupt: bool = False,
        check: PayloadCheck | None = None,
    ) -> int:
        """Remove old, surplus or corrupt entries; see :meth:`ResultCache.prune`."""
        doomed = set(
            select_prunable(self.entries(), older_than_s=older_than_s, keep_latest=keep_latest)
        )
        if corrupt:
            doomed.update(key for key, _ in self.verify(check).corrupt)
        return sum(self.delete(key) for key in doomed)
