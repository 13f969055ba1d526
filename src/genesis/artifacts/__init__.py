"""Artifacts: the run directory, trial records and their writers (no Optuna here)."""

from genesis.artifacts.best import RunningBest, best_trial, pareto_front, rank_trials
from genesis.artifacts.layout import RunDir, latest_run, new_run_name, unique_run_name
from genesis.artifacts.records import (
    KEY_METRICS,
    CacheSource,
    RunCacheStats,
    TrialRecord,
    cache_stats,
)
from genesis.artifacts.writers import (
    TIMING_COLUMNS,
    trials_csv_text,
    write_json,
    write_text_atomic,
    write_trials_csv,
)

__all__ = [
    "KEY_METRICS",
    "TIMING_COLUMNS",
    "CacheSource",
    "RunCacheStats",
    "RunDir",
    "RunningBest",
    "TrialRecord",
    "best_trial",
    "cache_stats",
    "latest_run",
    "new_run_name",
    "pareto_front",
    "rank_trials",
    "trials_csv_text",
    "unique_run_name",
    "write_json",
    "write_text_atomic",
    "write_trials_csv",
]
