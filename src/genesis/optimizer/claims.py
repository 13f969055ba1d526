"""The dedup guard (``_dedup.db``): who is computing which backtest, and what is done.

Before a worker runs a backtest that is in neither the score memory nor the result
cache, it *claims* the key. A second worker that wants the same key finds the claim and
waits for the result instead of computing it again (single flight). A claim whose holder
died (same host, its pid gone or reused) is taken over. SQLite in WAL mode is enough for
the processes of one machine; many machines share results through the SQL cache.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from genesis.errors import StorageError
from genesis.optimizer.owner import Owner

_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    trial INTEGER NOT NULL,
    claimed_s REAL NOT NULL,
    start_ticks INTEGER
);
CREATE TABLE IF NOT EXISTS done (
    key TEXT PRIMARY KEY,
    trial INTEGER NOT NULL,
    finished_s REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Claim:
    """Who holds a key."""

    host: str
    pid: int
    trial: int
    claimed_s: float
    start_ticks: int | None = None

    def holder_alive(self) -> bool:
        """False only when the holder is surely dead (same host, its process gone)."""
        return Owner(self.host, self.pid, self.start_ticks).alive()


class DedupGuard:
    """Claims and finished keys of one run, in ``_dedup.db``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        me = Owner.current()
        self._host, self._pid, self._start_ticks = me.host, me.pid, me.start_ticks
        try:
            self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise StorageError(f"cannot open the dedup guard: {error}", where=str(path)) from error

    def claim(self, key: str, trial: int) -> Claim | None:
        """Claim ``key`` for this process. Returns ``None`` on success, else the live holder.

        A claim held by a dead process (or by this process) is taken over.
        """
        now = time.time()
        row = (key, self._host, self._pid, trial, now, self._start_ticks)
        try:
            cur = self._db.execute("INSERT OR IGNORE INTO claims VALUES (?, ?, ?, ?, ?, ?)", row)
            if cur.rowcount == 1:
                return None
            holder = self.holder(key)
            if holder is None:
                return self.claim(key, trial)
            if (holder.host, holder.pid) == (self._host, self._pid) or not holder.holder_alive():
                self._db.execute("REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?)", row)
                return None
            return holder
        except sqlite3.Error as error:
            raise StorageError(f"dedup guard: {error}", where=str(self.path)) from error

    def release(self, key: str, trial: int, *, done: bool) -> None:
        """Drop this process's claim on ``key``; record it as done when the result is stored."""
        try:
            self._db.execute("BEGIN")
            self._db.execute(
                "DELETE FROM claims WHERE key = ? AND host = ? AND pid = ?",
                (key, self._host, self._pid),
            )
            if done:
                self._db.execute(
                    "INSERT OR IGNORE INTO done VALUES (?, ?, ?)", (key, trial, time.time())
                )
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            raise StorageError(f"dedup guard: {error}", where=str(self.path)) from error

    def holder(self, key: str) -> Claim | None:
        """The current claim on ``key``, if any."""
        found = self._db.execute(
            "SELECT host, pid, trial, claimed_s, start_ticks FROM claims WHERE key = ?", (key,)
        ).fetchone()
        return Claim(*found) if found else None

    def close(self) -> None:
        self._db.close()
