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
on purpose, but does not check: :class:`~genesis.samplers.repeats.RepeatAvoidingSampler`
wraps it (by default) to replace repeats.

It keeps Optuna's sampler contract (Optuna's own sampler tests run on it, see
``tests/optuna_contract``): it samples the ``search_space`` Optuna passes (genesis's
configured space, or without one the union of the params of the study's complete
trials), learns from trials that have only some of the params (conditional spaces: a
missing coordinate counts as unknown), returns Python values, refuses several objectives
with ``ValueError``, pickles, and may be shared by ``study.optimize(n_jobs=...)`` threads
(one proposal at a time, each finished trial read once).
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

from genesis.samplers.axes import Axis, axes_of
from genesis.samplers.feed import Locked, TrialFeed
from genesis.samplers.space import SearchSpace

_SIGMA_RANGE = (0.02, 0.4)
_EXPLORE = 0.1
_CROSSOVER = 0.3
_MODEL_POINTS = 1_000
_GOOD = 0.15
_BELOW_ONE = float(np.nextafter(1.0, 0.0))
Key = tuple[float, float]
"""A complete trial's rank: (total constraint violation, loss); smaller is better."""


class EliteSampler(Locked, BaseSampler):
    """A Latin-hypercube start, then mutations of the elite; see the module docstring.

    Args:
        space: genesis's search space; ``None`` (composing it with plain Optuna) samples
            the params the study's complete trials have.
        seed: the random stream's seed (``None``: fresh entropy).
    """

    def __init__(
        self,
        space: SearchSpace | None = None,
        *,
        seed: int | None,
        n_startup: int = 10,
        elite: int = 4,
        sigma: float = 0.2,
        n_candidates: int = 16,
        bandwidth: float = 0.15,
    ) -> None:
        self._configured = None if space is None else space.distributions()
        self._rng = np.random.default_rng(seed)
        self._n_startup = max(1, n_startup)
        self._n_elite = max(1, elite)
        self._sigma = sigma
        self._n_candidates = max(1, n_candidates)
        self._bandwidth = bandwidth
        self._feed = TrialFeed(_finished)
        Locked.__init__(self)
        self._union: dict[str, BaseDistribution] = {}  # every complete trial's params
        self._complete = 0
        self._ranked: list[tuple[Key, int, dict[str, Any]]] = []
        self._parents: dict[int, Key] = {}
        # The complete trials' params and keys, in arrays of twice the model's window: the
        # last _MODEL_POINTS rows are the window, without copies. ``_units`` holds those
        # params as unit points of the space sampled last (rebuilt when it changes).
        self._params: list[dict[str, Any]] = []
        self._keys = np.empty((2 * _MODEL_POINTS, 2))
        self._n_points = 0
        self._space: dict[str, BaseDistribution] = {}
        self._axes: list[Axis] = []
        self._units = np.empty((2 * _MODEL_POINTS, 0))
        self._seen: set[tuple[float, ...]] = set()
        self._design: np.ndarray | None = None

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        _single_objective(study)
        if self._configured is not None:
            return dict(self._configured)
        with self._lock:
            self._read(study, trial.number)
            return {n: d for n, d in self._union.items() if not d.single()}

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        _single_objective(study)
        if not search_space:
            return {}
        with self._lock:
            self._read(study, trial.number)
            self._use(search_space)
            if self._complete < self._n_startup or not self._ranked:
                unit = self._startup_point(trial.number)
            elif self._rng.random() < _EXPLORE:
                unit = self._rng.random(len(self._axes))
            else:
                unit = self._child(trial.number)
            return {
                n: a.at(float(u)) for n, a, u in zip(self._space, self._axes, unit, strict=True)
            }

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """Only for params outside the relative search space: uniform at random."""
        _single_objective(study)
        with self._lock:
            seed = int(self._rng.integers(2**31))
        sampler = optuna.samplers.RandomSampler(seed=seed)
        return sampler.sample_independent(study, trial, param_name, param_distribution)

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()

    def _read(self, study: optuna.Study, before: int) -> None:
        """Learn from the trials finished since the last call (each exactly once)."""
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        for finished in self._feed.new(study, before=before):
            if finished.state == TrialState.COMPLETE and finished.values is not None:
                self._add(finished, sign)
            else:
                self._parents.pop(finished.number, None)  # failed: no success to count

    def _use(self, search_space: dict[str, BaseDistribution]) -> None:
        """Make ``search_space`` the space of the unit points (rebuilt only on a change)."""
        if search_space == self._space:
            return
        self._space = dict(search_space)
        self._axes = list(axes_of(self._space).values())
        self._units = np.empty((len(self._keys), len(self._axes)))
        self._seen = set()
        self._design = None
        for row, params in enumerate(self._params):
            self._units[row] = self._unit_row(params)
            self._see(self._units[row])

    def _unit_row(self, params: dict[str, Any]) -> np.ndarray:
        """The unit point of ``params`` in the current space; NaN where a param is absent."""
        return np.array(
            [
                a.unit(params[n]) if n in params else math.nan
                for n, a in zip(self._space, self._axes, strict=True)
            ]
        )

    def _see(self, unit: np.ndarray) -> None:
        if not np.isnan(unit).any():
            self._seen.add(self._cell(unit))

    def _startup_point(self, number: int) -> np.ndarray:
        n, d = self._n_startup, len(self._axes)
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
        return tuple(a.cell(u) for a, u in zip(self._axes, unit.tolist(), strict=True))

    def _screen(self, candidates: np.ndarray) -> int:
        """The candidate most likely good: highest ratio of kernel densities good / bad.

        TPE's density ratio (Bergstra et al. 2011) over the last ``_MODEL_POINTS``
        trials, with the best ``_GOOD`` fraction (feasible first) as the good set. A
        coordinate a trial does not have (a conditional param) adds no distance.
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
            diff = np.nan_to_num(candidates[:, None, :] - points[None, :, :], nan=0.0)
            sq = (diff**2).sum(axis=2) / h2
            low = sq.min(axis=1)
            density: np.ndarray = -low + np.log(np.exp(-(sq - low[:, None])).mean(axis=1))
            return density

        return int(np.argmax(log_density(good) - log_density(bad)))

    def _mutant(self) -> tuple[Key, np.ndarray]:
        ranked = self._ranked[: self._n_elite]
        parent = 0 if self._rng.random() < 0.5 else int(self._rng.integers(len(ranked)))
        key, _, params = ranked[parent]
        child = self._known_unit(params)
        if len(ranked) > 1 and self._rng.random() < _CROSSOVER:
            other = self._known_unit(ranked[int(self._rng.integers(len(ranked)))][2])
            take = self._rng.random(len(child)) < 0.5
            child[take] = other[take]
        d = len(self._axes)
        mutate = self._rng.random(d) < min(1.0, 2.0 / d)
        if not mutate.any():
            mutate[int(self._rng.integers(d))] = True
        for i in np.flatnonzero(mutate):
            child[i] = self._mutate(self._axes[i], float(child[i]))
        return key, child

    def _known_unit(self, params: dict[str, Any]) -> np.ndarray:
        """An elite's unit point; a coordinate it does not have is drawn at random."""
        unit = self._unit_row(params)
        missing = np.isnan(unit)
        unit[missing] = self._rng.random(int(missing.sum()))
        return unit

    def _mutate(self, axis: Axis, u: float) -> float:
        count = axis.count
        if axis.categorical:
            assert count is not None
            if count < 2:
                return u
            here = min(int(u * count), count - 1)
            other = int(self._rng.integers(count - 1))
            return (other + (other >= here) + 0.5) / count
        moved = u + self._sigma * float(self._rng.standard_normal())
        if count is not None and count > 1:  # move at least one grid step
            if axis.even:  # cells of 1 / count
                here, there = min(int(u * count), count - 1), min(int(moved * count), count - 1)
                if here == there:
                    moved = u + math.copysign(1.0 / count, moved - u)
            else:  # a log-scaled int: a step to the next value's cell, however wide
                here = int(axis.cell(u))
                if here == int(axis.cell(min(max(moved, 0.0), _BELOW_ONE))):
                    step = 1 if moved >= u else -1
                    there = here + step if 0 <= here + step < count else here - step
                    moved = u + axis.centre(there) - axis.centre(here)
        if moved < 0.0 or moved >= 1.0:  # reflect at the bounds
            moved = -moved if moved < 0.0 else 2.0 - moved
        return min(max(moved, 0.0), _BELOW_ONE)

    def _add(self, trial: FrozenTrial, sign: float) -> None:
        self._union.update(trial.distributions)
        self._complete += 1
        violation = sum(max(0.0, v) for v in trial.constraints.values())
        key = (violation, sign * float(trial.values[0]))  # smaller is better
        parent = self._parents.pop(trial.number, None)
        if parent is not None:  # Rechenberg's 1/5 rule: x1.2 on success, x0.955 otherwise
            self._sigma *= 1.2 if key < parent else 0.955
            self._sigma = min(max(self._sigma, _SIGMA_RANGE[0]), _SIGMA_RANGE[1])
        if self._n_points == len(self._keys):  # full: keep the window, drop the rest
            self._units[:_MODEL_POINTS] = self._units[-_MODEL_POINTS:]
            self._keys[:_MODEL_POINTS] = self._keys[-_MODEL_POINTS:]
            self._params = self._params[-_MODEL_POINTS:]
            self._n_points = _MODEL_POINTS
        self._params.append(trial.params)
        self._units[self._n_points] = self._unit_row(trial.params)
        self._see(self._units[self._n_points])
        self._keys[self._n_points] = key
        self._n_points += 1
        entry = (key, trial.number, trial.params)
        keys = [e[0] for e in self._ranked]
        at = bisect.bisect_right(keys, key)
        if at < 4 * self._n_elite:
            self._ranked.insert(at, entry)
            del self._ranked[4 * self._n_elite :]


def _finished(trial: FrozenTrial) -> bool:
    return trial.state.is_finished()


def _single_objective(study: optuna.Study) -> None:
    if len(study.directions) > 1:
        raise ValueError(
            "EliteSampler is for one objective; use NSGAIISampler or TPESampler for several"
        )


__all__ = ["EliteSampler"]
