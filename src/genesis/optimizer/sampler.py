"""The sampler a session asks trials from: the configured one, seeded per worker.

``elite`` (the default, :mod:`genesis.optimizer.elite`) or one of Optuna's samplers, and,
unless ``optimizer.avoid_repeats`` is false, wrapped so that no trial re-runs an
evaluated point (:mod:`genesis.optimizer.repeats`). The grid sampler enumerates its space
without repeats on its own and is never wrapped.
"""

from __future__ import annotations

import optuna

from genesis.config import GenesisConfig
from genesis.errors import ConfigError
from genesis.optimizer.elite import EliteSampler
from genesis.optimizer.problem import Problem
from genesis.optimizer.repeats import RepeatAvoidingSampler

_SESSION_STRIDE = 1_000_003  # a prime: sessions' seeds never meet the workers' offsets


def make_sampler(
    config: GenesisConfig, problem: Problem, worker_index: int, *, session: int = 0
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
    config: GenesisConfig, problem: Problem, seed: int | None
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
