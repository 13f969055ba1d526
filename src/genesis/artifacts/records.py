"""Trial records: what the artifacts say about each trial, free of Optuna types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class CacheSource(StrEnum):
    """Where a trial's score came from."""

    MEMORY = "memory"
    CACHE = "cache"
    COMPUTED = "computed"


KEY_METRICS = ("n_trades", "total_return_pct", "sharpe", "max_drawdown_pct", "profit_factor")
"""Metrics that ``trials.csv`` shows beside the score."""


@dataclass(frozen=True)
class TrialRecord:
    """One trial as the artifacts show it."""

    number: int
    state: str
    params: Mapping[str, Any]
    values: tuple[float, ...] | None
    cache_source: CacheSource | None = None
    key: str | None = None
    duration_s: float | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    constraints: Mapping[str, float] = field(default_factory=dict)
    """The constraint values stored in the study for this trial (``<= 0`` holds)."""
    feasible: bool | None = None
    """Whether every stored constraint holds; ``None`` for a trial without a score.

    Given by whoever builds the record from the study, never derived here: a record
    whose result payload is missing must not look feasible by default.
    """
    backtest_path: str | None = None
    error: str | None = None
    repeat_of: int | None = None
    """The trial whose params the sampler proposed again; this trial ran a new point."""

    @property
    def cached(self) -> bool:
        """True when the score was reused (memory or cache), not computed by this trial."""
        return self.cache_source in (CacheSource.MEMORY, CacheSource.CACHE)


@dataclass(frozen=True)
class RunCacheStats:
    """How the trials of a run got their scores (``cache_stats.json``)."""

    total_trials: int
    completed: int
    failed: int
    cached_trials: int
    memory_hits: int
    cache_hits: int
    computed: int
    unique_backtests: int
    duplicate_trials: int
    corrupt_entries: int
    invented_scores: int = 0
    repeated_proposals: int = 0
    """Proposals of evaluated params that were replaced by a new point (not trials)."""
    earlier_run_hits: int = 0
    """Cached trials whose result an earlier run stored (not a repeat within this run)."""
    written_late: int = 0
    """Results whose first write to the cache failed and a later one stored (an outage)."""
    not_stored: int = 0
    """Results this process could not store in the cache by the end of the run."""

    @property
    def within_run_repeats(self) -> int:
        """Cached trials that repeat a backtest of this run (the seed's duplicates)."""
        return self.cached_trials - self.earlier_run_hits

    @property
    def hit_rate(self) -> float:
        return self.cached_trials / self.total_trials if self.total_trials else 0.0

    @property
    def duplicate_rate(self) -> float:
        return self.duplicate_trials / self.total_trials if self.total_trials else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "total_trials": self.total_trials,
            "completed": self.completed,
            "failed": self.failed,
            "cached_trials": self.cached_trials,
            "memory_hits": self.memory_hits,
            "cache_hits": self.cache_hits,
            "computed_backtests": self.computed,
            "unique_backtests": self.unique_backtests,
            "duplicate_trials": self.duplicate_trials,
            "cache_hit_rate": round(self.hit_rate, 6),
            "duplicate_rate": round(self.duplicate_rate, 6),
            "corrupt_entries": self.corrupt_entries,
            "invented_scores": self.invented_scores,
            "repeated_proposals": self.repeated_proposals,
            "earlier_run_hits": self.earlier_run_hits,
            "within_run_repeats": self.within_run_repeats,
            "written_late": self.written_late,
            "not_stored": self.not_stored,
        }


def cache_stats(records: list[TrialRecord], *, corrupt_entries: int = 0) -> RunCacheStats:
    """Count sources, duplicates and unique backtests over ``records`` (in trial order).

    A cache hit is from an earlier run when no trial of this run computed its key and no
    earlier trial of this run had it: a re-run on a warm cache, not a narrow search space.
    """
    seen: set[str] = set()
    duplicates = earlier = 0
    computed_here = {r.key for r in records if r.cache_source is CacheSource.COMPUTED}
    for record in sorted(records, key=lambda r: r.number):
        if record.key is None:
            continue
        if record.key in seen:
            duplicates += 1
        elif record.cache_source is CacheSource.CACHE and record.key not in computed_here:
            earlier += 1
        seen.add(record.key)
    sources = [r.cache_source for r in records]
    return RunCacheStats(
        total_trials=len(records),
        completed=sum(r.state == "COMPLETE" for r in records),
        failed=sum(r.state == "FAIL" for r in records),
        cached_trials=sum(r.cached for r in records),
        memory_hits=sources.count(CacheSource.MEMORY),
        cache_hits=sources.count(CacheSource.CACHE),
        computed=sources.count(CacheSource.COMPUTED),
        unique_backtests=len({r.key for r in records if r.key and r.values is not None}),
        duplicate_trials=duplicates,
        corrupt_entries=corrupt_entries,
        repeated_proposals=sum(r.repeat_of is not None for r in records),
        earlier_run_hits=earlier,
    )
