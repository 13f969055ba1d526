"""Report: one self-contained ``report.html`` made from a run directory's files.

Reads ``config.yaml``, ``trials.csv``, ``best_trial.json``, ``cache_stats.json`` and
``trials/*.json`` only (never Optuna's storage, never the engine) and shows the run, its
cache statistics, the best trial and plotly figures of the search.
"""

from genesis.report._page import build_report_html, write_report

__all__ = ["build_report_html", "write_report"]
