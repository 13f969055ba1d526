"""The sampler a session asks trials from: the configured one, seeded per worker.

``elite`` (the default, :mod:`genesis.samplers.elite`) or one of Optuna's samplers, and,
unless ``optimizer.avoid_repeats`` is false, wrapped so that no trial re-runs an
evaluated point (:mod:`genesis.samplers.repeats`). The grid sampler enumerates its space
without repeats on its own and is never wrapped.
"""

from __future__ import annotations

from typing import Protocol

import optuna

from genesis.config import GenesisConfig
from genesis.errors import ConfigError
from genesis.samplers.elite import EliteSampler
from genesis.samplers.repeats import RepeatAvoidingSampler
from genesis.samplers.space import SearchSpace


class HasSpace(Protocol):
    """What the factory needs of a problem (:class:`genesis.optimizer.Problem` is one).

    A protocol rather than the class: the samplers sit below the optimizer and never
    import it.
    """

    @property
    def space(self) -> SearchSpace:
        """The search space the sampler proposes points in."""


_SESSION_STRIDE = 1_000_003  # a prime: sessions' seeds never meet the workers' offsets


def make_sampler(
    config: GenesisConfig, problem: HasSpace, worker_index: int, *, session: int = 0
) -> optuna.samplers.BaseSampler:
    """The configured sampler, seeded with ``seed + worker_index`` in a fresh study.

    A resumed study (``session`` = the number of trials it already has) shifts the seed,
    still deterministically, so that it draws new points instead of the first session's.
    """
    opt = config.optimizer
    seed = None
    if opt.seed is not None:
        seed = (opt.seed + worker_index + _SESSION_STRIDE * session) % 2**32
    base = _base_sampler(config, problem, seed)
    if not opt.avoid_repeats or isinstance(base, optuna.samplers.GridSampler):
        return base
    return RepeatAvoidingSampler(base, problem.space, seed=seed)


def _base_sampler(
    config: GenesisConfig, problem: HasSpace, seed: int | None
) -> optuna.samplers.BaseSampler:
    opt = config.optimizer
    several = len(config.score.objectives) > 1
    if opt.sampler == "elite" and not several:
        return EliteSampler(problem.space, seed=seed, n_startup=opt.n_startup_trials)
    if opt.sampler in ("tpe", "elite"):  # elite is single-objective: TPE for several
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=opt.n_startup_trials)
    if opt.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if opt.sampler == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, n_startup_trials=opt.n_startup_trials)
    if opt.sampler == "grid":
        return optuna.samplers.GridSampler(problem.space.grid(), seed=seed)
    if not several:
        raise ConfigError("optimizer.sampler: nsga2 is for several score.objectives")
    return optuna.samplers.NSGAIISampler(seed=seed)
