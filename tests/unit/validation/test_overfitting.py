"""The statistics of one search: which returns enter DSR and PBO, and the statistics_warnings."""

from __future__ import annotations

import numpy as np
import pytest

from genesis.data import synthetic_candles
from genesis.engine import BacktestResult, BacktestSettings, Signals, run_backtest
from genesis.validation.overfitting import (
    Tried,
    bar_returns,
    compound_rows,
    overfitting_statistics,
    statistics_warnings,
)


def _result(equity: list[float], capital: float = 100.0) -> BacktestResult:
    candles = synthetic_candles(n_bars=len(equity), seed=1)
    base = run_backtest(
        candles, Signals(np.zeros(len(equity), bool), np.zeros(len(equity), bool)),
        BacktestSettings(initial_capital=capital),
    )  # fmt: skip
    return BacktestResult(
        np.asarray(equity, dtype=float), base.trades, base.position, base.bars_per_year, capital
    )


def test_bar_returns_start_from_the_initial_capital_and_stay_zero_after_ruin() -> None:
    returns = bar_returns(_result([110.0, 99.0, 0.0, 0.0]))
    np.testing.assert_allclose(returns, [0.1, -0.1, -1.0, 0.0])


def test_compound_rows_compounds_consecutive_bars() -> None:
    returns = np.array([0.1, 0.1, -0.5, 0.2, 0.3, 0.4, -0.1])
    rows = compound_rows(returns, max_rows=3)  # periods of 3 bars: the first bar is left out
    np.testing.assert_allclose(rows, [1.1 * 0.5 * 1.2 - 1.0, 1.3 * 1.4 * 0.9 - 1.0])
    np.testing.assert_allclose(compound_rows(returns, max_rows=10), returns)


def _noise_search(n_trials: int, edge: float) -> dict:
    rng = np.random.default_rng(5)
    curves = {}
    for i in range(n_trials):
        drift = edge if i == 0 else 0.0
        curves[i] = 100.0 * np.cumprod(1.0 + drift + 0.01 * rng.standard_normal(4000))
    tried = [Tried({"i": i}, sharpe=None) for i in curves]

    def rerun(params):  # type: ignore[no-untyped-def]
        return _result(list(curves[params["i"]]))

    sharpes = [
        float(np.mean(r) / np.std(r, ddof=1)) * np.sqrt(8760)
        for r in (bar_returns(rerun({"i": i})) for i in curves)
    ]
    tried = [Tried({"i": i}, sharpe=s) for i, s in zip(curves, sharpes, strict=True)]
    best = int(np.argmax(sharpes))
    return overfitting_statistics(tried, {"i": best}, rerun, bars_per_year=8760, n_splits=8)


def test_noise_is_flagged_and_a_real_edge_is_not() -> None:
    noise = _noise_search(30, edge=0.0)
    assert noise["n_trials_counted"] == 30
    assert noise["deflated_sharpe"]["probability"] < 0.95
    assert noise["pbo"]["probability"] > 0.2
    assert any("not significant" in line for line in statistics_warnings(noise))
    edge = _noise_search(30, edge=0.002)
    assert edge["deflated_sharpe"]["probability"] > 0.99
    assert edge["pbo"]["probability"] < 0.05
    assert statistics_warnings(edge) == []


def test_a_search_of_one_backtest_has_no_pbo() -> None:
    stats = _noise_search(1, edge=0.0)
    assert stats["pbo"] is None and stats["n_trials_counted"] == 1


@pytest.mark.parametrize("pbo", [0.6, 0.9])
def test_verdict_names_overfitting(pbo: float) -> None:
    stats = {
        "n_trials_counted": 9,
        "deflated_sharpe": {"probability": 0.99},
        "pbo": {"probability": pbo},
    }
    assert statistics_warnings(stats) == [
        f"overfit: the in-sample best ranks below the median out of sample in "
        f"{100 * pbo:.0f}% of CSCV splits (PBO > 0.5)"
    ]
