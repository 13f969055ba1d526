"""EliteSampler: stays in the space, replays with a seed, ranks feasible first, beats random.

And keeps Optuna's sampler contract where Optuna's own tests do not look: Python floats,
its search_space argument, several objectives refused, pickling, threads on a journal,
conditional params, log-scaled ints, enqueued values outside the space.
"""

from __future__ import annotations

import pickle
import statistics
import time
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial

from genesis.config import config_from_dict
from genesis.samplers.elite import EliteSampler
from genesis.samplers.space import SearchSpace

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


def test_continuous_floats_are_python_floats() -> None:
    space = SearchSpace.from_config(
        config_from_dict(
            {"search_space": {"x": {"type": "float", "low": -1.0, "high": 1.0}}}
        ).search_space,
        {},
    )
    study = optuna.create_study(sampler=EliteSampler(space, seed=1, n_startup=2))
    study.optimize(lambda t: space.suggest(t)["x"] ** 2, n_trials=12)
    assert all(type(t.params["x"]) is float for t in study.trials)


def test_sample_relative_samples_only_the_space_it_is_given() -> None:
    sampler = EliteSampler(SPACE, seed=2)
    study = optimize(sampler, 15)
    trial = study.ask()
    subset = {"a": SPACE.distributions()["a"]}
    assert set(sampler.sample_relative(study, trial._cached_frozen_trial, subset)) == {"a"}


def test_several_objectives_raise_optunas_value_error() -> None:
    sampler = EliteSampler(SPACE, seed=1)
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    with pytest.raises(ValueError, match="one objective"):
        study.ask().suggest_int("a", 0, 40)


def test_a_pickled_sampler_goes_on_as_the_original() -> None:
    sampler = EliteSampler(SPACE, seed=4)
    study = optimize(sampler, 20)
    copy = pickle.loads(pickle.dumps(sampler))
    frozen = study.ask()._cached_frozen_trial
    space = SPACE.distributions()
    assert copy.sample_relative(study, frozen, space) == sampler.sample_relative(
        study, frozen, space
    )


class Counting(EliteSampler):
    """Records each finished trial the sampler learns from."""

    read: list[int]

    def _add(self, trial: FrozenTrial, sign: float) -> None:
        self.read.append(trial.number)
        super()._add(trial, sign)


def slow_lookups(storage: JournalStorage) -> None:
    """Widen the window in which two threads could read the same new trials."""
    lookup = storage.get_trial_id_from_study_id_trial_number

    def slow(study_id: int, number: int) -> int:
        time.sleep(0.002)
        return lookup(study_id, number)

    storage.get_trial_id_from_study_id_trial_number = slow  # type: ignore[method-assign]


def test_n_jobs_2_on_a_journal_reads_each_finished_trial_once(tmp_path: Path) -> None:
    sampler = Counting(SPACE, seed=6, n_startup=4)
    sampler.read = []
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "journal.log")))
    slow_lookups(storage)
    study = optuna.create_study(direction="maximize", sampler=sampler, storage=storage)
    study.optimize(lambda t: score(SPACE.suggest(t)), n_trials=60, n_jobs=2)
    study.ask().suggest_int("a", 0, 40)  # reads every trial finished so far
    assert sorted(sampler.read) == list(range(60))


def test_it_learns_from_trials_that_have_only_some_params() -> None:
    sampler = EliteSampler(SPACE, seed=7, n_startup=3)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for _ in range(12):
        trial = study.ask()
        a = trial.suggest_int("a", 0, 40)
        if a % 2:  # "b" is conditional: only odd values of "a" have it
            trial.suggest_float("b", -2.0, 2.0, step=0.1)
        study.tell(trial, float(a))
    study.ask().suggest_int("a", 0, 40)
    learnt = {number for _, number, _ in sampler._ranked}
    without_b = {t.number for t in study.trials[:12] if "b" not in t.params}
    assert learnt & without_b  # the best trials include ones without the conditional param
    best = max(study.trials[:12], key=lambda t: t.value or 0.0)
    assert sampler._ranked[0][1] == best.number


def test_log_scaled_ints_are_searched_on_a_log_scale() -> None:
    space = SearchSpace.from_config(
        config_from_dict(
            {"search_space": {"n": {"type": "int", "low": 1, "high": 10_000, "log": True}}}
        ).search_space,
        {},
    )
    study = optuna.create_study(sampler=EliteSampler(space, seed=8, n_startup=200))
    values = []
    for _ in range(200):
        trial = study.ask()
        values.append(space.suggest(trial)["n"])
        study.tell(trial, 0.0)
    assert 30 < statistics.median(values) < 300  # log-uniform: about sqrt(10,000) = 100
    assert sum(v <= 10 for v in values) > 30  # a quarter of the log range is 1..10
