"""The study's counts, kept incrementally, agree with counting every trial every time."""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from optuna.trial import FrozenTrial, TrialState

from genesis.optimizer.loop import INTERRUPTED_ATTR, RETRY_OF_ATTR, Tally


def _trial(number: int, state: TrialState, **user_attrs: object) -> FrozenTrial:
    return FrozenTrial(
        number=number, state=state, value=1.0 if state == TrialState.COMPLETE else None,
        datetime_start=datetime.now(), datetime_complete=None, params={}, distributions={},
        user_attrs=dict(user_attrs), system_attrs={}, intermediate_values={}, trial_id=number,
    )  # fmt: skip


def _naive(trials: list[FrozenTrial]) -> tuple[int, int, set[str]]:
    """Every trial, every time: what the loop counted before the tally."""
    replaced = {int(t.user_attrs[RETRY_OF_ATTR]) for t in trials if RETRY_OF_ATTR in t.user_attrs}
    live = [
        t for t in trials if not t.user_attrs.get(INTERRUPTED_ATTR) and t.number not in replaced
    ]
    finished = sum(t.state.is_finished() for t in live)
    asked = sum(t.state != TrialState.WAITING for t in live)
    keys = {
        str(t.user_attrs["key"])
        for t in trials
        if t.state == TrialState.COMPLETE and "key" in t.user_attrs
    }
    return finished, asked, keys


def _finish(trials: list[FrozenTrial], i: int, state: TrialState, **attrs: object) -> None:
    old = trials[i]
    trials[i] = _trial(old.number, state, **{**old.user_attrs, **attrs})  # a new frozen copy


@pytest.mark.parametrize("seed", range(20))
def test_the_tally_matches_a_full_count_at_every_step(seed: int) -> None:
    rng = random.Random(seed)
    trials: list[FrozenTrial] = []
    tally = Tally()
    for _ in range(300):
        running = [i for i, t in enumerate(trials) if t.state == TrialState.RUNNING]
        waiting = [i for i, t in enumerate(trials) if t.state == TrialState.WAITING]
        move = rng.random()
        if move < 0.35 or not running:
            trials.append(_trial(len(trials), TrialState.RUNNING))
        elif move < 0.7:
            i = rng.choice(running)
            _finish(trials, i, TrialState.COMPLETE, key=f"k{rng.randrange(40)}")
        elif move < 0.8:
            _finish(trials, rng.choice(running), TrialState.FAIL)
        elif move < 0.88:  # Ctrl-C: marked, then failed
            _finish(trials, rng.choice(running), TrialState.FAIL, **{INTERRUPTED_ATTR: True})
        elif move < 0.95:  # a dead worker's trial: failed, and a copy queued
            i = rng.choice(running)
            _finish(trials, i, TrialState.FAIL)
            trials.append(_trial(len(trials), TrialState.WAITING, **{RETRY_OF_ATTR: i}))
        elif waiting:
            i = rng.choice(waiting)
            trials[i] = _trial(i, TrialState.RUNNING, **trials[i].user_attrs)
        finished, asked = tally.update(list(trials))
        expected = _naive(trials)
        assert (finished, asked, tally.keys) == expected
