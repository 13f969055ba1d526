"""genesis's default sampler: a space-filling start, then mutations of the best points.

:class:`EliteSampler` is a (mu + 1) evolution strategy over the unit cube, for one
objective with constraints, at a bounded cost per trial:

* **Start.** The first ``n_startup`` trials are a Latin hypercube (McKay, Beckman &
  Conover 1979): each dimension's range cut into ``n_startup`` strata, one point per
  stratum, so that a small budget still covers every dimension's range.
* **Ranking.** Feasible trials (every ``trial.set_constraint`` value <= 0) rank first, by
  score; infeasible ones after, by their total violation. Constraint violations are
  never folded into the score.
* **Mutants.** A parent drawn from the ``elite`` best trials (the best one half of the
  time), optionally crossed over with another elite (uniform crossover), then mutated:
  each dimension with probability ``2 / n_dims`` (at least one), a step of ``sigma``
  (Gaussian, in units of the dimension's range) that moves at least one grid step; a
  categorical takes another choice.
* **Screening.** Of ``n_candidates`` such mutants the one proposed is the one with the
  highest ratio of kernel densities of the good trials (the best 15 %, feasible first)
  to the others: TPE's acquisition (Bergstra et al. 2011), here over mutants of the
  elite instead of draws from the model, on the last 1,000 trials. One proposal in ten
  is uniform at random instead, so the search never stops looking elsewhere.
* **Step size.** ``sigma`` follows Rechenberg's 1/5 success rule: it grows when a child
  beats its parent and shrinks otherwise, within [0.02, 0.4].

The sampler reads each finished trial once (its points are kept in memory and the elite
in a short sorted list) and screens against at most 1,000 of them, so a trial costs the
same at trial 5,000 as at trial 1,000. Other
workers' trials are read from the study like this worker's own. It never repeats itself
on purpose, but does not check: :class:`~genesis.optimizer.repeats.RepeatAvoidingSampler`
wraps it (by default) to replace repeats.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from genesis.config import CategoricalParam, FloatParam, IntParam
from genesis.optimizer.feed import TrialFeed
from genesis.optimizer.space import SearchSpace

_SIGMA_RANGE = (0.02, 0.4)
_EXPLORE = 0.1
_CROSSOVER = 0.3
_MODEL_POINTS = 1_000
_GOOD = 0.15
_BELOW_ONE = float(np.nextafter(1.0, 0.0))


class EliteSampler(BaseSampler):
    """A Latin-hypercube start, then mutations of the elite; see the module docstring."""

    def __init__(
        self,
        space: SearchSpace,
        *,
        seed: int | None,
        n_startup: int = 10,
        elite: int = 4,
        sigma: float = 0.2,
        n_candidates: int = 16,
        bandwidth: float = 0.15,
    ) -> None:
        self._names = list(space.dimensions)
        self._dims = list(space.dimensions.values())
        self._distributions = space.distributions()
        self._rng = np.random.default_rng(seed)
        self._n_startup = max(1, n_startup)
        self._n_elite = max(1, elite)
        self._sigma = sigma
        self._design: np.ndarray | None = None
        self._feed = TrialFeed(lambda t: t.state.is_finished())
        self._complete = 0
        self._ranked: list[tuple[tuple[float, float], int, np.ndarray]] = []
        self._parents: dict[int, tuple[float, float]] = {}
        self._n_candidates = max(1, n_candidates)
        self._bandwidth = bandwidth
        self._counts = [_count(d) for d in self._dims]
        self._seen: set[tuple[float, ...]] = set()
        # The complete trials' unit points and (violation, loss) keys, in arrays of twice
        # the model's window: the last _MODEL_POINTS rows are the window, without copies.
        self._units = np.empty((2 * _MODEL_POINTS, len(self._dims)))
        self._keys = np.empty((2 * _MODEL_POINTS, 2))
        self._n_points = 0

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        for finished in self._feed.new(study, before=trial.number):
            if finished.state == TrialState.COMPLETE and finished.values is not None:
                self._add(finished, sign)
            else:
                self._parents.pop(finished.number, None)  # failed: no success to count
        if self._complete < self._n_startup or not self._ranked:
            unit = self._startup_point(trial.number)
        elif self._rng.random() < _EXPLORE:
            unit = self._rng.random(len(self._dims))
        else:
            unit = self._child(trial.number)
        return {n: _value(d, u) for n, d, u in zip(self._names, self._dims, unit, strict=True)}

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """Only for params outside the configured space: uniform at random."""
        sampler = optuna.samplers.RandomSampler(seed=int(self._rng.integers(2**31)))
        return sampler.sample_independent(study, trial, param_name, param_distribution)

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()

    def _startup_point(self, number: int) -> np.ndarray:
        n, d = self._n_startup, len(self._dims)
        if self._design is None:
            strata = np.argsort(self._rng.random((d, n)), axis=1).T  # a permutation per dim
            self._design = (strata + self._rng.random((n, d))) / n
        if number < n:
            return np.asarray(self._design[number])
        return self._rng.random(d)  # a resumed study past its start, or failed start trials

    def _child(self, number: int) -> np.ndarray:
        mutants = [self._mutant() for _ in range(self._n_candidates)]
        fresh = [m for m in mutants if self._cell(m[1]) not in self._seen]
        mutants = fresh or mutants  # a repeat only when every mutant is one
        pick = self._screen(np.array([u for _, u in mutants])) if len(mutants) > 1 else 0
        key, unit = mutants[pick]
        self._parents[number] = key
        self._seen.add(self._cell(unit))
        return unit

    def _cell(self, unit: np.ndarray) -> tuple[float, ...]:
        """The grid cell of a unit point: what makes two proposals the same params."""
        return tuple(
            u if n is None else min(int(u * n), n - 1)
            for u, n in zip(unit.tolist(), self._counts, strict=True)
        )

    def _screen(self, candidates: np.ndarray) -> int:
        """The candidate most likely good: highest ratio of kernel densities good / bad.

        TPE's density ratio (Bergstra et al. 2011) over the last ``_MODEL_POINTS``
        trials, with the best ``_GOOD`` fraction (feasible first) as the good set.
        """
        window = slice(max(0, self._n_points - _MODEL_POINTS), self._n_points)
        units, keys = self._units[window], self._keys[window]
        order = np.lexsort((keys[:, 1], keys[:, 0]))
        n_good = min(len(order) - 1, max(1, math.ceil(_GOOD * len(order))))
        if n_good < 1:
            return 0
        good, bad = units[order[:n_good]], units[order[n_good:]]
        h2 = 2.0 * self._bandwidth**2

        def log_density(points: np.ndarray) -> np.ndarray:
            sq = ((candidates[:, None, :] - points[None, :, :]) ** 2).sum(axis=2) / h2
            low = sq.min(axis=1)
            density: np.ndarray = -low + np.log(np.exp(-(sq - low[:, None])).mean(axis=1))
            return density

        return int(np.argmax(log_density(good) - log_density(bad)))

    def _mutant(self) -> tuple[tuple[float, float], np.ndarray]:
        ranked = self._ranked[: self._n_elite]
        parent = 0 if self._rng.random() < 0.5 else int(self._rng.integers(len(ranked)))
        key, _, unit = ranked[parent]
        child = unit.copy()
        if len(ranked) > 1 and self._rng.random() < _CROSSOVER:
            other = ranked[int(self._rng.integers(len(ranked)))][2]
            take = self._rng.random(len(child)) < 0.5
            child[take] = other[take]
        d = len(self._dims)
        mutate = self._rng.random(d) < min(1.0, 2.0 / d)
        if not mutate.any():
            mutate[int(self._rng.integers(d))] = True
        for i in np.flatnonzero(mutate):
            child[i] = self._mutate(self._dims[i], float(child[i]))
        return key, child

    def _mutate(self, dim: IntParam | FloatParam | CategoricalParam, u: float) -> float:
        if isinstance(dim, CategoricalParam):
            count = len(dim.choices)
            if count < 2:
                return u
            here = min(int(u * count), count - 1)
            other = int(self._rng.integers(count - 1))
            return (other + (other >= here) + 0.5) / count
        cells = _count(dim)
        moved = u + self._sigma * float(self._rng.standard_normal())
        if cells is not None and cells > 1:  # move at least one grid step
            here, there = min(int(u * cells), cells - 1), min(int(moved * cells), cells - 1)
            if here == there:
                moved = u + math.copysign(1.0 / cells, moved - u)
        if moved < 0.0 or moved >= 1.0:  # reflect at the bounds
            moved = -moved if moved < 0.0 else 2.0 - moved
        return min(max(moved, 0.0), _BELOW_ONE)

    def _add(self, trial: FrozenTrial, sign: float) -> None:
        if not all(n in trial.params for n in self._names):
            return
        self._complete += 1
        violation = sum(max(0.0, v) for v in trial.constraints.values())
        key = (violation, sign * float(trial.values[0]))  # smaller is better
        parent = self._parents.pop(trial.number, None)
        if parent is not None:  # Rechenberg's 1/5 rule: x1.2 on success, x0.955 otherwise
            self._sigma *= 1.2 if key < parent else 0.955
            self._sigma = min(max(self._sigma, _SIGMA_RANGE[0]), _SIGMA_RANGE[1])
        unit = np.array(
            [_unit(d, trial.params[n]) for n, d in zip(self._names, self._dims, strict=True)]
        )
        self._seen.add(self._cell(unit))
        if self._n_points == len(self._units):  # full: keep the window, drop the rest
            self._units[:_MODEL_POINTS] = self._units[-_MODEL_POINTS:]
            self._keys[:_MODEL_POINTS] = self._keys[-_MODEL_POINTS:]
            self._n_points = _MODEL_POINTS
        self._units[self._n_points] = unit
        self._keys[self._n_points] = key
        self._n_points += 1
        entry = (key, trial.number, unit)
        keys = [e[0] for e in self._ranked]
        at = bisect.bisect_right(keys, key)
        if at < 4 * self._n_elite:
            self._ranked.insert(at, entry)
            del self._ranked[4 * self._n_elite :]


def _count(dim: IntParam | FloatParam | CategoricalParam) -> int | None:
    if isinstance(dim, IntParam):
        return (dim.high - dim.low) // dim.step + 1
    if isinstance(dim, FloatParam):
        return None if dim.step is None else math.floor((dim.high - dim.low) / dim.step + 1e-9) + 1
    return len(dim.choices)


def _value(dim: IntParam | FloatParam | CategoricalParam, u: float) -> Any:
    """The param value of unit coordinate ``u``: discrete values own equal cells of [0, 1)."""
    count = _count(dim)
    if count is not None:
        k = min(int(u * count), count - 1)
        if isinstance(dim, CategoricalParam):
            return dim.choices[k]
        if isinstance(dim, IntParam):
            return dim.low + k * dim.step
        assert dim.step is not None
        return float(f"{dim.low + k * dim.step:.12g}")
    assert isinstance(dim, FloatParam)
    if dim.log:
        return math.exp(math.log(dim.low) + u * (math.log(dim.high) - math.log(dim.low)))
    return dim.low + u * (dim.high - dim.low)


def _unit(dim: IntParam | FloatParam | CategoricalParam, value: Any) -> float:
    """The centre of ``value``'s cell in [0, 1) (the inverse of :func:`_value`)."""
    if isinstance(dim, CategoricalParam):
        k = next(i for i, c in enumerate(dim.choices) if type(c) is type(value) and c == value)
        return (k + 0.5) / len(dim.choices)
    count = _count(dim)
    if count is not None:
        assert dim.step is not None
        return float((round((value - dim.low) / dim.step) + 0.5) / count)
    if dim.log:
        return float(
            (math.log(value) - math.log(dim.low)) / (math.log(dim.high) - math.log(dim.low))
        )
    return float((value - dim.low) / (dim.high - dim.low))


__all__ = ["EliteSampler"]
