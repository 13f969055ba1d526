"""Report: one self-contained ``report.html`` made from a run directory's files.

Reads ``config.yaml``, ``trials.csv``, ``best_trial.json``, ``cache_stats.json``,
``validation.json`` and ``trials/*.json`` (never Optuna's storage) and shows the run, the
data's range and gaps, its cache statistics, the best trial with its equity, drawdown and
trades against buy-and-hold (its backtest re-run through the one backtest path, on the
candles the config names), parameter importances and plotly figures of the search.
"""

from genesis.report._page import build_report_html, write_report

__all__ = ["build_report_html", "write_report"]
