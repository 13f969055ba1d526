"""EliteSampler: stays in the space, replays with a seed, ranks feasible first, beats random."""

from __future__ import annotations

from typing import Any

import optuna

from genesis.config import config_from_dict
from genesis.optimizer.elite import EliteSampler
from genesis.optimizer.space import SearchSpace

optuna.logging.set_verbosity(optuna.logging.WARNING)

SPACE = SearchSpace.from_config(
    config_from_dict(
        {
            "search_space": {
                "a": {"type": "int", "low": 0, "high": 40},
                "b": {"type": "float", "low": -2.0, "high": 2.0, "step": 0.1},
                "c": {"type": "float", "low": 1e-3, "high": 1.0, "log": True},
                "d": {"type": "categorical", "choices": ["x", "y", "z"]},
            }
        }
    ).search_space,
    {},
)


def score(p: dict[str, Any]) -> float:
    return -((p["a"] - 31) ** 2) / 100 - (p["b"] - 0.7) ** 2 - abs(p["c"] - 0.2) + (p["d"] == "z")


def optimize(sampler: optuna.samplers.BaseSampler, n: int, feasible_a_below: int = 99) -> Any:
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for _ in range(n):
        trial = study.ask()
        params = SPACE.suggest(trial)
        trial.set_constraint("a_cap", params["a"] - feasible_a_below)
        study.tell(trial, score(params))
    return study


def test_params_stay_in_their_distributions_and_replay_with_the_seed() -> None:
    first = optimize(EliteSampler(SPACE, seed=3), 40)
    second = optimize(EliteSampler(SPACE, seed=3), 40)
    assert [t.params for t in first.trials] == [t.params for t in second.trials]
    distributions = SPACE.distributions()
    for trial in first.trials:
        for name, value in trial.params.items():
            assert distributions[name]._contains(distributions[name].to_internal_repr(value))


def test_it_finds_better_points_than_random_search_at_equal_trials() -> None:
    for seed in (1, 2, 3):
        elite = optimize(EliteSampler(SPACE, seed=seed), 60).best_value
        random = optimize(optuna.samplers.RandomSampler(seed=seed), 60).best_value
        assert elite > random


def test_infeasible_trials_rank_after_every_feasible_one() -> None:
    sampler = EliteSampler(SPACE, seed=5)
    study = optimize(sampler, 50, feasible_a_below=20)  # the score's optimum (a=31) is infeasible
    SPACE.suggest(study.ask())  # the sampler reads the finished trials when it proposes
    best_key, best_number, _ = sampler._ranked[0]
    assert best_key[0] == 0.0  # no violation
    feasible = [t for t in study.trials[:50] if t.params["a"] <= 20]
    assert study.trials[best_number].value == max(t.value for t in feasible)
