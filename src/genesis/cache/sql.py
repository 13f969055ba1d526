"""A :class:`~genesis.cache.base.ResultCache` in a SQL table, for many machines sharing results.

One table (``genesis_result_cache`` unless told otherwise), created on first use::

    key TEXT PRIMARY KEY, created DOUBLE, checksum TEXT, payload TEXT

``payload`` holds the canonical JSON text and ``checksum`` its SHA-256, verified on every
read exactly like the directory backend. ``put`` is one upsert statement (``INSERT … ON
CONFLICT (key) DO UPDATE``), atomic by the database's own transaction, so concurrent
writers of one key on any number of machines are safe. SQLite and PostgreSQL are
supported (``postgresql://`` means the psycopg 3 driver).

SQLAlchemy is imported when a :class:`SqlCache` is created, never by ``import
genesis.cache``, and every :class:`sqlalchemy.exc.SQLAlchemyError` becomes a
:class:`~genesis.errors.CacheError` naming the URL with its password masked.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from genesis.cache._codec import decode_payload, encode_payload
from genesis.cache.base import (
    CacheEntryInfo,
    Payload,
    PayloadCheck,
    VerifyReport,
    check_key,
    select_prunable,
)
from genesis.cache.database import connect_problem
from genesis.errors import CacheError, CorruptCacheEntry

if TYPE_CHECKING:
    from sqlalchemy import Engine, Executable, Table
    from sqlalchemy.engine import URL

DEFAULT_TABLE = "genesis_result_cache"
_TABLE_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_DELETE_BATCH = 500


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (safe to print and log)."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


class SqlCache:
    """A :class:`~genesis.cache.base.ResultCache` in one table of a SQLite or PostgreSQL database.

    Args:
        url: A SQLAlchemy URL: ``sqlite:///path/cache.db`` or ``postgresql://user@host/db``.
        table: The table to use (created if missing), e.g. a unique one per test.

    Raises:
        CacheError: the URL is invalid, the database unreachable, or the table not creatable.
    """

    def __init__(self, url: str, *, table: str = DEFAULT_TABLE) -> None:
        import sqlalchemy as sa

        if not _TABLE_NAME_RE.fullmatch(table):
            raise ValueError(f"not a plain SQL table name: {table!r}")
        self.location = mask_url(url)
        self.table_name = table
        with self._translated("open the result cache"):
            parsed = _with_driver(sa.make_url(url))
            self.location = parsed.render_as_string(hide_password=True)
            self._engine = _create_engine(parsed)
            self._table = _define_table(table)
            _create_table(self._engine, self._table)
            # PostgreSQL reads in autocommit: one SELECT needs no transaction, and it saves
            # the ROLLBACK round trip on return to the pool (get: 400 → 330 µs). On SQLite
            # that switch costs more than it saves (130 → 220 µs), so it is left alone.
            self._reader = self._engine
            if self._engine.dialect.name == "postgresql":
                self._reader = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        self._build_statements()

    def __repr__(self) -> str:
        return f"SqlCache({self.location!r}, table={self.table_name!r})"

    def _build_statements(self) -> None:
        import sqlalchemy as sa

        t = self._table
        self._upsert = _upsert_statement(self._engine.dialect.name, t)
        self._select_one = sa.select(t.c.checksum, t.c.payload).where(t.c.key == sa.bindparam("k"))
        self._delete_one = sa.delete(t).where(t.c.key == sa.bindparam("k"))

    @contextlib.contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """Turn any SQLAlchemy error raised inside into a :class:`CacheError`."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            yield
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            detail = str(cause).strip().splitlines()[0] if str(cause).strip() else repr(cause)
            said = connect_problem(error, refused_is_final=True)  # what the server said
            raise CacheError(
                f"cannot {action} at {self.location}: "
                + (said if said is not None else f"{type(cause).__name__}: {detail}")
            ) from error

    def close(self) -> None:
        """Release the connection pool (the object may not be used afterwards)."""
        self._engine.dispose()

    def get(self, key: str) -> Payload | None:
        """The payload stored under ``key``, ``None`` if absent; CorruptCacheEntry if damaged."""
        check_key(key)
        with self._translated(f"read cache entry {key}"), self._reader.connect() as conn:
            row = conn.execute(self._select_one, {"k": key}).first()
        if row is None:
            return None
        return decode_payload(row[1], row[0], where=self._where(key))

    def put(self, key: str, payload: Payload) -> None:
        """Store ``payload`` under ``key`` with one atomic upsert."""
        text, checksum = encode_payload(check_key(key), payload)
        values = {"key": key, "created": time.time(), "checksum": checksum, "payload": text}
        with self._translated(f"write cache entry {key}"), self._engine.begin() as conn:
            conn.execute(self._upsert, values)

    def delete(self, key: str) -> bool:
        """Remove the entry; True if there was one."""
        check_key(key)
        with self._translated(f"delete cache entry {key}"), self._engine.begin() as conn:
            return conn.execute(self._delete_one, {"k": key}).rowcount > 0

    def entries(self) -> Iterator[CacheEntryInfo]:
        """Every entry's key, payload size and creation time (payloads stay in the database)."""
        import sqlalchemy as sa

        t = self._table
        query = sa.select(t.c.key, sa.func.length(t.c.payload), t.c.created)
        with self._translated("list cache entries"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        for key, size, created_s in rows:
            yield CacheEntryInfo(key, int(size or 0), float(created_s or 0.0))

    def verify(self, check: PayloadCheck | None = None) -> VerifyReport:
        """Read and check every entry's checksum (and ``check`` its payload)."""
        import sqlalchemy as sa

        t = self._table
        n_ok = 0
        corrupt: list[tuple[str, str]] = []
        query = sa.select(t.c.key, t.c.checksum, t.c.payload)
        with self._translated("verify cache entries"), self._engine.connect() as conn:
            for key, checksum, text in conn.execution_options(yield_per=500).execute(query):
                try:
                    payload = decode_payload(text, checksum, where=self._where(key))
                    if check is not None:
                        check(key, payload)
                except CorruptCacheEntry as error:
                    corrupt.append((key, error.message))
                else:
                    n_ok += 1
        return VerifyReport(n_ok, corrupt)

    def clear(self) -> int:
        """Remove every entry; the number removed."""
        import sqlalchemy as sa

        with self._translated("clear the result cache"), self._engine.begin() as conn:
            return conn.execute(sa.delete(self._table)).rowcount

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
        return self._delete_many(sorted(doomed))

    def _delete_many(self, keys: list[str]) -> int:
        import sqlalchemy as sa

        t = self._table
        n = 0
        with self._translated("prune the result cache"), self._engine.begin() as conn:
            for start in range(0, len(keys), _DELETE_BATCH):
                batch = keys[start : start + _DELETE_BATCH]
                n += conn.execute(sa.delete(t).where(t.c.key.in_(batch))).rowcount
        return n

    def _where(self, key: str) -> str:
        return f"{self.location} table {self.table_name} key {key}"


def _with_driver(url: URL) -> URL:
    """``postgresql://`` (and the old ``postgres://``) → the installed psycopg 3 driver."""
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _upsert_statement(dialect: str, table: Table) -> Executable:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` in the dialect's own words."""
    columns = ("created", "checksum", "payload")
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(table)
        return pg.on_conflict_do_update(
            index_elements=[table.c.key], set_={name: pg.excluded[name] for name in columns}
        )
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    lite = sqlite_insert(table)
    return lite.on_conflict_do_update(
        index_elements=[table.c.key], set_={name: lite.excluded[name] for name in columns}
    )


def _create_engine(url: URL) -> Engine:
    import sqlalchemy as sa

    if url.get_backend_name() != "sqlite":
        # No pool_pre_ping: it costs a round trip per get (~0.1 ms of ~0.4); a connection
        # the server dropped fails once with CacheError, which callers treat as a miss.
        return sa.create_engine(url)
    engine = sa.create_engine(url, connect_args={"timeout": 30.0})

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL: readers never wait for a writer; NORMAL is crash-safe in WAL mode.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    return engine


def _define_table(name: str) -> Table:
    import sqlalchemy as sa

    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("created", sa.Double, nullable=False),
        sa.Column("checksum", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )


def _create_table(engine: Engine, table: Table) -> None:
    """Create ``table`` unless it exists; tolerate another process creating it meanwhile."""
    import sqlalchemy as sa

    try:
        table.create(engine, checkfirst=True)
    except (sa.exc.IntegrityError, sa.exc.ProgrammingError, sa.exc.OperationalError):
        if not sa.inspect(engine).has_table(table.name):
            raise
