"""Validation: what an optimization's best trial is worth out of sample.

Holdout and walk-forward windows over candles, the overfitting statistics (the
Probabilistic and Deflated Sharpe Ratios, the Probability of Backtest Overfitting by
CSCV), and the stitched out-of-sample equity of a walk-forward. It sits below the
optimizer, beside the cache: it uses :mod:`genesis.evaluate` and :mod:`genesis.data`,
never Optuna.
"""
