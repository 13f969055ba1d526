"""The search space: turns the config's dimensions into Optuna suggestions.

Params come back normalized: ints as ints, floats on their step grid (Optuna computes
``low + k * step`` in floating point; the spec's canonical form rounds the noise away).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import optuna

from genesis.config import CategoricalParam, FixedParam, FloatParam, IntParam
from genesis.config.models import SearchDimension
from genesis.errors import ConfigError


@dataclass(frozen=True)
class SearchSpace:
    """The tunable dimensions plus the values fixed for the run."""

    dimensions: Mapping[str, IntParam | FloatParam | CategoricalParam]
    fixed: Mapping[str, Any]

    @classmethod
    def from_config(
        cls, search_space: Mapping[str, SearchDimension], fixed: Mapping[str, Any]
    ) -> SearchSpace:
        """Split the config's search space into tuned dimensions and fixed values."""
        dims = {n: d for n, d in search_space.items() if not isinstance(d, FixedParam)}
        pinned = dict(fixed)
        pinned.update({n: d.value for n, d in search_space.items() if isinstance(d, FixedParam)})
        overlap = sorted(set(dims) & set(fixed))
        if overlap:
            raise ConfigError(
                f"search_space.{overlap[0]}: also fixed in strategy.params",
                hint="a param is either searched or fixed, not both",
            )
        return cls(dims, pinned)

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Ask ``trial`` for a value of every dimension; returns tuned plus fixed params.

        Raises:
            ConfigError: the study holds this param with a distribution of another kind
                (a resumed study whose search space changed): Optuna refuses it here.
        """
        params = dict(self.fixed)
        for name, dim in self.dimensions.items():
            try:
                params[name] = _suggest(trial, name, dim)
            except ValueError as error:
                raise ConfigError(
                    f"search_space.{name}: the study has this param with another "
                    f"distribution ({error})",
                    hint="keep the study's search space, or start a new --study",
                ) from None
        return params

    @property
    def size(self) -> int | None:
        """How many distinct points the space has; ``None`` when it is continuous."""
        total = 1
        for dim in self.dimensions.values():
            count = _count(dim)
            if count is None:
                return None
            total *= count
        return total

    def distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        """The Optuna distribution of each dimension (what ``suggest`` asks for)."""
        result: dict[str, optuna.distributions.BaseDistribution] = {}
        for name, dim in self.dimensions.items():
            if isinstance(dim, IntParam):
                result[name] = optuna.distributions.IntDistribution(
                    dim.low, dim.high, step=dim.step, log=dim.log
                )
            elif isinstance(dim, FloatParam):
                result[name] = optuna.distributions.FloatDistribution(
                    dim.low, dim.high, step=dim.step, log=dim.log
                )
            else:
                result[name] = optuna.distributions.CategoricalDistribution(dim.choices)
        return result

    def grid(self) -> dict[str, list[Any]]:
        """Every value of every dimension, for Optuna's GridSampler.

        Raises:
            ConfigError: a float dimension has no step (a grid needs a finite space).
        """
        values: dict[str, list[Any]] = {}
        for name, dim in self.dimensions.items():
            if isinstance(dim, IntParam):
                values[name] = list(range(dim.low, dim.high + 1, dim.step))
            elif isinstance(dim, FloatParam):
                if dim.step is None:
                    raise ConfigError(
                        f"search_space.{name}: the grid sampler needs a step for float params"
                    )
                count = _count(dim)
                assert count is not None
                values[name] = [float(f"{dim.low + k * dim.step:.12g}") for k in range(count)]
            else:
                values[name] = list(dim.choices)
        return values


def _suggest(trial: optuna.Trial, name: str, dim: IntParam | FloatParam | CategoricalParam) -> Any:
    if isinstance(dim, IntParam):
        return trial.suggest_int(name, dim.low, dim.high, step=dim.step, log=dim.log)
    if isinstance(dim, FloatParam):
        return trial.suggest_float(name, dim.low, dim.high, step=dim.step, log=dim.log)
    return trial.suggest_categorical(name, dim.choices)


def _count(dim: IntParam | FloatParam | CategoricalParam) -> int | None:
    if isinstance(dim, IntParam):
        return (dim.high - dim.low) // dim.step + 1
    if isinstance(dim, FloatParam):
        if dim.step is None:
            return None
        return math.floor((dim.high - dim.low) / dim.step + 1e-9) + 1
    return len(dim.choices)
