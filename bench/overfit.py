"""What an optimization's best is worth out of sample, and whether genesis says so.

On the real Bitfinex tBTCUSD 1h candles when they sit next to the repository
(``../shared/data/``; the synthetic series otherwise), for each seed, with the full
``genesis_trend`` search (``config/optimizer/tBTCUSD_1h_optuna.yaml``) and a budget of
``--budget`` real backtests per search:

* a holdout (first 70 % searched, last 30 % tested): (a) the plain in-sample best, its
  Sharpe in sample and on the test period; (b) genesis's champion, chosen out of sample
  among the top 10; the test period's buy-and-hold;
* a walk-forward (4 anchored folds): (c) the stitched out-of-sample Sharpe, the
  walk-forward efficiency, buy-and-hold of the same bars;
* the Deflated Sharpe Ratio and the PBO of the holdout's search, and whether genesis calls
  the result significant;
* the same holdout on a pure random walk of the same length, which must be flagged as not
  significant.

Run: ``.venv/bin/python bench/overfit.py [--seeds 5] [--budget 200]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, load, quiet, table
from genesis.data import Candles, load_candles, write_candles
from genesis.optimizer import run_optimizer

REAL = ROOT.parent / "shared" / "data" / "tBTCUSD_1h_bitfinex.csv"
HOLDOUT = {"holdout": {"test_fraction": 0.3}, "top_k": 10, "select_by": "out_of_sample"}
WALK_FORWARD = {"walk_forward": {"folds": 4, "mode": "anchored"}, "top_k": 10}


def _run(source: str, seed: int, budget: int, validation: dict[str, Any], out: Path) -> Any:
    config = load(
        "tBTCUSD_1h_optuna.yaml",
        {
            "data.source": source, "optimizer.seed": seed, "optimizer.n_trials": budget,
            "optimizer.max_unique_backtests": budget, "output_dir": str(out),
            "validation": validation,
        },
    )  # fmt: skip
    result = run_optimizer(config)
    quiet()
    return result.validation


def _random_walk(like: Candles, seed: int, path: Path) -> str:
    """A driftless random walk with the real series' timestamps and volatility."""
    rng = np.random.default_rng(seed)
    returns = np.diff(np.log(like.close))
    steps = rng.choice(returns, len(like)) * rng.choice([-1.0, 1.0], len(like))  # no drift
    close = like.close[0] * np.exp(np.cumsum(steps))
    open_ = np.concatenate(([like.close[0]], close[:-1]))
    spread = np.abs(like.high - like.low) / like.close * close
    write_candles(
        Candles(
            ts_ms=like.ts_ms, open=open_, high=np.maximum(open_, close) + spread / 2,
            low=np.minimum(open_, close) - spread / 2, close=close, volume=like.volume,
            symbol="tRWUSD", timeframe="1h",
        ),
        path,
    )  # fmt: skip
    return str(path)


def _sharpe(entry: dict[str, Any] | None) -> float:
    value = (entry or {}).get("sharpe")
    return float("nan") if value is None else float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=200)
    args = parser.parse_args()
    quiet()
    source = str(REAL) if REAL.exists() else "synthetic:tBTCUSD:1h"
    data_name = "Bitfinex tBTCUSD 1h" if REAL.exists() else "synthetic tBTCUSD 1h"
    rows, walk_flags, started = [], [], time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        candles = load_candles(source, timeframe="1h")
        for seed in range(1, args.seeds + 1):
            out = Path(tmp) / f"seed{seed}"
            h = _run(source, seed, args.budget, HOLDOUT, out)
            w = _run(source, seed, args.budget, WALK_FORWARD, out)
            walk = _random_walk(candles, seed, Path(tmp) / f"walk{seed}.csv")
            r = _run(walk, seed, args.budget, HOLDOUT, out)
            walk_flags.append(not r["significant"])
            rows.append([
                seed,
                _sharpe(h["expected"]["in_sample_metrics"]),
                _sharpe(h["expected"]["metrics"]),
                _sharpe(h["out_of_sample"]["metrics"]),
                _sharpe(h["buy_and_hold"]),
                _sharpe(w["expected"]["metrics"]),
                w["walk_forward_efficiency"],
                _sharpe(w["buy_and_hold"]),
                (h["deflated_sharpe"] or {}).get("probability"),
                (h["pbo"] or {}).get("probability"),
                "yes" if h["significant"] else "no",
                "flagged" if walk_flags[-1] else "NOT flagged",
            ])  # fmt: skip
            print(f"seed {seed} done ({time.perf_counter() - started:.0f}s)", file=sys.stderr)
    header = [
        "seed", "(a) IS best, IS Sharpe", "(a) IS best, OOS Sharpe", "(b) champion OOS Sharpe",
        "B&H OOS Sharpe", "(c) walk-forward stitched OOS Sharpe", "WFE", "B&H WF Sharpe",
        "DSR", "PBO", "significant", "random walk",
    ]  # fmt: skip
    print(f"data: {data_name}, {len(candles):,} bars; {args.budget} real backtests a search")
    print(table(header, [*rows, _mean_row(rows)]))
    _verdict(rows, walk_flags)


def _mean_row(rows: list[list[Any]]) -> list[Any]:
    cells: list[Any] = ["mean ± std"]
    for column in range(1, len(rows[0])):
        values = [r[column] for r in rows if isinstance(r[column], float)]
        if values and len(values) == len(rows) and all(v == v for v in values):
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.2f} ± {std:.2f}")
        else:
            cells.append(f"{sum(1 for r in rows if r[column] in ('yes', 'flagged'))}/{len(rows)}")
    return cells


def _verdict(rows: list[list[Any]], walk_flags: list[bool]) -> None:
    realized = [r[2] for r in rows]
    expected = [r[5] for r in rows]
    lo = statistics.mean(realized) - (statistics.stdev(realized) if len(realized) > 1 else 0.0)
    hi = statistics.mean(realized) + (statistics.stdev(realized) if len(realized) > 1 else 0.0)
    inside = lo <= statistics.mean(expected) <= hi
    print(
        f"\nwhat to expect (walk-forward stitched, mean {statistics.mean(expected):.2f}) "
        f"{'is' if inside else 'is NOT'} within the spread of what the test period gave the "
        f"in-sample best ({lo:.2f} .. {hi:.2f}); the in-sample Sharpe said "
        f"{statistics.mean(r[1] for r in rows):.2f}"
    )
    print(f"random walk flagged as not significant in {sum(walk_flags)}/{len(walk_flags)} seeds")


if __name__ == "__main__":
    main()
