"""One dimension of a sampler's search space, as an Optuna distribution seen as a grid.

genesis's samplers (:mod:`~genesis.samplers.elite`, :mod:`~genesis.samplers.repeats`)
search whatever space Optuna hands to ``sample_relative`` (its ``search_space``
argument), not only the configured one, so they work from Optuna's distributions.
An :class:`Axis` gives a distribution two coordinates:

* **grid indexes** (``index``/``value``): a discrete dimension's values numbered 0 ..
  ``count - 1``; a continuous one keeps the value itself;
* the **unit interval** (``unit``/``at``): [0, 1), where each discrete value owns a cell,
  equal in width on a linear scale and in log width on a log scale (so that a log-scaled
  int is searched on a log scale, as Optuna's samplers do).

A value outside the distribution (an enqueued trial out of its bounds, a categorical
choice it does not have, a param whose range changed) has no index and a NaN unit.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

_BELOW_ONE = math.nextafter(1.0, 0.0)


@dataclass(frozen=True)
class Axis:
    """A distribution as grid indexes and unit coordinates; see the module docstring."""

    distribution: IntDistribution | FloatDistribution | CategoricalDistribution

    @classmethod
    def of(cls, distribution: BaseDistribution) -> Axis:
        """The axis of one of Optuna's three distribution kinds."""
        assert isinstance(
            distribution, IntDistribution | FloatDistribution | CategoricalDistribution
        )
        return cls(distribution)

    @cached_property
    def count(self) -> int | None:
        """How many values the dimension has; ``None`` when it is continuous."""
        d = self.distribution
        if isinstance(d, CategoricalDistribution):
            return len(d.choices)
        if isinstance(d, IntDistribution):
            return (d.high - d.low) // d.step + 1
        if d.step is None:
            return None
        return math.floor((d.high - d.low) / d.step + 1e-9) + 1

    @property
    def categorical(self) -> bool:
        """Whether the values are choices without an order."""
        return isinstance(self.distribution, CategoricalDistribution)

    @property
    def even(self) -> bool:
        """Whether the cells are equally wide in [0, 1) (all but a log-scaled int's)."""
        d = self.distribution
        return not (isinstance(d, IntDistribution) and d.log)

    def index(self, value: Any) -> float | None:
        """The grid index of ``value`` (the value itself when continuous); ``None`` outside."""
        d = self.distribution
        if isinstance(d, CategoricalDistribution):
            for i, choice in enumerate(d.choices):
                if type(choice) is type(value) and choice == value:
                    return i
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if not d.low <= value <= d.high:
            return None
        if d.step is None:
            return float(value)
        k = round((value - d.low) / d.step)
        return float(k) if math.isclose(d.low + k * d.step, value, abs_tol=1e-9) else None

    def value(self, index: float) -> Any:
        """The value at grid ``index`` (as Python int, float or the choice itself)."""
        d = self.distribution
        if isinstance(d, CategoricalDistribution):
            return d.choices[int(index)]
        if isinstance(d, IntDistribution):
            return int(d.low + int(index) * d.step)
        if d.step is None:
            return float(index)
        return min(float(f"{d.low + int(index) * d.step:.12g}"), d.high)

    def at(self, u: float) -> Any:
        """The value of unit coordinate ``u`` in [0, 1)."""
        count = self.count
        d = self.distribution
        if isinstance(d, IntDistribution) and d.log:
            low, high = self._log_bounds
            v = math.exp(low + u * (high - low))
            return int(min(max(math.floor(v + 0.5), d.low), d.high))
        if count is not None:
            return self.value(min(int(u * count), count - 1))
        assert isinstance(d, FloatDistribution)
        if d.log:
            v = math.exp(math.log(d.low) + u * (math.log(d.high) - math.log(d.low)))
        else:
            v = d.low + u * (d.high - d.low)
        return float(min(max(v, d.low), d.high))

    def unit(self, value: Any) -> float:
        """The centre of ``value``'s cell in [0, 1) (the inverse of :meth:`at`); NaN outside."""
        k = self.index(value)
        if k is None:
            return math.nan
        d = self.distribution
        if isinstance(d, IntDistribution) and d.log:
            low, high = self._log_bounds
            v = int(self.value(k))
            centre = (math.log(v - 0.5) + math.log(v + 0.5)) / 2
            return float((centre - low) / (high - low))
        count = self.count
        if count is not None:
            return float((k + 0.5) / count)
        assert isinstance(d, FloatDistribution)
        if d.high == d.low:
            return 0.5
        if d.log:
            u = (math.log(value) - math.log(d.low)) / (math.log(d.high) - math.log(d.low))
        else:
            u = (value - d.low) / (d.high - d.low)
        return min(max(float(u), 0.0), _BELOW_ONE)

    def cell(self, u: float) -> float:
        """The grid index of unit coordinate ``u`` (``u`` itself when continuous)."""
        if self.count is None:
            return u
        index = self.index(self.at(u))
        assert index is not None
        return index

    def centre(self, index: int) -> float:
        """The unit coordinate of grid ``index``'s cell centre."""
        return self.unit(self.value(index))

    def draw(self, rng: random.Random) -> float:
        """A uniform value of a continuous dimension (log-uniform on a log scale)."""
        d = self.distribution
        assert isinstance(d, FloatDistribution)
        if d.log:
            return math.exp(rng.uniform(math.log(d.low), math.log(d.high)))
        return rng.uniform(d.low, d.high)

    def neighbours(self, index: int) -> list[int]:
        """The grid indexes one step from ``index``: the other choices, or the next values."""
        count = self.count
        assert count is not None
        if self.categorical:
            return [j for j in range(count) if j != index]
        return [j for j in (index - 1, index + 1) if 0 <= j < count]

    @cached_property
    def _log_bounds(self) -> tuple[float, float]:
        """A log int's unit range: each int owns [v - 0.5, v + 0.5) on a log scale."""
        d = self.distribution
        assert isinstance(d, IntDistribution)
        return math.log(d.low - 0.5), math.log(d.high + 0.5)


def axes_of(search_space: dict[str, BaseDistribution]) -> dict[str, Axis]:
    """The axes of a search space, in its order."""
    return {name: Axis.of(d) for name, d in search_space.items()}


__all__ = ["Axis", "axes_of"]
