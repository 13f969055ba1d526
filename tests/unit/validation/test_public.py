"""The public surface of genesis.validation, and that it stays free of Optuna."""

from __future__ import annotations

import subprocess
import sys

import genesis.validation


def test_all_is_the_public_surface() -> None:
    assert sorted(genesis.validation.__all__) == sorted(
        [
            "BacktestOverfitting", "DeflatedSharpe", "Fold", "Window", "buy_and_hold",
            "deflated_sharpe_ratio", "expected_maximum_sharpe", "holdout_windows",
            "overfitting_statistics", "probabilistic_sharpe_ratio",
            "probability_of_backtest_overfitting", "stitch", "statistics_warnings",
            "Rating", "Verdict", "judge",
            "walk_forward_efficiency", "walk_forward_folds",
        ]
    )  # fmt: skip
    for name in genesis.validation.__all__:
        assert hasattr(genesis.validation, name)


def test_importing_it_does_not_import_optuna() -> None:
    code = "import sys, genesis.validation; print('optuna' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
