"""Benchmark: what the metrics cost per trial, next to the backtest they describe.

Run on demand (not part of the tests)::

    .venv/bin/python bench/metrics.py

Every optimizer trial computes the full metrics of its backtest, so they must stay a
small fraction of the engine's time. On synthetic candles of 10k, 50k and 200k bars this
times, in one process, ``run_backtest`` on ready EMA-cross signals and ``compute_metrics``
on its result (medians of repeats) and prints their ratio. To compare two versions of
the metrics, run it in both trees and compare the ratios (the engine is the yardstick,
so machine noise largely cancels).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from genesis.data import synthetic_candles
from genesis.engine import BacktestSettings, run_backtest
from genesis.features import Features, FeatureStore
from genesis.metrics import compute_metrics
from genesis.strategy import get_strategy, resolve_params

SIZES = (10_000, 50_000, 200_000)
REPEATS = 200
STRATEGY = get_strategy("ema_cross")
PARAMS = resolve_params(STRATEGY, {"fast": 20, "slow": 100})


def median_us(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``run`` in microseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    """Print a Markdown table: engine, metrics, and metrics as a share of the engine."""
    print("| bars | run_backtest (µs) | compute_metrics (µs) | metrics / engine |")
    print("|---:|---:|---:|---:|")
    for n in SIZES:
        candles = synthetic_candles(n_bars=n, seed=7)
        signals = STRATEGY.signals(Features(candles, FeatureStore()), PARAMS)
        settings = BacktestSettings()
        result = run_backtest(candles, signals, settings)
        compute_metrics(result)  # compile / load from the numba cache
        repeats = max(20, REPEATS * 10_000 // n)
        engine = median_us(lambda: run_backtest(candles, signals, settings), repeats)  # noqa: B023
        metrics = median_us(lambda: compute_metrics(result), repeats)  # noqa: B023
        print(f"| {n:,} | {engine:,.0f} | {metrics:,.0f} | {metrics / engine:.3f} |")


if __name__ == "__main__":
    main()
