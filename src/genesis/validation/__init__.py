"""Validation: what an optimization's best trial is worth out of sample.

Holdout and walk-forward windows over candles, the overfitting statistics (the
Probabilistic and Deflated Sharpe Ratios, the Probability of Backtest Overfitting by
CSCV), and the stitched out-of-sample equity of a walk-forward. It sits below the
optimizer, beside the cache: it uses :mod:`genesis.evaluate` and :mod:`genesis.data`,
never Optuna.
"""

from genesis.validation.overfitting import overfitting_statistics, statistics_warnings
from genesis.validation.splits import Fold, Window, holdout_windows, walk_forward_folds
from genesis.validation.statistics import (
    BacktestOverfitting,
    DeflatedSharpe,
    deflated_sharpe_ratio,
    expected_maximum_sharpe,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
)
from genesis.validation.verdict import Rating, Verdict, judge
from genesis.validation.walk_forward import buy_and_hold, stitch, walk_forward_efficiency

__all__ = [
    "BacktestOverfitting",
    "DeflatedSharpe",
    "Fold",
    "Rating",
    "Verdict",
    "Window",
    "buy_and_hold",
    "deflated_sharpe_ratio",
    "expected_maximum_sharpe",
    "holdout_windows",
    "judge",
    "overfitting_statistics",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "statistics_warnings",
    "stitch",
    "walk_forward_efficiency",
    "walk_forward_folds",
]
