"""PostgreSQL (RDB) studies that survive a database outage, with heartbeats that free dead trials.

Optuna's :class:`~optuna.storages.RDBStorage` raises at once when its server restarts or
stops (``StorageInternalError``, sometimes masked as ``UnboundLocalError``), and its
heartbeats only run inside ``study.optimize``. This module owns both repairs:

* :class:`ResilientRDBStorage` retries every storage call through an outage: it logs one
  line when the database is lost, probes it with backoff, and repeats the call when it is
  back. Past ``retry_s`` it raises :class:`~genesis.errors.StorageError` (one line), and
  from then on fails fast, so the artifacts that need no database can still be written.
  A call that was committed just before the connection dropped may be repeated: Optuna's
  writes are idempotent except ``create_new_trial``, which could then leave one extra
  trial (never a lost one).
* :class:`Heartbeat`, a thread that records the running trial's heartbeat
  (``storage.record_heartbeat``) and fails other processes' stale trials
  (``optuna.storages.fail_stale_trials``; the storage's ``RetryHeartbeatStaleTrialCallback``
  queues each again once). It survives database errors, and after an outage it waits
  until every live worker had time to beat again before it judges anyone stale.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

import optuna
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial

from genesis.cache.database import connect_problem
from genesis.errors import StorageError, StorageUsageError
from genesis.storage import log
from genesis.storage._optuna_private import RDB_HEARTBEAT_TABLE, RDB_STORAGE_LOGGER
from genesis.storage.interrupts import caused_by_interrupt

T = TypeVar("T")

_PROBE_FIRST_S = 0.25
_PROBE_MAX_S = 5.0
_REACHABLE_RETRIES = 3
"""A connection error while the server answers probes: repeat the call this often, then raise."""

_RETRIED = (
    "create_new_study", "delete_study", "set_study_user_attr", "set_study_system_attr",
    "get_study_id_from_name", "get_study_name_from_id", "get_study_directions",
    "get_study_user_attrs", "get_study_system_attrs", "get_all_studies", "create_new_trial",
    "set_trial_param", "get_trial_id_from_study_id_trial_number", "get_trial_param",
    "set_trial_state_values", "set_trial_intermediate_value", "set_trial_user_attr",
    "set_trial_system_attr", "get_trial", "get_all_trials", "get_best_trial",
    "get_trial_user_attrs", "get_trial_system_attrs", "record_heartbeat", "_get_stale_trial_ids",
    # what Optuna's _CachedStorage (the wrapper create_study puts around an RDBStorage) calls
    "_create_new_trial", "_get_best_trial_id", "_get_trials", "_set_trial_param",
)  # fmt: skip


def open_rdb(
    url: str, masked: str, *, retry_s: float, heartbeat_interval_s: int, grace_s: int
) -> ResilientRDBStorage:
    """An RDB storage on ``url`` with retries and heartbeats (a dead trial is re-run once).

    Opening it waits out a short outage (a server restarting as the run starts), at most
    :data:`OPEN_RETRY_S`: a database that never answered is more often a wrong URL than
    an outage, and the user should hear so at once. Once open, every call waits up to
    ``retry_s``.
    """
    _quiet_optuna_fallbacks()
    kwargs: dict[str, Any] = {
        "pool_pre_ping": True,
        "connect_args": {"connect_timeout": 5},
    }
    outage = Outage(masked, retry_s, lambda: _reachable_url(url))
    opening = Outage(masked, min(retry_s, OPEN_RETRY_S), outage._probe)
    try:
        return _open(url, kwargs, heartbeat_interval_s, grace_s, outage, opening)
    except StorageError:
        if not opening.gave_up:  # the server said why at once: that, not a timeout
            raise
        raise StorageError(
            f"cannot open storage {masked}: the database did not answer for {opening.retry_s:g}s",
            hint="check the URL; once it answers, run the same command again",
        ) from None


_URL_HINT = "check the URL (user, password, host, port, database name)"

OPEN_RETRY_S = 10.0
"""How long opening the storage waits for a database that has not answered yet."""


def _open(
    url: str,
    kwargs: dict[str, Any],
    heartbeat_interval_s: int,
    grace_s: int,
    outage: Outage,
    opening: Outage,
) -> ResilientRDBStorage:
    for attempt in range(1, _REACHABLE_RETRIES + 1):
        try:
            with _schema_lock(url), warnings.catch_warnings():  # heartbeats: "experimental"
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return ResilientRDBStorage(
                    url, engine_kwargs=kwargs, heartbeat_interval=heartbeat_interval_s,
                    grace_period=grace_s,
                    heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=1),
                    outage=outage,
                )  # fmt: skip
        except Exception as error:
            if not _is_connection_error(error) or attempt == _REACHABLE_RETRIES:
                raise
            problem = connect_problem(error, refused_is_final=True)
            if problem is not None:  # no retry: the server answered, and said no
                raise StorageUsageError(
                    f"cannot open storage {outage.masked}: {problem}", hint=_URL_HINT
                ) from None
            opening.wait(error)
    raise AssertionError("unreachable")  # pragma: no cover


_SCHEMA_LOCK_ID = int.from_bytes(
    hashlib.blake2b(b"genesis-optuna-schema", digest_size=8).digest(), "big", signed=True
)
"""The advisory lock under which a process opens Optuna's storage (see :func:`_schema_lock`)."""


@contextlib.contextmanager
def _schema_lock(url: str) -> Iterator[None]:
    """Optuna's storage opened by one process at a time, on a PostgreSQL database.

    Opening creates Optuna's tables and types when the database is empty; two processes
    doing it at once make PostgreSQL refuse one (``UniqueViolation`` on
    ``pg_type_typname_nsp_index``). A session-level advisory lock on a connection of its
    own serializes the opening (the server frees it if its holder dies); on a database
    that has the tables it costs one connection. Other databases open as before.
    """
    if not url.startswith(("postgresql", "postgres:")):
        yield
        return
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _SCHEMA_LOCK_ID})
            try:
                yield
            finally:
                with contextlib.suppress(sa.exc.SQLAlchemyError):  # a lost connection: freed
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _SCHEMA_LOCK_ID})
    finally:
        engine.dispose()


class _NoFallbackNotes(logging.Filter):
    """Drops Optuna's multi-line "Caught an error from sqlalchemy ... Falling back" note:
    in an outage the one line of :class:`Outage` says it, and the call is repeated."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to a slower alternative" not in record.getMessage()


def _quiet_optuna_fallbacks() -> None:
    rdb_logger = logging.getLogger(RDB_STORAGE_LOGGER)
    if not any(isinstance(f, _NoFallbackNotes) for f in rdb_logger.filters):
        rdb_logger.addFilter(_NoFallbackNotes())


class Outage:
    """What one process knows of the database's outages, shared by its threads.

    :meth:`wait` logs the one line of an outage (the first thread to meet it), probes the
    server with backoff, and returns when it answers; past ``retry_s`` it raises
    :class:`StorageError`, and from then on it fails at once.
    """

    def __init__(self, masked: str, retry_s: float, probe: Callable[[], bool]) -> None:
        self.masked = masked
        self.retry_s = retry_s
        self._probe = probe
        self._lock = threading.Lock()
        self._since: float | None = None
        self.last_trouble = -float("inf")
        self._gave_up = False

    def wait(self, error: BaseException) -> bool:
        """Block until the server answers; True if it answered at the first probe."""
        self.last_trouble = time.monotonic()
        if self._probe():
            return True
        if self._gave_up:
            raise self._gave_up_error()
        with self._lock:
            if self._since is None:
                self._since = time.monotonic()
                log.logger.warning(
                    "[Storage] lost the database %s (%s); retrying for up to %.0fs",
                    self.masked, describe_error(error), self.retry_s,
                )  # fmt: skip
            since = self._since
        pause = _PROBE_FIRST_S
        while time.monotonic() - since < self.retry_s:
            time.sleep(pause)
            pause = min(2 * pause, _PROBE_MAX_S)
            if self._probe():
                with self._lock:
                    if self._since is not None:
                        log.logger.info(
                            "[Storage] the database is back after %.1fs; carrying on",
                            time.monotonic() - self._since,
                        )
                        self._since = None
                self.last_trouble = time.monotonic()
                return False
        self._gave_up = True
        raise self._gave_up_error()

    @property
    def gave_up(self) -> bool:
        """Whether the database stayed unreachable past ``retry_s``."""
        return self._gave_up

    def _gave_up_error(self) -> StorageError:
        """The same one line for every call that meets the database gone past the limit."""
        return StorageError(
            f"the database {self.masked} was unreachable for {self.retry_s:.0f}s; stopped",
            hint="continue with --resume once it is back: no finished trial is lost",
        )


def _reachable_url(url: str) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception:
        return False
    finally:
        engine.dispose()
    return True


class ResilientRDBStorage(RDBStorage):
    """An :class:`RDBStorage` whose calls wait out a database outage (see the module docstring)."""

    def __init__(self, url: str, *, outage: Outage, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self.outage = outage
        self.masked = outage.masked
        self._local = threading.local()

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        state.pop("_local", None)
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        self._local = threading.local()

    @contextlib.contextmanager
    def no_retry(self) -> Iterator[None]:
        """Calls in this thread fail at once (the heartbeat thread must never wait)."""
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            self._local.depth -= 1

    def steady_for(self, seconds: float) -> bool:
        """Whether no call of this process met a database error for ``seconds``."""
        return time.monotonic() - self.outage.last_trouble >= seconds

    def note_trouble(self) -> None:
        """Remember a database error seen outside the retried calls (the heartbeat's)."""
        self.outage.last_trouble = time.monotonic()

    def call(self, func: Callable[[], T]) -> T:
        """Run ``func`` (storage work of this process), waiting out an outage like any call."""
        if getattr(self._local, "depth", 0):
            return func()
        self._local.depth = 1
        try:
            for attempt in range(1, _REACHABLE_RETRIES + 1):
                try:
                    return func()
                except Exception as error:
                    if caused_by_interrupt(error):  # psycopg cancels the query on Ctrl-C
                        raise KeyboardInterrupt from error
                    if not _is_connection_error(error):
                        raise
                    problem = connect_problem(error, refused_is_final=False)
                    if problem is not None:  # a changed password is no outage: say it now
                        raise StorageError(
                            f"database {self.masked}: {problem}", hint=_URL_HINT
                        ) from None
                    reachable = self.outage.wait(error)
                    if reachable and attempt == _REACHABLE_RETRIES:
                        raise StorageError(
                            f"database {self.masked}: {describe_error(error)}"
                        ) from None
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            self._local.depth = 0


def _retried(name: str) -> Callable[..., Any]:
    method = getattr(RDBStorage, name)

    def wrapper(self: ResilientRDBStorage, *args: Any, **kwargs: Any) -> Any:
        return self.call(lambda: method(self, *args, **kwargs))

    wrapper.__name__ = name
    wrapper.__doc__ = method.__doc__
    return wrapper


for _name in _RETRIED:
    setattr(ResilientRDBStorage, _name, _retried(_name))


def _is_connection_error(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is a lost or refused database connection."""
    import sqlalchemy.exc as sa_exc

    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, sa_exc.DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, sa_exc.OperationalError | sa_exc.InterfaceError):
            return True
        module = type(seen).__module__
        if module.startswith("psycopg") and type(seen).__name__ in (
            "OperationalError", "InterfaceError",
        ):  # fmt: skip
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def describe_error(error: BaseException) -> str:
    """The innermost cause that says something, in one line: not 500 lines of chain."""
    chain = [error]
    while len(chain) < 8 and (nxt := chain[-1].__cause__ or chain[-1].__context__) is not None:
        chain.append(nxt)
    for inner in reversed(chain):
        text = str(inner).strip()
        if text and text != "()":
            return f"{type(inner).__name__}: {text.splitlines()[0]}"
    return type(chain[-1]).__name__


class Heartbeat:
    """The heartbeat of this process's running trial, and the judge of others' stale ones.

    A trial whose heartbeat is older than the storage's grace period is failed by whoever
    notices first and queued again once; so a trial of a dead process on any host is
    failed within about ``heartbeat_interval + grace_period`` seconds.
    """

    def __init__(self, storage: ResilientRDBStorage, study: optuna.Study) -> None:
        self._storage = storage
        self._study = study
        self._interval = float(storage.heartbeat_interval or 1)
        self._trial_id: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="genesis-heartbeat", daemon=True)
        self._thread.start()

    def beat(self, trial_id: int | None) -> None:
        """This process now runs ``trial_id`` (None: no trial).

        The first heartbeat is recorded at once: Optuna never judges a trial without one.
        """
        self._trial_id = trial_id
        if trial_id is not None:
            self._record(trial_id)

    def close(self) -> None:
        self._trial_id = None
        self._stop.set()
        self._thread.join(timeout=2 * self._interval)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            trial_id = self._trial_id
            if trial_id is not None:
                self._record(trial_id)
            self.fail_stale()

    def _record(self, trial_id: int) -> None:
        try:
            with self._storage.no_retry():
                self._storage.record_heartbeat(trial_id)
        except Exception:  # the outage is the main thread's to report; keep beating
            self._storage.note_trouble()

    def keeps_running(self, running: list[FrozenTrial]) -> bool:
        """Whether another process may still finish, or hand back, one of ``running``.

        A trial with a heartbeat beats (it runs) or stopped: then it is failed here and
        queued again (its copy is WAITING), or soon (right after an outage). A trial
        without one yet is waited for from its start for the grace period: its owner
        records the first beat right after creating it.
        """
        if not running:
            return False
        self.fail_stale()
        beating = self._with_heartbeat([t._trial_id for t in running])
        grace = timedelta(seconds=float(self._storage.grace_period or 2 * self._interval))
        now = datetime.now()
        return any(
            t._trial_id in beating or t.datetime_start is None or now - t.datetime_start < grace
            for t in running
        )

    def _with_heartbeat(self, trial_ids: list[int]) -> set[int]:
        """Which of ``trial_ids`` have a heartbeat row (all of them if the database fails)."""
        import sqlalchemy as sa

        query = sa.text(
            f"SELECT trial_id FROM {RDB_HEARTBEAT_TABLE} WHERE trial_id IN :ids"
        ).bindparams(sa.bindparam("ids", expanding=True))
        try:
            with self._storage.engine.connect() as conn:
                return {int(r[0]) for r in conn.execute(query, {"ids": trial_ids})}
        except Exception:  # the outage is the main loop's to handle; keep waiting
            self._storage.note_trouble()
            return set(trial_ids)

    def fail_stale(self) -> list[int]:
        """Fail (and queue again) the trials whose heartbeat stopped; returns their numbers."""
        if not self._storage.steady_for(2 * self._interval + 1):
            return []  # after an outage every heartbeat is old: let the live ones beat first
        try:
            with self._storage.no_retry():
                stale = self._storage._get_stale_trial_ids(self._study._study_id)
                if not stale:
                    return []
                numbers = [self._storage.get_trial_number_from_id(t) for t in stale]
                optuna.storages.fail_stale_trials(self._study)
        except Exception:
            self._storage.note_trouble()
            return []
        log.logger.warning(
            "[Runner] trial(s) %s stopped beating (a dead process): failed and queued again",
            ", ".join(str(n) for n in numbers),
        )
        return numbers
