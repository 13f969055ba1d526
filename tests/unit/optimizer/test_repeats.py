"""RepeatAvoidingSampler: repeated proposals replaced by the nearest new point.

And Optuna's sampler contract where its own tests do not look: the search_space argument,
pickling, threads on a journal, enqueued trials (partly, and outside the space).
"""

from __future__ import annotations

import csv
import json
import logging
import pickle
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial

from genesis.config import config_from_dict
from genesis.optimizer import build_problem, run_optimizer
from genesis.samplers.repeats import REPEAT_ATTR, RepeatAvoidingSampler
from genesis.samplers.sampler import make_sampler
from genesis.samplers.space import SearchSpace

optuna.logging.set_verbosity(optuna.logging.WARNING)

SPACE = SearchSpace.from_config(
    config_from_dict(
        {
            "search_space": {
                "a": {"type": "int", "low": 0, "high": 4},
                "b": {"type": "float", "low": 0.0, "high": 1.0, "step": 0.5},
                "c": {"type": "categorical", "choices": ["x", "y"]},
            }
        }
    ).search_space,
    {},
)  # 5 * 3 * 2 = 30 points


class Stubborn(BaseSampler):
    """Proposes the same params every time (the worst case of a converged TPE)."""

    def __init__(self) -> None:
        self.proposals = 0

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return SPACE.distributions()

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        self.proposals += 1
        return {"a": 2, "b": 0.5, "c": "x"}

    def sample_independent(self, *args: Any) -> Any:
        raise AssertionError("the whole proposal is relative")


class StubbornEverywhere(Stubborn):
    """Stubborn, also for the params Optuna asks one by one."""

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> Any:
        return {"a": 2, "b": 0.5, "c": "x"}[name]


def score(params: dict[str, Any]) -> float:
    return float(params["a"] + 10 * params["b"] + (params["c"] == "y"))


def optimize(sampler: BaseSampler, n_trials: int) -> optuna.Study:
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for _ in range(n_trials):
        trial = study.ask()
        study.tell(trial, score(SPACE.suggest(trial)))
    return study


def test_a_repeated_proposal_is_replaced_by_the_nearest_unvisited_point() -> None:
    base = Stubborn()
    study = optimize(RepeatAvoidingSampler(base, SPACE, seed=1), 7)
    points = [tuple(t.params.values()) for t in study.trials]
    assert len(set(points)) == 7  # no trial re-ran a point
    assert points[0] == (2, 0.5, "x") and REPEAT_ATTR not in study.trials[0].user_attrs
    for trial in study.trials[1:]:
        assert trial.user_attrs[REPEAT_ATTR] == 0  # the proposal repeated trial 0's params
    # the first ring around (2, 0.5, x): a±1, b±1 step, c flipped: 5 points one step away
    ring = {(1, 0.5, "x"), (3, 0.5, "x"), (2, 0.0, "x"), (2, 1.0, "x"), (2, 0.5, "y")}
    assert set(points[1:6]) == ring
    assert sum(abs(p[0] - 2) + abs(p[1] - 0.5) * 2 + (p[2] != "x") for p in points[6:]) == 2
    assert base.proposals == 7


def test_the_sampler_keeps_the_true_score_of_the_repeated_point() -> None:
    study = optimize(RepeatAvoidingSampler(Stubborn(), SPACE, seed=1), 4)
    for trial in study.trials:
        assert trial.value == score(trial.params)  # nothing invented
    repeated = study.trials[study.trials[2].user_attrs[REPEAT_ATTR]]
    assert repeated.params == {"a": 2, "b": 0.5, "c": "x"} and repeated.value == 7.0


def test_an_exhausted_space_is_reported_and_every_point_ran_once() -> None:
    sampler = RepeatAvoidingSampler(Stubborn(), SPACE, seed=2)
    study = optimize(sampler, 29)
    assert not sampler.exhausted()
    trial = study.ask()
    study.tell(trial, score(SPACE.suggest(trial)))
    assert sampler.exhausted()
    assert len({tuple(t.params.values()) for t in study.trials}) == 30


def test_same_seed_same_replacements() -> None:
    first = optimize(RepeatAvoidingSampler(Stubborn(), SPACE, seed=5), 12)
    second = optimize(RepeatAvoidingSampler(Stubborn(), SPACE, seed=5), 12)
    assert [t.params for t in first.trials] == [t.params for t in second.trials]


def test_sample_relative_samples_only_the_space_it_is_given() -> None:
    sampler = RepeatAvoidingSampler(Stubborn(), SPACE, seed=1)
    study = optimize(sampler, 3)
    frozen = study.ask()._cached_frozen_trial
    subset = {"a": SPACE.distributions()["a"]}
    assert set(sampler.sample_relative(study, frozen, subset)) == {"a"}


def test_a_pickled_sampler_goes_on_as_the_original() -> None:
    sampler = RepeatAvoidingSampler(Stubborn(), SPACE, seed=3)
    study = optimize(sampler, 5)
    copy = pickle.loads(pickle.dumps(sampler))
    frozen = study.ask()._cached_frozen_trial
    space = SPACE.distributions()
    assert copy.sample_relative(study, frozen, space) == sampler.sample_relative(
        study, frozen, space
    )


def test_n_jobs_2_on_a_journal_never_runs_a_point_twice(tmp_path: Path) -> None:
    for run in range(3):
        storage = JournalStorage(JournalFileBackend(str(tmp_path / f"{run}.log")))
        sampler = RepeatAvoidingSampler(Stubborn(), SPACE, seed=run)
        study = optuna.create_study(direction="maximize", sampler=sampler, storage=storage)
        study.optimize(lambda t: score(SPACE.suggest(t)), n_trials=24, n_jobs=2)
        points = [tuple(t.params.values()) for t in study.trials]
        assert len(points) == len(set(points)) == 24


def test_a_partly_enqueued_trial_runs_its_values_and_no_repeat() -> None:
    sampler = RepeatAvoidingSampler(StubbornEverywhere(), SPACE, seed=4)
    study = optimize(sampler, 1)  # (2, 0.5, "x")
    study.enqueue_trial({"a": 2})
    study = optimize_more(study, 1)
    assert study.trials[1].params["a"] == 2
    assert study.trials[1].params != study.trials[0].params
    assert study.trials[1].user_attrs[REPEAT_ATTR] == 0


def test_an_enqueued_point_outside_the_space_does_not_use_up_the_space() -> None:
    sampler = RepeatAvoidingSampler(StubbornEverywhere(), SPACE, seed=5)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.enqueue_trial({"a": 99, "b": 0.5, "c": "x"})
    with pytest.warns(UserWarning, match="out of range"):
        study = optimize_more(study, 1)
    study = optimize_more(study, 29)
    inside = {tuple(t.params.values()) for t in study.trials[1:]}
    assert len(inside) == 29 and not sampler.exhausted()  # one point of 30 is left
    study = optimize_more(study, 1)
    assert sampler.exhausted() and len({tuple(t.params.values()) for t in study.trials[1:]}) == 30


def optimize_more(study: optuna.Study, n_trials: int) -> optuna.Study:
    for _ in range(n_trials):
        trial = study.ask()
        study.tell(trial, score(SPACE.suggest(trial)))
    return study


def _config(tmp_path: Path, **optimizer: Any) -> dict[str, Any]:
    return {
        "data": {"source": "synthetic:tBTCUSD:1h:7:3000"},
        "strategy": {"name": "ema_cross"},
        "search_space": {
            "fast": {"type": "int", "low": 4, "high": 12, "step": 4},
            "slow": {"type": "int", "low": 50, "high": 100, "step": 25},
            "atr_stop_mult": {"type": "float", "low": 0.0, "high": 2.0, "step": 1.0},
        },  # 27 points
        "score": {"objectives": ["total_return_pct"]},
        "optimizer": {"seed": 4, "n_trials": 20, "n_startup_trials": 5, **optimizer},
        "output_dir": str(tmp_path / "out"),
        "cache": {"location": str(tmp_path / "cache")},
    }


@pytest.mark.parametrize("sampler", ["elite", "tpe", "random"])
def test_a_run_spends_every_trial_on_a_new_backtest(tmp_path: Path, sampler: str) -> None:
    result = run_optimizer(config_from_dict(_config(tmp_path, sampler=sampler)))
    assert result.stats.total_trials == 20
    assert result.stats.duplicate_trials == 0 and result.stats.computed == 20


def test_a_finite_space_ends_the_run_with_a_message(tmp_path: Path) -> None:
    result = run_optimizer(config_from_dict(_config(tmp_path, sampler="tpe", n_trials=60)))
    assert "search space exhausted" in result.stop_reason
    assert result.stats.total_trials == 27 and result.stats.computed == 27


def test_avoid_repeats_false_is_plain_optuna(tmp_path: Path) -> None:
    config = config_from_dict(_config(tmp_path, sampler="tpe", avoid_repeats=False))
    sampler = make_sampler(config, build_problem(config), 0)
    assert type(sampler) is optuna.samplers.TPESampler
    result = run_optimizer(config)
    assert result.stats.duplicate_trials > 0  # TPE repeats itself on 27 points in 20 trials
    assert result.stats.repeated_proposals == 0


def test_one_worker_replays_bit_for_bit(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        config = {**_config(tmp_path / name, sampler="tpe"), "study_name": "same"}
        result = run_optimizer(config_from_dict(config))
        with (result.run_dir / "trials.csv").open(newline="") as handle:
            rows = [
                {k: v for k, v in r.items() if k != "duration_s"} for r in csv.DictReader(handle)
            ]
        runs.append(rows)
        assert result.stats.repeated_proposals > 0  # the replacement rule was exercised
    assert runs[0] == runs[1]


@pytest.mark.slow
def test_two_workers_share_the_space_without_rerunning_points(tmp_path: Path) -> None:
    config = config_from_dict(_config(tmp_path, sampler="tpe", n_workers=2, n_trials=24))
    result = run_optimizer(config)
    assert 24 <= result.stats.total_trials <= 25  # both workers may ask the last trial
    assert result.stats.invented_scores == 0
    assert result.stats.unique_backtests >= 22  # two workers may propose one point at once


def test_the_logs_and_stats_show_the_replaced_repeats(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="genesis"):
        result = run_optimizer(config_from_dict(_config(tmp_path, sampler="tpe")))
    lines = [r.getMessage() for r in caplog.records]
    replaced = [line for line in lines if "proposed the params of trial" in line]
    assert len(replaced) == result.stats.repeated_proposals > 0
    assert "running the nearest new point instead" in replaced[0]
    stats_line = next(line for line in lines if line.startswith("[CACHE STATS]"))
    assert f"{result.stats.repeated_proposals} repeated proposals" in stats_line
    stats_json = json.loads((result.run_dir / "cache_stats.json").read_text())
    assert stats_json["repeated_proposals"] == result.stats.repeated_proposals
