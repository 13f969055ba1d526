"""The one rule for "best": feasible first, then the score in its direction, then the number."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from genesis.artifacts import RunningBest, best_trial, pareto_front, rank_trials


@dataclass(frozen=True)
class T:
    number: int
    values: tuple[float, ...] | None
    feasible: bool | None = True


MAX = ["maximize"]


def test_the_highest_score_loses_to_a_feasible_one_when_it_is_infeasible() -> None:
    trials = [T(0, (5.0,)), T(1, (9.0,), feasible=False), T(2, (7.0,))]
    assert best_trial(trials, MAX) == T(2, (7.0,))
    assert [t.number for t in rank_trials(trials, MAX)] == [2, 0, 1]


def test_an_infeasible_trial_is_best_only_when_none_is_feasible() -> None:
    trials = [T(0, (5.0,), feasible=False), T(1, (9.0,), feasible=False), T(2, None, None)]
    assert best_trial(trials, MAX) == trials[1]


def test_unknown_feasibility_ranks_with_the_infeasible() -> None:
    trials = [T(0, (9.0,), feasible=None), T(1, (1.0,))]
    assert best_trial(trials, MAX) == trials[1]


def test_direction_and_ties() -> None:
    trials = [T(3, (2.0,)), T(1, (2.0,)), T(2, (4.0,))]
    assert best_trial(trials, ["minimize"]) == T(1, (2.0,))  # a tie goes to the lower number
    assert best_trial(trials, MAX) == T(2, (4.0,))


def test_no_scored_trial_has_no_best() -> None:
    assert best_trial([T(0, None, None)], MAX) is None
    assert pareto_front([], MAX) == []


def test_a_trial_without_values_cannot_be_ranked_by_key() -> None:
    from genesis.artifacts.best import rank_key

    with pytest.raises(ValueError, match="no values"):
        rank_key(T(4, None), MAX)


def test_the_best_of_several_objectives_is_on_the_feasible_pareto_front() -> None:
    directions = ["maximize", "minimize"]
    trials = [
        T(0, (5.0, 10.0)),
        T(1, (5.0, 3.0)),  # dominates 0
        T(2, (4.0, 1.0)),
        T(3, (9.0, 0.0), feasible=False),  # dominates everything, but infeasible
        T(4, (3.0, 5.0)),  # dominated by 1 and 2
    ]
    front = pareto_front(trials, directions)
    best = best_trial(trials, directions)
    assert [t.number for t in front] == [1, 2]
    assert best is not None and best.number == 1 and best in front


def test_running_best_follows_the_same_rule() -> None:
    stream = [T(0, (5.0,), feasible=False), T(1, None, None), T(2, (3.0,)), T(3, (9.0,), False)]
    live = RunningBest(MAX)
    taken = [live.offer(t) for t in stream]
    assert taken == [True, False, True, False]
    assert live.current == best_trial(stream, MAX) == T(2, (3.0,))
