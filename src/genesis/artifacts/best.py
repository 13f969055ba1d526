"""The one rule for "best": used by the live display, the files, the report and the champion.

A trial ranks before another when, in this order:

1. it is feasible (every constraint stored in the study holds) and the other is not: an
   infeasible trial is best only when no scored trial is feasible; a trial whose
   feasibility is unknown (``None``) ranks with the infeasible ones;
2. its objective values are better, compared objective by objective in the study's
   directions (one objective: the score; several: the first, then the next on a tie);
3. it has the lower trial number (the earlier trial wins a tie).

With several objectives the winner of this order is always on the Pareto front of its
pool (the feasible trials, or all of them when none is feasible), so ``best_trial.json``
names a trial of the ``pareto_front`` it lists. Trials without values (failed, running)
never rank.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar


class Ranked(Protocol):
    """What the rule needs of a trial (a record, a report row, a live outcome)."""

    @property
    def number(self) -> int: ...

    @property
    def values(self) -> tuple[float, ...] | None: ...

    @property
    def feasible(self) -> bool | None: ...


T = TypeVar("T", bound=Ranked)


def rank_key(trial: Ranked, directions: Sequence[str]) -> tuple[bool, tuple[float, ...], int]:
    """The sort key of a scored trial: smaller is better (see the module docstring)."""
    if trial.values is None:
        raise ValueError(f"trial {trial.number} has no values to rank")
    signs = [-1.0 if d == "maximize" else 1.0 for d in directions]
    oriented = tuple(s * v for s, v in zip(signs, trial.values, strict=True))
    return (trial.feasible is not True, oriented, trial.number)


def rank_trials(trials: Iterable[T], directions: Sequence[str]) -> list[T]:
    """The scored trials, best first."""
    scored = [t for t in trials if t.values is not None]
    return sorted(scored, key=lambda t: rank_key(t, directions))


def best_trial(trials: Iterable[T], directions: Sequence[str]) -> T | None:
    """The best scored trial, or ``None`` when no trial has values."""
    scored = [t for t in trials if t.values is not None]
    return min(scored, key=lambda t: rank_key(t, directions)) if scored else None


def pareto_front(trials: Iterable[T], directions: Sequence[str]) -> list[T]:
    """The non-dominated trials of the best trial's pool (feasible ones first), best first."""
    ranked = rank_trials(trials, directions)
    if not ranked:
        return []
    pool = [t for t in ranked if t.feasible is True] or ranked
    keys = [rank_key(t, directions)[1] for t in pool]
    return [t for t, k in zip(pool, keys, strict=True) if not any(_dominates(o, k) for o in keys)]


def _dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """``a`` is no worse than ``b`` everywhere and better somewhere (both minimized)."""
    return all(x <= y for x, y in zip(a, b, strict=True)) and a != b


class RunningBest:
    """The best trial seen so far by the same rule, for live displays."""

    def __init__(self, directions: Sequence[str]) -> None:
        self._directions = tuple(directions)
        self.current: Ranked | None = None

    def offer(self, trial: Ranked) -> bool:
        """Take ``trial`` if it ranks before the current best; returns whether it did."""
        if trial.values is None:
            return False
        if self.current is None or rank_key(trial, self._directions) < rank_key(
            self.current, self._directions
        ):
            self.current = trial
            return True
        return False


__all__ = ["Ranked", "RunningBest", "best_trial", "pareto_front", "rank_key", "rank_trials"]
