"""The ask/tell loop of one worker and the budget that ends it.

Every asked trial is told (COMPLETE, or FAIL with the reason kept), also on Ctrl-C: with
Optuna 5's constant liar a trial left RUNNING repels TPE from its params for good.

With one local worker the loop counts trials itself. When several workers share the
study (``--workers``, or a database storage that other machines join), the budget is
read from the storage before each trial, so that all of them stop at the study's total.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from genesis.errors import ConfigError
from genesis.optimizer import log
from genesis.optimizer.objective import Objective, TrialFailed
from genesis.optimizer.owner import Owner
from genesis.optimizer.repeats import RepeatAvoidingSampler

INTERRUPTED_ATTR = "interrupted"
WORKER_ATTR = "worker"


@dataclass
class Budget:
    """When to stop: trials, unique backtests, an exhausted space, time."""

    n_trials: int
    max_unique: int | None
    max_trials: int
    timeout_s: float | None
    space_size: int | None
    started: float

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
) -> str:
    """Ask, score and tell trials until the budget says stop; returns why it stopped.

    ``between_trials`` runs after each trial (the main process watches its workers there).
    """
    trials = study.get_trials(deepcopy=False)
    finished, asked = _counts(trials)
    unique = objective.unique_keys
    unique.update(_complete_keys(trials))
    first_new = len(trials)
    trial: optuna.Trial | None = None
    try:
        while (reason := _stop_reason(study, budget, finished, asked, len(unique))) is None:
            trial = None
            trial = study.ask()
            run_trial(study, trial, objective)
            if between_trials is not None:
                between_trials()
            if shared:
                trials = study.get_trials(deepcopy=False)
                finished, asked = _counts(trials)
                unique.update(_complete_keys(trials))
            else:
                finished += 1
                asked += 1
    except KeyboardInterrupt:
        fail_interrupted(study, trial, first_new, shared=shared)
        raise
    return reason


def run_trial(study: optuna.Study, trial: optuna.Trial, objective: Objective) -> None:
    """Score one trial and tell Optuna; a failure fails the trial, never the study.

    A trial that another process already ended (a sweeper that took this worker for dead)
    is left as it is.
    """
    try:
        values = objective(trial)
    except TrialFailed:
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
    except UpdateFinishedTrialError:
        log.logger.warning("[Runner] trial %d was ended by another process", trial.number)
    except ConfigError:  # the study and the config disagree: no later trial can do better
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        raise
    except Exception as error:  # the trial boundary: a bug must not kill the study
        try:
            trial.set_user_attr("error", f"{type(error).__name__}: {error}")
            study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        except UpdateFinishedTrialError:
            pass
        log.logger.exception("[Runner] trial %d failed unexpectedly", trial.number)
    else:
        study.tell(trial, list(values) if len(values) > 1 else values[0], skip_if_finished=True)


def fail_interrupted(
    study: optuna.Study, current: optuna.Trial | None, first_new: int, *, shared: bool
) -> None:
    """Fail what Ctrl-C abandoned: the trial in flight, never another worker's.

    Ctrl-C may land inside ``ask`` (a trial exists that this loop never saw). A lone
    worker on a local journal fails every RUNNING trial asked since it started; a worker
    that shares the study fails only its own, and leaves an unseen one to the sweeper.
    """
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    if shared:
        mine = [t for t in running if current is not None and t.number == current.number]
    else:
        mine = [t for t in running if t.number >= first_new]
    for frozen in mine:
        try:
            # Optuna has no public setter by trial number; this is the storage's own call.
            study._storage.set_trial_user_attr(frozen._trial_id, INTERRUPTED_ATTR, True)
            study.tell(frozen.number, state=TrialState.FAIL, skip_if_finished=True)
        except UpdateFinishedTrialError:
            continue


def sweep_orphans(study: optuna.Study, *, unknown_are_orphans: bool) -> int:
    """Fail trials left RUNNING by dead processes and queue their params again.

    A trial whose ``worker`` attribute names a process that is surely dead is an orphan;
    one whose owner is alive (or on another host) is left alone. A trial without an owner
    (a lone local worker records none) is an orphan only when
    ``unknown_are_orphans``: a local journal before its workers start or after they end.
    """
    orphans = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = Owner.from_attr(trial.user_attrs.get(WORKER_ATTR))
        if (owner is None and unknown_are_orphans) or (owner is not None and not owner.alive()):
            orphans.append(trial)
    for trial in orphans:
        study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
        if trial.params:  # killed before its params were suggested: nothing to re-queue
            study.enqueue_trial(trial.params)
        log.logger.warning(
            "[Runner] trial %d was left running by a dead worker: failed%s",
            trial.number, " and re-queued" if trial.params else "",
        )  # fmt: skip
    return len(orphans)


def _stop_reason(
    study: optuna.Study, budget: Budget, finished: int, asked: int, unique: int
) -> str | None:
    reason = budget.stop_reason(finished, asked, unique)
    sampler = study.sampler
    if reason is None and isinstance(sampler, RepeatAvoidingSampler) and sampler.exhausted():
        size = budget.space_size
        reason = f"search space exhausted: all {size} combinations evaluated or failed"
    return reason


def _counts(trials: list[FrozenTrial]) -> tuple[int, int]:
    """(finished, asked) trials, not counting those abandoned by an interruption."""
    live = [t for t in trials if not t.user_attrs.get(INTERRUPTED_ATTR)]
    finished = sum(t.state.is_finished() for t in live)
    asked = sum(t.state != TrialState.WAITING for t in live)
    return finished, asked


def _complete_keys(trials: list[FrozenTrial]) -> set[str]:
    return {
        str(t.user_attrs["key"])
        for t in trials
        if t.state == TrialState.COMPLETE and "key" in t.user_attrs
    }
