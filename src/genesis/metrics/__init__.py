"""Metrics of a backtest and the score the optimizer sees.

:func:`compute_metrics` turns a :class:`~genesis.engine.BacktestResult` into
:class:`Metrics` (pure functions, ``None`` for undefined); :func:`compute_score`
turns metrics into a :class:`Score` under a :class:`ScoreSpec` (finite values or a
BacktestError, constraints reported beside them). Imports only genesis.engine,
genesis.data and genesis.errors.
"""

from __future__ import annotations

from genesis.metrics._metrics import (
    METRIC_DIRECTIONS,
    METRIC_NAMES,
    Direction,
    Metrics,
    compute_metrics,
)
from genesis.metrics.score import (
    OBJECTIVE_NAMES,
    Score,
    ScoreSpec,
    composite,
    compute_score,
    objective_direction,
)

__all__ = [
    "METRIC_DIRECTIONS",
    "METRIC_NAMES",
    "OBJECTIVE_NAMES",
    "Direction",
    "Metrics",
    "Score",
    "ScoreSpec",
    "composite",
    "compute_metrics",
    "compute_score",
    "objective_direction",
]
