"""The ask/tell loop of one worker and the budget that ends it.

Every asked trial is told (COMPLETE, or FAIL with the reason kept), also on Ctrl-C: with
Optuna 5's constant liar a trial left RUNNING repels TPE from its params for good.

With one local worker the loop counts trials itself. When several workers share the
study (``--workers``, or a database storage that other machines join), each takes a slot
under the study's slot lock (:mod:`genesis.storage.slots`): it counts the study's
trials and creates the next one in one step, so the total is exact with any number of
workers. A trial abandoned by a dead process and queued again does not count twice: the
copy takes its slot. When every slot is taken a worker waits while another process may
still hand a trial back: a trial is WAITING (queued again), or RUNNING under a heartbeat
that still beats, or stopped beating and is failed and queued again right there (on a
database storage), or RUNNING for an owner that is alive (elsewhere). So a dead worker's
trial is run before the study ends, however slow the machine: no fixed wait decides it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from genesis.errors import ConfigError, StorageError
from genesis.optimizer.objective import Objective, TrialFailed
from genesis.samplers.repeats import RepeatAvoidingSampler
from genesis.storage import log
from genesis.storage._optuna_private import _tell_with_warning
from genesis.storage.interrupts import dropped_interrupt, is_interrupt, keep_interrupts
from genesis.storage.journal import trials_since
from genesis.storage.owner import Owner

if TYPE_CHECKING:
    from genesis.storage.rdb import Heartbeat

INTERRUPTED_ATTR = "interrupted"
WORKER_ATTR = "worker"
RETRY_OF_ATTR = "retry_of"
"""On a queued copy of an orphaned trial: the number of the trial it replaces."""
_WAIT_POLL_S = 0.2

SlotLock = Callable[[], AbstractContextManager[None]]


@dataclass
class Budget:
    """When to stop: trials, unique backtests, an exhausted space, time."""

    n_trials: int
    max_unique: int | None
    max_trials: int
    timeout_s: float | None
    space_size: int | None
    started: float

    def waits_for_others(self, finished: int, asked: int) -> bool:
        """Every trial slot is taken, but not every trial has finished."""
        return self.max_unique is None and asked >= self.n_trials > finished

    def stop_reason(self, finished: int, asked: int, unique: int) -> str | None:
        """Why to stop now, or ``None`` to ask another trial."""
        if self.max_unique is not None:
            if unique >= self.max_unique:
                return f"{unique} unique backtests reached (max_unique_backtests)"
            if asked >= self.max_trials:
                return (
                    f"{asked} trials asked (max_trials) before {self.max_unique} unique backtests"
                )
        elif finished >= self.n_trials:
            return f"{finished} trials done (n_trials)"
        elif asked >= self.n_trials:
            return f"{asked} trials asked (n_trials), the last ones by other workers"
        if self.space_size is not None and unique >= self.space_size:
            return f"search space exhausted: all {self.space_size} combinations evaluated"
        if self.timeout_s is not None and time.monotonic() - self.started >= self.timeout_s:
            return f"timeout of {self.timeout_s:g}s reached"
        return None


def run_loop(
    study: optuna.Study,
    objective: Objective,
    budget: Budget,
    *,
    shared: bool,
    between_trials: Callable[[], None] | None = None,
    slot_lock: SlotLock | None = None,
    heartbeat: Heartbeat | None = None,
) -> str:
    """Ask, score and tell trials until the budget says stop; returns why it stopped.

    ``between_trials`` runs after each trial (the main process watches its workers there).
    ``heartbeat`` (on a database storage) is told which trial runs.
    """
    keep_interrupts()  # a Ctrl-C that numba's C callbacks drop reaches this loop all the same
    trials = study.get_trials(deepcopy=False)
    tally = Tally(keys=objective.unique_keys)  # the study's complete keys join the objective's
    finished, asked = tally.update(trials)
    unique = tally.keys
    first_new = len(trials)
    current: int | None = None  # the trial id this loop runs, as soon as it exists
    try:
        while True:
            current = None
            if not shared:
                if reason := _stop_reason(study, budget, finished, asked, len(unique)):
                    return reason
                tally.read(study)  # its unfinished trials: a queued one is run first
                current = _new_trial(study, tally, None)
                trial = optuna.Trial(study, current)
            else:
                reason, current, others_running = _take_slot(
                    study, budget, slot_lock, tally, objective.worker
                )
                if current is None:
                    assert reason is not None
                    if not others_running or not _others_may_hand_back(study, tally, heartbeat):
                        return reason
                    time.sleep(_WAIT_POLL_S)
                    if between_trials is not None:
                        between_trials()
                    continue
                if heartbeat is not None:
                    heartbeat.beat(current)
                trial = optuna.Trial(study, current)  # samples: outside the slot lock
            run_trial(study, trial, objective)
            if dropped_interrupt():  # a Ctrl-C that numba's C callback swallowed: stop now
                raise KeyboardInterrupt
            if heartbeat is not None:
                heartbeat.beat(None)
            if between_trials is not None:
                between_trials()
            if not shared:
                finished += 1
                asked += 1
    except KeyboardInterrupt:
        if heartbeat is not None:
            heartbeat.beat(None)
        fail_interrupted(study, current, first_new, shared=shared)
        raise


def _take_slot(
    study: optuna.Study,
    budget: Budget,
    slot_lock: SlotLock | None,
    tally: Tally,
    owner: dict[str, Any] | None = None,
) -> tuple[str | None, int | None, bool]:
    """Count the study and take the next trial slot, under the slot lock.

    Returns (why not, the new trial's id, whether others still run trials). The slot is a
    queued trial if there is one (Optuna's own queue), else a new trial row; the sampling
    happens after the lock is released.
    """
    if slot_lock is not None:
        tally.read(study)  # read the others' records before the lock: less to do inside it
    with slot_lock() if slot_lock is not None else contextlib.nullcontext():
        finished, asked = tally.read(study)
        reason = _stop_reason(study, budget, finished, asked, len(tally.keys))
        if reason is not None:
            waiting = any(t.state == TrialState.WAITING for t in tally.unfinished)
            if not (waiting and budget.waits_for_others(finished, asked)):
                running = any(t.state == TrialState.RUNNING for t in tally.unfinished)
                return reason, None, running and budget.waits_for_others(finished, asked)
        trial_id = _new_trial(study, tally, owner)
    return None, trial_id, False


def _new_trial(study: optuna.Study, tally: Tally, owner: dict[str, Any] | None) -> int:
    """Optuna's ``Study.ask`` up to the sampling: a queued trial if there is one, else a new
    one; returns its id. ``tally`` is read just before.

    Optuna's ask lists every trial to find a queued one (O(trials) a trial); the tally
    knows the unfinished ones.
    """
    study._thread_local.cached_all_trials = None
    trial_id = None
    if any(t.state == TrialState.WAITING for t in tally.unfinished):
        trial_id = study._pop_waiting_trial_id()
    if trial_id is None:
        return study._storage.create_new_trial(study._study_id, _owned(owner))
    if owner is not None:
        study._storage.set_trial_user_attr(trial_id, WORKER_ATTR, owner)
    return trial_id


def _owned(owner: dict[str, Any] | None) -> FrozenTrial | None:
    """A new trial's template carrying its owner, written with the trial in one step.

    A process that dies (or loses the database) right after creating a trial leaves an
    owner behind, so that the orphan sweep can tell the trial is dead.
    """
    if owner is None:
        return None
    return FrozenTrial(
        number=-1, state=TrialState.RUNNING, value=None, datetime_start=datetime.now(),
        datetime_complete=None, params={}, distributions={}, user_attrs={WORKER_ATTR: owner},
        system_attrs={}, intermediate_values={}, trial_id=-1,
    )  # fmt: skip


def run_trial(study: optuna.Study, trial: optuna.Trial, objective: Objective) -> None:
    """Score one trial and tell Optuna; a failure fails the trial, never the study.

    A trial that another process already ended (a sweeper that took this worker for dead)
    is left as it is.
    """
    try:
        values = objective(trial)
    except Exception as error:
        if is_interrupt(error):  # Ctrl-C inside a numba kernel surfaces as SystemError
            raise KeyboardInterrupt from error
        _fail(study, trial, error)
    else:
        # Study.tell, without the deep copy of the trial it returns (5 % of a trial's time).
        _tell_with_warning(
            study, trial, list(values) if len(values) > 1 else values[0], skip_if_finished=True
        )


def _fail(study: optuna.Study, trial: optuna.Trial, error: Exception) -> None:
    """Tell a trial FAIL for ``error``, with the message kept; a lost database stops the run."""
    if isinstance(error, StorageError):
        raise error
    if isinstance(
        error, ConfigError
    ):  # the study and the config disagree: no later trial can do better
        with contextlib.suppress(UpdateFinishedTrialError):
            study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        raise error
    if isinstance(error, UpdateFinishedTrialError):
        log.logger.warning("[Runner] trial %d was ended by another process", trial.number)
        return
    if not isinstance(error, TrialFailed):  # the trial boundary: a bug must not kill the study
        log.logger.error("[Runner] trial %d failed unexpectedly", trial.number, exc_info=error)
        with contextlib.suppress(UpdateFinishedTrialError):
            trial.set_user_attr("error", f"{type(error).__name__}: {error}")
    with contextlib.suppress(UpdateFinishedTrialError):
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)


def fail_interrupted(
    study: optuna.Study, current: int | None, first_new: int, *, shared: bool
) -> None:
    """Fail what Ctrl-C abandoned: the trial in flight (``current``, its id), never another's.

    Ctrl-C may land inside ``ask`` (a trial exists that this loop never saw). A lone
    worker on a local journal fails every RUNNING trial asked since it started; a worker
    that shares the study fails only its own, and leaves an unseen one to the sweeper.
    """
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    if shared:
        mine = [t for t in running if t._trial_id == current]
    else:
        mine = [t for t in running if t.number >= first_new]
    for frozen in mine:
        try:
            # Optuna has no public setter by trial number; this is the storage's own call.
            study._storage.set_trial_user_attr(frozen._trial_id, INTERRUPTED_ATTR, True)
            study.tell(frozen.number, state=TrialState.FAIL, skip_if_finished=True)
        except UpdateFinishedTrialError:
            continue


def sweep_orphans(
    study: optuna.Study,
    *,
    unknown_are_orphans: bool,
    requeue: bool = True,
    mine_are_orphans: bool = False,
) -> int:
    """Fail trials left RUNNING by dead processes and queue their params again.

    A trial whose ``worker`` attribute names a process that is surely dead is an orphan;
    one whose owner is alive (or on another host) is left alone. A trial without an owner
    (a lone local worker records none) is an orphan only when
    ``unknown_are_orphans``: a local journal before its workers start or after they end.
    With ``mine_are_orphans`` (this process's loop has ended) a trial this process
    created and never ran, say because Ctrl-C came just after it, is an orphan too.
    The queued copy takes the orphan's place in the budget, also the copy of a trial that
    died before it had params (it samples them anew). Without ``requeue`` (a run
    that was interrupted) an orphan is marked interrupted instead, for ``--resume``.
    """
    orphans = []
    me = Owner.current() if mine_are_orphans else None
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = Owner.from_attr(trial.user_attrs.get(WORKER_ATTR))
        if unknown_are_orphans if owner is None else owner == me or not owner.alive():
            orphans.append(trial)
    freed = 0
    for trial in orphans:
        # Killed before its params were suggested, it is queued all the same (with none
        # fixed: the copy samples them): the copy takes its budget slot, as any orphan's.
        again = requeue
        if not requeue:
            study._storage.set_trial_user_attr(trial._trial_id, INTERRUPTED_ATTR, True)
        # Only the process that changes the state queues a copy: a heartbeat judge on
        # another process may fail the same trial at the same moment (and queue its own).
        try:
            if not study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL):
                continue
        except UpdateFinishedTrialError:
            continue
        freed += 1
        if again:
            study.enqueue_trial(trial.params, user_attrs={RETRY_OF_ATTR: trial.number})
        log.logger.warning(
            "[Runner] trial %d was left running by a dead worker: failed%s",
            trial.number, " and re-queued" if again else "",
        )  # fmt: skip
    return freed


def _others_may_hand_back(study: optuna.Study, tally: Tally, heartbeat: Heartbeat | None) -> bool:
    """Whether another process may still finish, or hand back, one of the running trials.

    On a database storage the heartbeats tell (see :meth:`Heartbeat.keeps_running`).
    Elsewhere a trial of a dead process on this host is failed and queued again here,
    and the others' owners are alive (or on another host, which nothing can judge).
    """
    running = [t for t in tally.unfinished if t.state == TrialState.RUNNING]
    if heartbeat is not None:
        return heartbeat.keeps_running(running)
    if sweep_orphans(study, unknown_are_orphans=False):
        return True  # the copies are WAITING: take them
    return any(Owner.from_attr(t.user_attrs.get(WORKER_ATTR)) is not None for t in running)


def _stop_reason(
    study: optuna.Study, budget: Budget, finished: int, asked: int, unique: int
) -> str | None:
    reason = budget.stop_reason(finished, asked, unique)
    sampler = study.sampler
    if reason is None and isinstance(sampler, RepeatAvoidingSampler) and sampler.exhausted():
        size = budget.space_size
        reason = f"search space exhausted: all {size} combinations evaluated or failed"
    return reason


class Tally:
    """A study's (finished, asked) trials and complete keys, counted incrementally.

    Trials abandoned by an interruption or by a dead process do not count (their queued
    copy counts instead). A finished trial never changes (Optuna refuses to update it),
    so the trials before the first unfinished one are looked at once; only the rest, a
    trial or two per worker, is looked at on every update. Without this, counting the
    study under the slot lock cost O(trials) per trial, and serialized the workers.
    """

    def __init__(self, keys: set[str] | None = None) -> None:
        self._settled = 0
        """``trials[:_settled]`` are finished and have been looked at."""
        self._counted: set[int] = set()
        """Numbers of the settled trials that count."""
        self._replaced: set[int] = set()
        """Numbers replaced by a queued copy among the settled trials."""
        self.keys: set[str] = set() if keys is None else keys
        """Keys of the complete trials (added to ``keys``, if given: the objective's)."""
        self.unfinished: list[FrozenTrial] = []
        """The trials from the first unfinished one on, as of the last update."""

    def read(self, study: optuna.Study) -> tuple[int, int]:
        """(finished, asked) of ``study`` now, reading only its unsettled trials."""
        return self.update(trials_since(study, self._settled), first=self._settled)

    def update(self, trials: list[FrozenTrial], first: int = 0) -> tuple[int, int]:
        """(finished, asked) of the study whose trials from number ``first`` on are
        ``trials`` (in number order; ``first`` at most the trials settled so far)."""
        i = self._settled - first
        while i < len(trials) and trials[i].state.is_finished():
            trial = trials[i]
            self._replaced |= _replaces(trial)
            if not trial.user_attrs.get(INTERRUPTED_ATTR):
                self._counted.add(trial.number)
            self._add_key(trial)
            i += 1
        if first + i > self._settled:
            self._counted -= self._replaced
        self._settled = first + i
        self.unfinished = trials[i:]
        replaced = set().union(*map(_replaces, self.unfinished)) - self._replaced
        settled = len(self._counted) - sum(n in self._counted for n in replaced)
        finished = asked = settled
        for trial in self.unfinished:
            gone = trial.number in replaced or trial.number in self._replaced
            if gone or trial.user_attrs.get(INTERRUPTED_ATTR):
                continue
            finished += trial.state.is_finished()
            asked += trial.state != TrialState.WAITING
            self._add_key(trial)
        return finished, asked

    def _add_key(self, trial: FrozenTrial) -> None:
        if trial.state == TrialState.COMPLETE and "key" in trial.user_attrs:
            self.keys.add(str(trial.user_attrs["key"]))


def _replaces(trial: FrozenTrial) -> set[int]:
    """Numbers of the trials that ``trial``, a queued copy, replaces (a sweep's, or Optuna's
    retry)."""
    numbers = set()
    if (of := trial.user_attrs.get(RETRY_OF_ATTR)) is not None:
        numbers.add(int(of))
    history = trial.system_attrs.get("retry_history")  # RetryHeartbeatStaleTrialCallback's
    if isinstance(history, list) and history:
        numbers.add(int(history[-1]))
    return numbers
