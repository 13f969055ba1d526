"""The dedup guard (``_dedup.db``): who is computing which backtest, and what is done.

Before a worker runs a backtest that is in neither the score memory nor the result
cache, it *claims* the key. A second worker that wants the same key finds the claim and
waits for the result instead of computing it again (single flight). A claim whose holder
died (same host, its pid gone or reused) is taken over. SQLite in WAL mode is enough for
the processes of one machine.

Many machines sharing a PostgreSQL cache claim in that database instead
(:class:`AdvisoryClaims`): a claim is a session-level advisory lock, which the server
releases by itself when its holder's connection ends (a killed process, a dead host).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from genesis.errors import StorageError
from genesis.storage import log
from genesis.storage.interrupts import caused_by_interrupt
from genesis.storage.owner import Owner

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


class Claims(Protocol):
    """Who computes which key: :class:`DedupGuard` (one machine), :class:`AdvisoryClaims` (many)."""

    def claim(self, key: str, trial: int) -> Claim | None:
        """Claim ``key``; ``None`` when this process holds it now, else the live holder."""

    def release(self, key: str, trial: int, *, done: bool) -> None:
        """Drop this process's claim on ``key``."""

    def close(self) -> None:
        """Let go of the claims' database."""


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
            except BaseException:
                # A Ctrl-C between BEGIN and COMMIT must not leave the transaction open:
                # every later BEGIN of this connection would fail ("within a transaction").
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
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


_CLAIMS_TABLE = "genesis_claims"


class AdvisoryClaims:
    """Claims as PostgreSQL advisory locks on one connection, shared by every machine.

    The lock is what counts: the server frees it when the holder's connection closes, so
    a claim of a killed process (on any host) is free at once. A small table says who
    holds which key, for the log. A database error costs single flight, never a trial:
    the key is then computed without a claim.
    """

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self._sa = sa
        me = Owner.current()
        self._me = me
        driver_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        # Keepalives: a host that vanishes without closing its socket frees its locks in
        # about a minute instead of the kernel's default two hours.
        connect_args = {
            "connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10,
            "keepalives_interval": 5, "keepalives_count": 3,
        }  # fmt: skip
        self._engine = sa.create_engine(
            driver_url, poolclass=sa.pool.NullPool, connect_args=connect_args
        )
        self._conn: Any = None
        self._held: set[str] = set()
        self._warned = False
        with self._engine.begin() as conn:
            conn.execute(sa.text(
                f"CREATE TABLE IF NOT EXISTS {_CLAIMS_TABLE} (key TEXT PRIMARY KEY, "
                "host TEXT NOT NULL, pid INTEGER NOT NULL, trial INTEGER NOT NULL, "
                "claimed_s DOUBLE PRECISION NOT NULL)"
            ))  # fmt: skip

    def claim(self, key: str, trial: int) -> Claim | None:
        sa = self._sa
        try:
            conn = self._connection()
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_id(key)})
            if got.scalar():
                self._held.add(key)
                self._warned = False  # the next outage gets its own line
                conn.execute(
                    sa.text(
                        f"INSERT INTO {_CLAIMS_TABLE} VALUES (:key, :host, :pid, :trial, :s) "
                        "ON CONFLICT (key) DO UPDATE SET host = EXCLUDED.host, "
                        "pid = EXCLUDED.pid, trial = EXCLUDED.trial, claimed_s = EXCLUDED.claimed_s"
                    ),
                    {"key": key, "host": self._me.host, "pid": self._me.pid, "trial": trial,
                     "s": time.time()},
                )  # fmt: skip
                return None
            row = conn.execute(
                sa.text(f"SELECT host, pid, trial, claimed_s FROM {_CLAIMS_TABLE} WHERE key = :k"),
                {"k": key},
            ).first()
        except sa.exc.SQLAlchemyError as error:
            self._lost(error)
            return None
        if row is None:  # locked, but its row not yet written
            return Claim("unknown", 0, -1, time.time())
        return Claim(str(row[0]), int(row[1]), int(row[2]), float(row[3]))

    def release(self, key: str, trial: int, *, done: bool) -> None:
        sa = self._sa
        if key not in self._held:
            return
        self._held.discard(key)
        try:
            conn = self._connection()
            conn.execute(
                sa.text(f"DELETE FROM {_CLAIMS_TABLE} WHERE key = :k AND host = :h AND pid = :p"),
                {"k": key, "h": self._me.host, "p": self._me.pid},
            )
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_id(key)})
        except sa.exc.SQLAlchemyError as error:  # the lock died with the connection anyway
            self._lost(error)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        self._engine.dispose()

    def _connection(self) -> Any:
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def _lost(self, error: Exception) -> None:
        """Drop the connection (its locks are gone with it); warn once per outage.

        A Ctrl-C that cancelled the query is raised again, never taken for an outage.
        """
        if caused_by_interrupt(error):
            raise KeyboardInterrupt from error
        self._held.clear()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.invalidate()
                self._conn.close()
            self._conn = None
        if not self._warned:
            self._warned = True
            cause = getattr(error, "orig", None) or error
            first = (str(cause).strip().splitlines() or [""])[0]
            log.logger.warning(
                "[CACHE] claims unavailable (%s: %s): computing without single flight",
                type(cause).__name__, first,
            )  # fmt: skip


def _lock_id(key: str) -> int:
    """A signed 64-bit advisory lock id from a hex cache key (collisions: ~2^-64 per pair)."""
    value = int(key[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value
