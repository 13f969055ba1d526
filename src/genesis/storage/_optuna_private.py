"""Every private Optuna API genesis uses, in one place, with the reason it is needed.

genesis supports Optuna 5.0 and 5.1 (``pyproject.toml``). Names that begin with ``_``,
or live in a module that does, may change in any Optuna release. The importable ones are
imported here and nowhere else (modules import them from this one); the attributes and
methods genesis uses on Optuna's objects are listed in :data:`PRIVATE_APIS`.
``tests/unit/optimizer/test_optuna_private.py`` checks each entry against the installed
Optuna (presence, and for callables the signature) and names the API that changed, so
that a new Optuna fails there first instead of somewhere in a run.
"""

from __future__ import annotations

from dataclasses import dataclass

from optuna.storages.journal._file import LOCK_FILE_SUFFIX, BaseJournalFileLock, get_lock_file
from optuna.storages.journal._storage import NOT_FOUND_MSG, UNUPDATABLE_MSG
from optuna.study._tell import _tell_with_warning

RDB_STORAGE_LOGGER = "optuna.storages._rdb.storage"
"""The logger of Optuna's RDB storage (its module's ``__name__``), whose notes genesis filters."""
RDB_HEARTBEAT_TABLE = "trial_heartbeats"
"""The table of Optuna's RDB schema where trials' heartbeats are (``TrialHeartbeatModel``)."""


@dataclass(frozen=True)
class PrivateApi:
    """One private Optuna API: where it is (``module:qualified.name``), why, its signature.

    ``signature`` is ``str(inspect.signature(...))`` for a callable, ``None`` for a value
    or an attribute (checked for presence only).
    """

    path: str
    reason: str
    signature: str | None = None


PRIVATE_APIS: tuple[PrivateApi, ...] = (
    PrivateApi(
        "optuna.study._tell:_tell_with_warning",
        "loop.run_trial: Study.tell without the deep copy of the trial it returns "
        "(5 % of a trial's time)",
        "(study: 'Study', trial: 'Trial | int', value_or_values: 'float | Sequence[float] | "
        "None' = None, state: 'TrialState | None' = None, skip_if_finished: 'bool' = False, "
        "suppress_warning: 'bool' = False) -> 'tuple[TrialState, list[float] | None, str | None]'",
    ),
    PrivateApi(
        "optuna.storages.journal._file:get_lock_file",
        "journal.GenesisJournalBackend: appends and tail repairs under the backend's lock",
        "(lock_obj: 'BaseJournalFileLock') -> 'Generator[None, None, None]'",
    ),
    PrivateApi(
        "optuna.storages.journal._file:BaseJournalFileLock",
        "journal_lock.JournalLock: genesis's flock-based lock is one Optuna's backend takes",
    ),
    PrivateApi(
        "optuna.storages.journal._file:LOCK_FILE_SUFFIX",
        "journal_lock.JournalLock: the lock file name Optuna's own writers use",
    ),
    PrivateApi(
        "optuna.storages.journal._storage:NOT_FOUND_MSG",
        "journal.GenesisJournalStorage: a grouped write raises what Optuna's replay raises",
    ),
    PrivateApi(
        "optuna.storages.journal._storage:UNUPDATABLE_MSG",
        "journal.GenesisJournalStorage: a grouped write raises what Optuna's replay raises",
    ),
    PrivateApi(
        "optuna.storages._rdb.storage:RDBStorage",
        "rdb: the module whose logger (RDB_STORAGE_LOGGER) genesis quiets",
    ),
    PrivateApi(
        "optuna.storages._rdb.models:TrialHeartbeatModel.__tablename__",
        "rdb.Heartbeat.keeps_running: which running trials have a heartbeat at all "
        "(RDB_HEARTBEAT_TABLE; the storage has no call for it)",
    ),
    PrivateApi(
        "optuna.study:Study._storage",
        "feed, loop, repeats, journal: one trial by number and user attributes without "
        "listing every trial (Study has no public per-trial access)",
    ),
    PrivateApi("optuna.study:Study._study_id", "with Study._storage: the study's storage id"),
    PrivateApi(
        "optuna.study:Study._thread_local",
        "loop._new_trial: Study.ask's cache of every trial, reset as ask resets it",
    ),
    PrivateApi(
        "optuna.study:Study._pop_waiting_trial_id",
        "loop._new_trial: Study.ask's way to a queued (WAITING) trial, without ask's "
        "listing of every trial",
        "(self) -> 'int | None'",
    ),
    PrivateApi(
        "optuna.trial:Trial._trial_id",
        "loop, repeats: a running trial's storage id for user attributes and its state",
    ),
    PrivateApi("optuna.trial:FrozenTrial._trial_id", "loop: an interrupted trial's storage id"),
    PrivateApi(
        "optuna.storages:JournalStorage._backend",
        "journal: GenesisJournalStorage writes grouped records through its backend",
    ),
    PrivateApi(
        "optuna.storages:JournalStorage._thread_lock",
        "journal: a grouped write and a read of it are one step for the storage's threads",
    ),
    PrivateApi(
        "optuna.storages:JournalStorage._replay_result",
        "journal: the replayed study (worker_id, _trials, _study_id_to_trial_ids, "
        "_trial_id_to_study_id) to check a grouped write and to read trials from a number on",
    ),
    PrivateApi("optuna.storages:JournalStorage._replay_result.worker_id", "journal: as above"),
    PrivateApi("optuna.storages:JournalStorage._replay_result._trials", "journal: as above"),
    PrivateApi(
        "optuna.storages:JournalStorage._replay_result._study_id_to_trial_ids", "journal: as above"
    ),
    PrivateApi(
        "optuna.storages:JournalStorage._replay_result._trial_id_to_study_id", "journal: as above"
    ),
    PrivateApi(
        "optuna.storages:JournalStorage._sync_with_backend",
        "journal: GenesisJournalStorage reads the journal after its grouped writes",
        "(self) -> 'None'",
    ),
    PrivateApi(
        "optuna.storages:JournalStorage._write_log",
        "journal: GenesisJournalStorage holds back records inside a group",
        "(self, op_code: 'int', extra_fields: 'dict[str, Any]') -> 'None'",
    ),
    PrivateApi(
        "optuna.storages.journal:JournalFileBackend._lock",
        "journal: GenesisJournalBackend appends under the lock Optuna's backend holds",
    ),
    PrivateApi(
        "optuna.storages.journal:JournalFileBackend._file_path",
        "journal: the journal's path, for tail checks and repairs",
    ),
    PrivateApi(
        "optuna.storages.journal:JournalFileBackend._log_number_offset",
        "journal: GenesisJournalBackend.read_logs goes on from the offsets Optuna's records",
    ),
)
"""The private attributes and methods genesis uses, with the names imported above."""


__all__ = [
    "LOCK_FILE_SUFFIX",
    "NOT_FOUND_MSG",
    "PRIVATE_APIS",
    "RDB_HEARTBEAT_TABLE",
    "RDB_STORAGE_LOGGER",
    "UNUPDATABLE_MSG",
    "BaseJournalFileLock",
    "PrivateApi",
    "_tell_with_warning",
    "get_lock_file",
]
