"""Optuna storages for genesis: a journal file locally, an RDB (PostgreSQL) across machines.

The local default is Optuna's journal file (SQLite is slow and locks under parallel
workers, see OPTUNA5.md) written through :class:`~genesis.optimizer.journal.GenesisJournalBackend`:
an ordinary journal that ``optuna-dashboard`` and Optuna's own writers share, with a lock
that a killed worker does not leave behind.
"""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.storages import BaseStorage, JournalStorage

from genesis.config import has_masked_password, mask_password
from genesis.errors import ConfigError, StorageError
from genesis.optimizer.journal import GenesisJournalBackend

JOURNAL_NAME = "study.journal"


def open_storage(url: str | None, run_dir: Path) -> BaseStorage:
    """The storage for a run: ``url`` if given, else the journal file in ``run_dir``.

    Raises:
        ConfigError: the URL's password is masked (a run directory's ``config.yaml``).
        StorageError: the database cannot be reached or the URL is not a storage URL.
    """
    if url is None or url.startswith("journal:"):
        path = run_dir / JOURNAL_NAME if url is None else Path(url.removeprefix("journal:"))
        try:
            return JournalStorage(GenesisJournalBackend(str(path)))
        except OSError as error:
            raise StorageError(f"cannot open journal: {error.strerror}", where=str(path)) from None
    refuse_masked(url, "storage", "--storage or GENESIS_STORAGE_URL")
    from sqlalchemy.exc import SQLAlchemyError

    for plain in ("postgresql://", "postgres://"):  # the installed driver is psycopg 3
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url.removeprefix(plain)
    try:
        return optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
    except (SQLAlchemyError, ImportError, ValueError) as error:  # translate where they enter
        raise StorageError(
            f"cannot open storage {mask_password(url)}: {type(error).__name__}: {error}"
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
