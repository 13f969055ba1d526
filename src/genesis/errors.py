"""The genesis error tree.

Every error a user can cause is a :class:`GenesisError` that says *what* is wrong,
*where* (file and line, YAML field path, trial number) and, when known, a *hint*.
The CLI turns these into one-line messages and exit codes; nothing below the CLI
prints. This module imports nothing from genesis.

Exit codes, one rule for every command (each class below carries its ``exit_code``):

* **2 — a user error**: what was asked cannot be done as given, and the user can fix it:
  a config, flag or environment value (:class:`ConfigError`), an unknown name or a bad
  argument (:class:`UsageError`), candles in a file the user named (:class:`DataError`),
  a strategy that is unknown or raises (:class:`StrategyError`), a run, champion or folder
  the user named that is missing, taken or not writable (:class:`ArtifactUsageError`), a
  database that refuses the URL given (wrong password, unknown role, database or host:
  :class:`StorageUsageError`).
* **1 — a failed run**: the input was fine, the work failed: no trial completed, a
  champion does not reproduce, the exchange, the database, the cache or the disk failed
  (:class:`DataFetchError`, :class:`StorageError`, :class:`CacheError`,
  :class:`ArtifactError`, :class:`BacktestError`, a bare :class:`GenesisError`).
* 130 after Ctrl-C, 143 after SIGTERM (the run directory is left consistent).
"""

from __future__ import annotations


class GenesisError(Exception):
    """Base of every error genesis raises on purpose.

    Args:
        message: What is wrong, in one sentence.
        where: Where it is wrong (a file and line, a YAML path, a trial), if known.
        hint: What the user can do about it, if known.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(GenesisError):
    """A configuration file, flag or environment variable is invalid."""

    exit_code = 2


class UsageError(GenesisError):
    """A command was called with arguments that cannot work (unknown name, bad value)."""

    exit_code = 2


class DataError(GenesisError):
    """Candles are missing, malformed or inconsistent (file, row, timestamp)."""

    exit_code = 2


class DataFetchError(DataError):
    """Candles could not be fetched from an exchange."""

    exit_code = 1


class StrategyError(GenesisError):
    """A strategy is unknown, misconfigured, or raised while computing signals.

    Inside an optimization this fails the trial; the run goes on.
    """

    exit_code = 2


class BacktestError(GenesisError):
    """A backtest broke an invariant or produced a non-finite score. Fails the trial."""


class CacheError(GenesisError):
    """The result cache cannot be read or written."""


class CorruptCacheEntry(CacheError):
    """A cache entry failed verification. Logged, counted, recomputed; never fatal."""


class StorageError(GenesisError):
    """The Optuna storage (journal file or database) cannot be used."""


class StorageUsageError(StorageError):
    """The database refused the URL given: wrong password, unknown role, database or host."""

    exit_code = 2


class ArtifactError(GenesisError):
    """A run directory or one of its files cannot be read or written."""


class ArtifactUsageError(ArtifactError):
    """A run, champion or folder the user named is missing, taken or not writable."""

    exit_code = 2


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: the run directory is made consistent, then exit 143."""


class ArtifactsIncomplete(KeyboardInterrupt):
    """A second interrupt came while the run's artifacts were being written.

    The study storage holds every finished trial; ``--resume`` rewrites the artifacts.
    """


__all__ = [
    "ArtifactError",
    "ArtifactUsageError",
    "ArtifactsIncomplete",
    "BacktestError",
    "CacheError",
    "ConfigError",
    "CorruptCacheEntry",
    "DataError",
    "DataFetchError",
    "GenesisError",
    "StorageError",
    "StorageUsageError",
    "StrategyError",
    "Terminated",
    "UsageError",
]
