"""Stitching folds' out-of-sample backtests, buy-and-hold, and Pardo's efficiency."""

from __future__ import annotations

import numpy as np
import pytest

from genesis.data import synthetic_candles
from genesis.engine import BacktestResult, BacktestSettings, Signals, run_backtest
from genesis.metrics import compute_metrics
from genesis.validation.walk_forward import buy_and_hold, stitch, walk_forward_efficiency


def _backtest(n_bars: int, seed: int) -> BacktestResult:
    candles = synthetic_candles(n_bars=n_bars, seed=seed)
    rng = np.random.default_rng(seed)
    entries = rng.random(n_bars) < 0.05
    exits = rng.random(n_bars) < 0.05
    return run_backtest(candles, Signals(entries, exits), BacktestSettings())


def test_stitched_equity_compounds_each_fold_on_the_last_equity() -> None:
    first, second = _backtest(400, 1), _backtest(300, 2)
    stitched = stitch([first, second])
    assert len(stitched) == 700
    np.testing.assert_allclose(stitched.equity[:400], first.equity)
    scale = first.equity[-1] / second.initial_capital
    np.testing.assert_allclose(stitched.equity[400:], second.equity * scale)
    growth = (first.equity[-1] / first.initial_capital) * (second.equity[-1] / 10_000.0)
    assert stitched.equity[-1] == pytest.approx(10_000.0 * growth)
    assert len(stitched.trades) == len(first.trades) + len(second.trades)
    assert stitched.trades.entry_idx[len(first.trades) :].min() >= 400
    np.testing.assert_allclose(stitched.trades.pnl.sum(), stitched.equity[-1] - 10_000.0)


def test_buy_and_hold_buys_the_first_open_and_its_metrics_come_from_the_same_functions() -> None:
    candles = synthetic_candles(n_bars=500, seed=3)
    held = buy_and_hold(candles, 1_000.0)
    assert held.equity[-1] == pytest.approx(1_000.0 * candles.close[-1] / candles.open[0])
    metrics = compute_metrics(held)
    assert metrics.total_return_pct == pytest.approx(
        100.0 * (candles.close[-1] / candles.open[0] - 1.0)
    )
    assert metrics.exposure_pct == 100.0 and metrics.n_trades == 0


def test_walk_forward_efficiency_is_oos_over_mean_is_and_undefined_on_losses() -> None:
    assert walk_forward_efficiency(10.0, [20.0, 30.0]) == pytest.approx(0.4)
    assert walk_forward_efficiency(-5.0, [10.0]) == pytest.approx(-0.5)
    assert walk_forward_efficiency(10.0, [-20.0, 10.0]) is None
    assert walk_forward_efficiency(None, [10.0]) is None
    assert walk_forward_efficiency(10.0, [10.0, None]) is None
