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
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial, TrialState

from genesis.config import CategoricalParam, FloatParam, IntParam
from genesis.optimizer import log
from genesis.optimizer.feed import TrialFeed, trial_by_number
from genesis.optimizer.space import SearchSpace

REPEAT_ATTR = "repeat_of"
_INTERRUPTED_ATTR = "interrupted"  # loop.INTERRUPTED_ATTR (loop imports this module)
Point = tuple[float, ...]
"""A param set as grid indexes (the value itself for a dimension without a step)."""


@dataclass(frozen=True)
class _Axis:
    """One dimension as a grid: ``count`` values by index, or continuous (``count`` None)."""

    dim: IntParam | FloatParam | CategoricalParam

    @property
    def count(self) -> int | None:
        d = self.dim
        if isinstance(d, IntParam):
            return (d.high - d.low) // d.step + 1
        if isinstance(d, FloatParam):
            return None if d.step is None else math.floor((d.high - d.low) / d.step + 1e-9) + 1
        return len(d.choices)

    def index(self, value: Any) -> float:
        d = self.dim
        if isinstance(d, CategoricalParam):
            for i, choice in enumerate(d.choices):
                if type(choice) is type(value) and choice == value:
                    return i
            raise ValueError(f"{value!r} is not one of {d.choices}")
        if d.step is None:
            return float(value)
        return float(round((value - d.low) / d.step))

    def value(self, index: float) -> Any:
        d = self.dim
        if isinstance(d, CategoricalParam):
            return d.choices[int(index)]
        if isinstance(d, IntParam):
            return d.low + int(index) * d.step
        if d.step is None:
            return float(index)
        return float(f"{d.low + int(index) * d.step:.12g}")

    def draw(self, rng: random.Random) -> float:
        """A uniform value of a continuous dimension (log-uniform on a log scale)."""
        d = self.dim
        assert isinstance(d, FloatParam)
        if d.log:
            return math.exp(rng.uniform(math.log(d.low), math.log(d.high)))
        return rng.uniform(d.low, d.high)


class RepeatAvoidingSampler(BaseSampler):
    """Wraps ``base`` so that a trial never re-runs a point the study already has."""

    def __init__(self, base: BaseSampler, space: SearchSpace, *, seed: int | None) -> None:
        self._base = base
        self._names = list(space.dimensions)
        self._axes = [_Axis(dim) for dim in space.dimensions.values()]
        self._steps = [_steps(axis) for axis in self._axes]
        self._distributions = space.distributions()
        self._size = space.size
        self._rng = random.Random(seed)
        self._known: dict[Point, int] = {}
        self._feed = TrialFeed(lambda t: all(n in t.params for n in self._names))

    @property
    def base(self) -> BaseSampler:
        """The wrapped sampler."""
        return self._base

    def exhausted(self) -> bool:
        """Whether every point of a finite search space has been evaluated or claimed.

        Other workers' points count from this sampler's next proposal on.
        """
        return self._size is not None and len(self._known) >= self._size

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if trial.system_attrs.get("fixed_params"):
            return {}  # an enqueued trial (a re-queued orphan) runs what was queued
        params = self._propose(study, trial)
        for seen in self._feed.new(study, before=trial.number):
            if not seen.user_attrs.get(_INTERRUPTED_ATTR):  # Ctrl-C: never evaluated
                self._known.setdefault(self._point(seen.params), seen.number)
        point = self._point(params)
        earlier = self._known.get(point)
        if earlier is not None:
            replacement = self._nearest_unvisited(point)
            if replacement is None:  # the space is exhausted: answered from memory
                return params
            self._log_repeat(study, trial.number, earlier)
            study._storage.set_trial_user_attr(trial._trial_id, REPEAT_ATTR, earlier)
            point = replacement
            params = {n: a.value(i) for n, a, i in zip(self._names, self._axes, point, strict=True)}
        self._known[point] = trial.number
        return params

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

    def _propose(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, Any]:
        """The wrapped sampler's whole proposal, as it would have made it unwrapped."""
        space = self._base.infer_relative_search_space(study, trial)
        params = dict(self._base.sample_relative(study, trial, space)) if space else {}
        for name, distribution in self._distributions.items():
            if name not in params:
                params[name] = self._base.sample_independent(study, trial, name, distribution)
        return params

    def _point(self, params: dict[str, Any]) -> Point:
        return tuple(a.index(params[n]) for n, a in zip(self._names, self._axes, strict=True))

    def _nearest_unvisited(self, start: Point) -> Point | None:
        """The unvisited point fewest grid steps from ``start``; ``None`` when none is left.

        A breadth-first search ring by ring: every point it expands is a visited one, so it
        costs at most (visited points) x (neighbours per point).
        """
        if self._size is not None and len(self._known) >= self._size:
            return None
        if all(axis.count is None for axis in self._axes):
            return tuple(axis.draw(self._rng) for axis in self._axes)
        ring, seen = [start], {start}
        while ring:
            nearer: list[Point] = []
            found: list[Point] = []
            for point in ring:
                for neighbour in self._neighbours(point):
                    if neighbour in seen:
                        continue
                    seen.add(neighbour)
                    (nearer if neighbour in self._known else found).append(neighbour)
            if found:
                return found[self._rng.randrange(len(found))]
            ring = nearer
        return None

    def _neighbours(self, point: Point) -> Iterator[Point]:
        for i, steps in enumerate(self._steps):
            if steps is None:
                continue
            for j in steps(int(point[i])):
                yield (*point[:i], j, *point[i + 1 :])

    def _log_repeat(self, study: optuna.Study, number: int, earlier: int) -> None:
        previous = trial_by_number(study, earlier)
        if previous.state == TrialState.COMPLETE and previous.values:
            known = f"memory-cached score {log.fmt_score(previous.values)}"
        else:
            known = "no score (failed or still running)"
        log.logger.info(
            "[CACHE] Trial %d proposed the params of trial %d (%s): running the nearest "
            "new point instead", number, earlier, known,
        )  # fmt: skip


def _steps(axis: _Axis) -> Callable[[int], list[int]] | None:
    """The indexes one step from an index: the other choices, or the grid neighbours."""
    count = axis.count
    if count is None:
        return None
    if isinstance(axis.dim, CategoricalParam):
        return lambda here: [j for j in range(count) if j != here]
    return lambda here: [j for j in (here - 1, here + 1) if 0 <= j < count]


def repeated_proposals(trials: Sequence[FrozenTrial]) -> int:
    """How many trials replaced a repeated proposal (their ``repeat_of`` attribute)."""
    return sum(REPEAT_ATTR in t.user_attrs for t in trials)


__all__ = ["REPEAT_ATTR", "RepeatAvoidingSampler", "repeated_proposals"]
