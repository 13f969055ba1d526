"""The sampler a session asks trials from: the configured Optuna sampler, seeded per worker."""

from __future__ import annotations

import optuna

from genesis.config import GenesisConfig
from genesis.errors import ConfigError
from genesis.optimizer.problem import Problem

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
    if opt.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=opt.n_startup_trials)
    if opt.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if opt.sampler == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, n_startup_trials=opt.n_startup_trials)
    if opt.sampler == "grid":
        return optuna.samplers.GridSampler(problem.space.grid(), seed=seed)
    if len(config.score.objectives) < 2:
        raise ConfigError("optimizer.sampler: nsga2 is for several score.objectives")
    return optuna.samplers.NSGAIISampler(seed=seed)
