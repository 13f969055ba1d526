"""Every trial a new backtest: a sampler wrapper that replaces repeated proposals.

TPE returns to good points, and on a coarse discrete space a third of its proposals are
params the study has already evaluated. genesis would answer each from memory with the
true score, but the trial would be spent. :class:`RepeatAvoidingSampler` wraps any Optuna
sampler (the way Optuna's ``PartialFixedSampler`` wraps one) and, for each trial:

1. asks the wrapped sampler for a whole proposal (its relative sample, and its own
   independent draws for the dimensions that sample leaves out, in the search space's order);
2. if the proposal's params were evaluated before (or are being evaluated by another
   worker), runs instead the **nearest unvisited point** of the discrete space: the fewest
   grid steps away (a categorical choice counts as one step), ties broken by the sampler's
   seeded random stream, so one worker with one seed still replays bit for bit. Dimensions
   without a step keep the proposed value; a repeat of a fully continuous proposal is drawn
   afresh (uniform in the bounds).

Nothing is lost and nothing is invented: the repeated point's trial, with its true score,
is already in the study the sampler learns from, and the replacing trial carries the
user attribute ``repeat_of`` (the trial whose params were proposed again), so that
``cache_stats.json`` counts repeated proposals honestly. When every point of a finite
space has been evaluated, :meth:`RepeatAvoidingSampler.exhausted` says so and the loop
stops with that message. ``optimizer.avoid_repeats: false`` leaves the sampler unwrapped.

It keeps Optuna's sampler contract: it works on the ``search_space`` Optuna passes
(genesis's configured space, or without one the study's intersection search space, as
Optuna's multivariate TPE), may be shared by ``study.optimize(n_jobs=...)`` threads (one
proposal at a time, so two threads never claim one point), pickles, and runs an enqueued
trial's fixed params as queued: the rest of a partly enqueued trial avoids repeats around
them, and a value outside the space is neither a repeat nor a point of the space.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.search_space import IntersectionSearchSpace
from optuna.trial import FrozenTrial, TrialState

from genesis.samplers.axes import Axis, axes_of
from genesis.samplers.feed import Locked, TrialFeed, trial_by_number
from genesis.samplers.space import SearchSpace
from genesis.storage import log

REPEAT_ATTR = "repeat_of"
_INTERRUPTED_ATTR = "interrupted"  # loop.INTERRUPTED_ATTR (loop imports this module)
Point = tuple[float, ...]
"""A param set as grid indexes (the value itself for a dimension without a step)."""


class RepeatAvoidingSampler(Locked, BaseSampler):
    """Wraps ``base`` so that a trial never re-runs a point the study already has.

    Args:
        base: the sampler whose proposals are checked.
        space: genesis's search space; ``None`` (composing it with plain Optuna) works on
            the study's intersection search space.
        seed: the seed of the replacement points' tie breaks.
    """

    def __init__(
        self, base: BaseSampler, space: SearchSpace | None = None, *, seed: int | None
    ) -> None:
        self._base = base
        self._configured = None if space is None else space.distributions()
        self._intersection = IntersectionSearchSpace()
        self._rng = random.Random(seed)
        Locked.__init__(self)
        self._space: dict[str, BaseDistribution] = {}
        self._names: list[str] = []
        self._axes: list[Axis] = []
        self._size: int | None = None
        self._known: dict[Point, int] = {}
        self._feed = TrialFeed(self._ready)
        self._use(self._configured or {})

    @property
    def base(self) -> BaseSampler:
        """The wrapped sampler."""
        return self._base

    def exhausted(self) -> bool:
        """Whether every point of a finite search space has been evaluated or claimed.

        Other workers' points count from this sampler's next proposal on; an enqueued
        point outside the space is none of them.
        """
        return self._size is not None and len(self._known) >= self._size

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if self._configured is not None:
            return dict(self._configured)
        with self._lock:
            space = self._intersection.calculate(study)
        return {n: d for n, d in space.items() if not d.single()}

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:  # the base may still refuse the study (several objectives)
            return dict(self._base.sample_relative(study, trial, {}))
        with self._lock:
            self._use(search_space)
            queued = trial.system_attrs.get("fixed_params") or {}
            fixed = {n: v for n, v in queued.items() if n in self._space}
            params = self._propose(study, trial, fixed)
            self._learn(study, trial.number)
            point = self._point(params)
            if point is None:  # an enqueued value outside the space: a new point by itself
                return _free(params, fixed)
            earlier = self._known.get(point)
            if earlier is not None:
                pinned = {i for i, n in enumerate(self._names) if n in fixed}
                replacement = self._nearest_unvisited(point, pinned)
                if replacement is None:  # exhausted (around the fixed values): from memory
                    return _free(params, fixed)
                self._log_repeat(study, trial.number, earlier)
                study._storage.set_trial_user_attr(trial._trial_id, REPEAT_ATTR, earlier)
                point = replacement
                params = {
                    n: a.value(i) for n, a, i in zip(self._names, self._axes, point, strict=True)
                }
            self._known[point] = trial.number
            return _free(params, fixed)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._base.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._base.before_trial(study, trial)

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._base.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._base.reseed_rng()
        self._rng.seed()

    def _use(self, search_space: dict[str, BaseDistribution]) -> None:
        """Make ``search_space`` the space of the points (re-reading the study on a change)."""
        if search_space == self._space and self._names:
            return
        self._space = dict(search_space)
        self._names = list(search_space)
        self._axes = list(axes_of(self._space).values())
        counts = [a.count for a in self._axes]
        self._size = None if None in counts else math.prod(c for c in counts if c is not None)
        self._known = {}
        self._feed = TrialFeed(self._ready)

    def _ready(self, trial: FrozenTrial) -> bool:
        return all(n in trial.params for n in self._names)

    def _learn(self, study: optuna.Study, before: int) -> None:
        """Add the points of the trials that got their params since the last call."""
        for seen in self._feed.new(study, before=before):
            if seen.user_attrs.get(_INTERRUPTED_ATTR):  # Ctrl-C: never evaluated
                continue
            point = self._point(seen.params)
            if point is not None:
                self._known.setdefault(point, seen.number)

    def _propose(
        self, study: optuna.Study, trial: FrozenTrial, fixed: dict[str, Any]
    ) -> dict[str, Any]:
        """The wrapped sampler's whole proposal (as unwrapped), with the enqueued values."""
        params = dict(fixed)
        if all(n in fixed for n in self._names):
            return params
        space = self._base.infer_relative_search_space(study, trial)
        relative = dict(self._base.sample_relative(study, trial, space)) if space else {}
        for name, axis in zip(self._names, self._axes, strict=True):
            if name in params:
                continue
            if name in relative and axis.index(relative[name]) is not None:
                params[name] = relative[name]
            else:
                distribution = self._space[name]
                params[name] = self._base.sample_independent(study, trial, name, distribution)
        return params

    def _params_of(self, point: Point) -> dict[str, Any]:
        return {n: a.value(i) for n, a, i in zip(self._names, self._axes, point, strict=True)}

    def _point(self, params: dict[str, Any]) -> Point | None:
        """The grid point of ``params``; ``None`` when a value lies outside the space."""
        point = [a.index(params[n]) for n, a in zip(self._names, self._axes, strict=True)]
        return None if None in point else tuple(i for i in point if i is not None)

    def _nearest_unvisited(self, start: Point, pinned: set[int]) -> Point | None:
        """The unvisited point fewest grid steps from ``start``, moving only unpinned axes.

        ``None`` when none is left. A breadth-first search ring by ring: every point it
        expands is a visited one, so it costs at most (visited points) x (neighbours).
        """
        if self.exhausted():
            return None
        free = [i for i in range(len(self._axes)) if i not in pinned]
        if free and all(self._axes[i].count is None for i in free):
            return tuple(
                self._axes[i].draw(self._rng) if i in free else v for i, v in enumerate(start)
            )
        ring, seen = [start], {start}
        while ring:
            nearer: list[Point] = []
            found: list[Point] = []
            for point in ring:
                for neighbour in self._neighbours(point, free):
                    if neighbour in seen:
                        continue
                    seen.add(neighbour)
                    (nearer if neighbour in self._known else found).append(neighbour)
            if found:
                return found[self._rng.randrange(len(found))]
            ring = nearer
        return None

    def _neighbours(self, point: Point, free: list[int]) -> Iterator[Point]:
        for i in free:
            if self._axes[i].count is None:
                continue
            for j in self._axes[i].neighbours(int(point[i])):
                yield (*point[:i], j, *point[i + 1 :])

    def _log_repeat(self, study: optuna.Study, number: int, earlier: int) -> None:
        if not log.logger.isEnabledFor(logging.INFO):
            return
        previous = trial_by_number(study, earlier)
        if previous.state == TrialState.COMPLETE and previous.values:
            known = f"memory-cached score {log.fmt_score(previous.values)}"
        else:
            known = "no score (failed or still running)"
        log.logger.info(
            "[CACHE] Trial %d proposed the params of trial %d (%s): running the nearest "
            "new point instead", number, earlier, known,
        )  # fmt: skip


def _free(params: dict[str, Any], fixed: dict[str, Any]) -> dict[str, Any]:
    """The params the sampler chose (an enqueued trial's fixed values are Optuna's)."""
    return {n: v for n, v in params.items() if n not in fixed}


def repeated_proposals(trials: Sequence[FrozenTrial]) -> int:
    """How many trials replaced a repeated proposal (their ``repeat_of`` attribute)."""
    return sum(REPEAT_ATTR in t.user_attrs for t in trials)


__all__ = ["REPEAT_ATTR", "RepeatAvoidingSampler", "repeated_proposals"]
