"""Optuna storages for genesis: a journal file locally, an RDB (PostgreSQL) across machines.

The local default is Optuna's journal file (SQLite is slow and locks under parallel
workers, see OPTUNA5.md) written through :class:`~genesis.storage.journal.GenesisJournalBackend`:
an ordinary journal that ``optuna-dashboard`` and Optuna's own writers share, with a lock
that a killed worker does not leave behind.
"""

from __future__ import annotations

from pathlib import Path

from optuna.storages import BaseStorage

from genesis.cache.database import check_scheme
from genesis.config import has_masked_password, mask_password
from genesis.errors import ConfigError, StorageError
from genesis.storage.journal import GenesisJournalBackend, GenesisJournalStorage

JOURNAL_NAME = "study.journal"
_SCHEMES = ("postgresql", "journal", "sqlite", "mysql", "postgres")
_USAGE = "use postgresql://user@host/db, or journal:/path/to/study.journal"


def open_storage(
    url: str | None,
    run_dir: Path,
    *,
    retry_s: float = 120.0,
    heartbeat_interval_s: int = 5,
    grace_s: int = 15,
) -> BaseStorage:
    """The storage for a run: ``url`` if given, else the journal file in ``run_dir``.

    A database storage waits out outages for ``retry_s`` and records heartbeats
    (:mod:`genesis.storage.rdb`).

    Raises:
        ConfigError: the URL's password is masked (a run directory's ``config.yaml``).
        UsageError: the URL's scheme is not a storage's (``postgress://``: did you mean …).
        StorageError: the database cannot be reached or the URL is not a storage URL.
    """
    if url is None or url.startswith("journal:"):
        path = run_dir / JOURNAL_NAME if url is None else Path(url.removeprefix("journal:"))
        try:
            return GenesisJournalStorage(GenesisJournalBackend(str(path)))
        except OSError as error:
            raise StorageError(f"cannot open journal: {error.strerror}", where=str(path)) from None
    refuse_masked(url, "storage", "--storage or GENESIS_STORAGE_URL")
    check_scheme(url, _SCHEMES, field="storage", usage=_USAGE)
    from sqlalchemy.exc import SQLAlchemyError

    for plain in ("postgresql://", "postgres://"):  # the installed driver is psycopg 3
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url.removeprefix(plain)
    from genesis.storage.rdb import describe_error, open_rdb

    try:
        return open_rdb(
            url, mask_password(url), retry_s=retry_s,
            heartbeat_interval_s=heartbeat_interval_s, grace_s=grace_s,
        )  # fmt: skip
    except (SQLAlchemyError, ImportError, ValueError) as error:  # translate where they enter
        raise StorageError(
            f"cannot open storage {mask_password(url)}: {describe_error(error)}"
        ) from error


def refuse_masked(url: str, field: str, instead: str) -> None:
    """Raise ConfigError if ``url`` is a masked one, which cannot log in.

    Raises:
        ConfigError: the URL's password is ``***``.
    """
    if has_masked_password(url):
        raise ConfigError(
            f"{field}: {url} has its password masked (a run directory's config.yaml keeps "
            "no secrets)",
            hint=f"give the real URL with {instead}, or use the original config file",
        )


__all__ = ["JOURNAL_NAME", "mask_password", "open_storage", "refuse_masked"]
