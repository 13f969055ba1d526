"""Benchmark: the same EMA-cross + ATR-stop backtest in genesis, vectorbt and backtesting.py.

Run on demand (not part of the tests)::

    .venv/bin/python bench/engine.py

Times, in one process, on synthetic candles of 10k, 50k and 200k bars (and on
``../shared/data/tBTCUSD_1h_bitfinex.csv`` when that file exists):

* genesis *with indicators*: a fresh FeatureStore, so EMAs and ATR are computed, then
  ``ema_cross`` signals and ``run_backtest``;
* genesis *warm features*: the same with a FeatureStore that already holds them (what
  an optimizer trial costs when the indicators were computed before);
* genesis *engine only*: ``run_backtest`` on ready signals;
* vectorbt and backtesting.py with their indicators (see ``bench/_peers.py``).

Medians of repeats; compile time is measured apart, in fresh processes, once with an
empty numba cache and once with the on-disk cache. Prints Markdown tables.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median_ms
from _peers import (
    ATR_MULT,
    ATR_PERIOD,
    FAST,
    SLOW,
    frame_of,
    run_backtesting_py,
    run_vectorbt,
    warm_peers,
)
from genesis.data import Candles, load_candles, synthetic_candles
from genesis.engine import BacktestSettings, run_backtest
from genesis.features import Features, FeatureStore
from genesis.strategy import get_strategy, resolve_params

ROOT = Path(__file__).resolve().parent.parent
BITFINEX = ROOT.parent / "shared" / "data" / "tBTCUSD_1h_bitfinex.csv"
SIZES = (10_000, 50_000, 200_000)
BT_LIMIT_S = 30.0
SETTINGS = BacktestSettings(fee_bps=10.0, slippage_bps=5.0, position_fraction=0.9999)
STRATEGY = get_strategy("ema_cross")
PARAMS = resolve_params(
    STRATEGY,
    {"fast": FAST, "slow": SLOW, "atr_period": ATR_PERIOD, "atr_stop_mult": ATR_MULT},
)


def genesis_timings(candles: Candles) -> tuple[float, float, float, int]:
    """(with indicators, warm features, engine only) in ms, and the trade count."""
    warm = Features(candles, FeatureStore())
    signals = STRATEGY.signals(warm, PARAMS)
    result = run_backtest(candles, signals, SETTINGS)

    def cold() -> object:
        return run_backtest(
            candles, STRATEGY.signals(Features(candles, FeatureStore()), PARAMS), SETTINGS
        )

    with_indicators = median_ms(cold, 30)

    def hot() -> object:
        return run_backtest(candles, STRATEGY.signals(warm, PARAMS), SETTINGS)

    warm_features = median_ms(hot, 300)
    engine_only = median_ms(lambda: run_backtest(candles, signals, SETTINGS), 300)
    return with_indicators, warm_features, engine_only, len(result.trades)


def peer_timings(candles: Candles) -> tuple[float, float | None, str]:
    """vectorbt ms, backtesting.py ms (None when skipped) and a note."""
    frame = frame_of(candles)
    vbt_ms = median_ms(lambda: run_vectorbt(frame), 5 if len(candles) > 100_000 else 10)
    first = time.perf_counter()
    run_backtesting_py(frame)
    first_s = time.perf_counter() - first
    if first_s > BT_LIMIT_S:
        return vbt_ms, first_s * 1e3, f"backtesting.py: 1 run ({first_s:.0f} s)"
    repeats = 1 if first_s > 5 else 3
    bt_ms = median_ms(lambda: run_backtesting_py(frame), repeats) if repeats > 1 else first_s * 1e3
    return vbt_ms, bt_ms, f"backtesting.py: {repeats} run(s)"


def compile_report() -> list[str]:
    """First backtest in fresh processes: with an empty numba cache, then the real one.

    "imports" covers genesis.engine, data, features and strategy (numba, pandas, and the
    kernel's eager compile or cache load); "first backtest" includes the indicator and
    signal kernels' compile or cache load.
    """
    probe = (
        "import time; t0 = time.perf_counter()\n"
        "from genesis.engine import run_backtest, BacktestSettings\n"
        "from genesis.engine._kernels import simulate_nb\n"
        "from genesis.data import synthetic_candles\n"
        "from genesis.features import Features\n"
        "from genesis.strategy import get_strategy, resolve_params\n"
        "t1 = time.perf_counter(); c = synthetic_candles(n_bars=10_000, seed=1)\n"
        "s = get_strategy('ema_cross'); p = resolve_params(s, {'atr_stop_mult': 2.0})\n"
        "t2 = time.perf_counter(); run_backtest(c, s.signals(Features(c), p), BacktestSettings())\n"
        "t3 = time.perf_counter(); run_backtest(c, s.signals(Features(c), p), BacktestSettings())\n"
        "t4 = time.perf_counter(); st = simulate_nb.stats\n"
        "print(f'{t1-t0:.3f} {t3-t2:.3f} {(t4-t3)*1e3:.3f} '\n"
        "      f'{sum(st.cache_hits.values())} {sum(st.cache_misses.values())}')\n"
    )
    rows = [
        "| numba cache | imports (s) | first backtest (s) | second (ms) | kernel cache |",
        "|---|---:|---:|---:|---|",
    ]
    with tempfile.TemporaryDirectory() as empty:
        for label, env in (("empty (cold compile)", {"NUMBA_CACHE_DIR": empty}), ("on disk", {})):
            out = subprocess.run(
                [sys.executable, "-c", probe], env={**os.environ, **env},
                capture_output=True, text=True, check=True, cwd=ROOT,
            ).stdout.split()  # fmt: skip
            hit = "hit" if int(out[3]) else ("miss (compiled)" if int(out[4]) else "n/a")
            rows.append(f"| {label} | {out[0]} | {out[1]} | {out[2]} | {hit} |")
    return rows


def main() -> None:
    """Run every timing and print the Markdown tables."""
    datasets = [(f"synthetic {n // 1000}k", synthetic_candles(n_bars=n, seed=7)) for n in SIZES]
    if BITFINEX.exists():
        datasets.append(("Bitfinex tBTCUSD 1h", load_candles(BITFINEX)))
    warm_peers(frame_of(datasets[0][1]))
    rows = [
        "| data | bars | genesis + indicators (ms) | genesis warm features (ms) "
        "| genesis engine only (ms) | vectorbt (ms) | backtesting.py (ms) "
        "| vectorbt / genesis | backtesting.py / genesis | trades g / notes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, candles in datasets:
        g_ind, g_warm, g_engine, n_trades = genesis_timings(candles)
        vbt_ms, bt_ms, note = peer_timings(candles)
        bt_cell = f"{bt_ms:,.0f}" if bt_ms is not None else "skipped"
        bt_ratio = f"{bt_ms / g_ind:,.0f}x" if bt_ms is not None else "–"
        rows.append(
            f"| {label} | {len(candles):,} | {g_ind:.3f} | {g_warm:.3f} | {g_engine:.3f} "
            f"| {vbt_ms:.1f} | {bt_cell} | {vbt_ms / g_ind:.1f}x | {bt_ratio} "
            f"| {n_trades}; {note} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    print(f"EMA cross {FAST}/{SLOW} + {ATR_MULT} ATR({ATR_PERIOD}) stop, long only, "
          f"10 bps fee, 5 bps slippage; Python {sys.version.split()[0]}\n")  # fmt: skip
    print("\n".join(rows))
    print("\nCompile time (fresh processes, 10k bars):\n")
    print("\n".join(compile_report()))


if __name__ == "__main__":
    main()
