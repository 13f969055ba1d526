"""Each trial of a study handed to a sampler once, at a cost that does not grow with the study.

``study.get_trials`` walks every trial of the study on each call: at trial 5,000 that is
milliseconds per call, for the four trials that changed. :class:`TrialFeed` looks up only
the trials numbered since its last call (by number, through the storage) plus the few
that were not ready then (running trials, any worker's), so a sampler that keeps its own
memory of the study pays per new trial, not per trial of the study.

:class:`Locked` gives such a sampler one lock for its memory (``study.optimize(n_jobs=...)``
threads share one sampler, and a feed read by two threads at once hands a trial out twice
or not at all) that does not stop it from pickling.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import optuna
from optuna.trial import FrozenTrial


class TrialFeed:
    """Hands out each trial once, when ``ready(trial)`` says it is complete enough."""

    def __init__(self, ready: Callable[[FrozenTrial], bool]) -> None:
        self._ready = ready
        self._next = 0
        self._waiting: list[int] = []  # trial ids seen before they were ready

    def new(self, study: optuna.Study, before: int) -> list[FrozenTrial]:
        """The trials numbered below ``before`` that became ready since the last call.

        A trial that is finished but not ready (failed before its params) is dropped.
        """
        storage, study_id = study._storage, study._study_id
        ids = [*self._waiting]
        ids += [
            storage.get_trial_id_from_study_id_trial_number(study_id, number)
            for number in range(self._next, before)
        ]
        self._next = max(self._next, before)
        self._waiting = []
        out = []
        for trial_id in ids:
            trial = storage.get_trial(trial_id)
            if self._ready(trial):
                out.append(trial)
            elif not trial.state.is_finished():
                self._waiting.append(trial_id)
        return out


class Locked:
    """A lock (``self._lock``) for an object's state; a pickled copy gets a new one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def trial_by_number(study: optuna.Study, number: int) -> FrozenTrial:
    """One trial of ``study`` by its number, without reading the others."""
    storage = study._storage
    return storage.get_trial(
        storage.get_trial_id_from_study_id_trial_number(study._study_id, number)
    )
