"""Scaling with workers: trials and real backtests per second, 1 vs 2 workers, journal and PG.

Runs ``run_optimizer`` on the full genesis_trend search (``tBTCUSD_1h_optuna.yaml``, its
default sampler, 11 dims: duplicates are rare, so nearly every trial is a real backtest)
over ``--bars`` (50,000) synthetic tBTCUSD 1h candles, with ``--workers`` 1 and 2 worker
processes, on

* ``journal``: the default local storage and a directory cache (one machine);
* ``postgresql``: the study, the result cache and the claims in PostgreSQL (as many
  machines run), when ``GENESIS_BENCH_POSTGRES_URL`` (or ``GENESIS_TEST_POSTGRES_URL``)
  is set.

On the journal the 1- and 2-worker runs of a repeat search the same data (a backtest's
cost depends on the data) with caches of their own; on PostgreSQL, whose runs share one
result cache, each run gets data of its own seed (same size), so that no run reuses
another's results.
Two rates per run, both from the trials' own timestamps in the study:

* steady: trials (and real backtests) started after every worker had started its first
  trial, over the time from then to the last trial's end; worker start-up (a fresh
  interpreter importing numba and optuna) is excluded;
* wall: all trials over the whole call, start-up and artifacts included.

The speed-up is each storage's 2-worker rate over its 1-worker rate, measured in the same
invocation (``--repeats`` interleaved pairs, medians). Goal: 2 workers on 2 cores ≥ 1.7x.

Run: ``.venv/bin/python bench/scaling.py [--trials 300] [--bars 50000] [--repeats 1]
[--journal-only]``
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

from _common import load, median, quiet, table, warm_numba
from genesis.config import GenesisConfig
from genesis.optimizer import build_problem, run_optimizer

CONFIG = "tBTCUSD_1h_optuna.yaml"


@dataclass
class Rates:
    trials_s: float
    backtests_s: float
    wall_trials_s: float
    n_trials: int
    n_backtests: int


def make_config(
    out: Path, trials: int, bars: int, seed: int, workers: int, url: str | None
) -> GenesisConfig:
    overrides: dict[str, object] = {
        "data.source": f"synthetic:tBTCUSD:1h:{seed}:{bars}",
        "optimizer.n_trials": trials,
        "optimizer.n_workers": workers,
        "output_dir": str(out),
        "study_name": f"scaling_{uuid.uuid4().hex[:8]}",
    }
    if url is not None:
        overrides["storage"] = url
        overrides["cache.location"] = url
    return load(CONFIG, overrides)


def steady_rates(trials: list[FrozenTrial], wall_s: float) -> Rates:
    done = [t for t in trials if t.state == TrialState.COMPLETE and t.datetime_start]
    by_worker: dict[object, list[FrozenTrial]] = {}
    for t in done:
        by_worker.setdefault(str(t.user_attrs.get("worker")), []).append(t)
    start = max(min(t.datetime_start for t in ts) for ts in by_worker.values())  # type: ignore[type-var]
    end = max(t.datetime_complete for t in done)  # type: ignore[type-var]
    window = [t for t in done if t.datetime_start >= start]  # type: ignore[operator]
    span_s = (end - start).total_seconds()  # type: ignore[operator]
    computed = [t for t in window if t.user_attrs.get("cache_source") == "computed"]
    return Rates(
        trials_s=len(window) / span_s,
        backtests_s=len(computed) / span_s,
        wall_trials_s=len(done) / wall_s,
        n_trials=len(done),
        n_backtests=sum(t.user_attrs.get("cache_source") == "computed" for t in done),
    )


def run_once(trials: int, bars: int, seed: int, workers: int, url: str | None, root: Path) -> Rates:
    """One run in a new directory under ``root`` (kept until the bench ends, see main)."""
    config = make_config(Path(tempfile.mkdtemp(dir=root)), trials, bars, seed, workers, url)
    started = time.perf_counter()
    result = run_optimizer(config)
    wall_s = time.perf_counter() - started
    quiet()
    from genesis.storage.storage import open_storage

    storage = open_storage(config.storage, result.run_dir)
    study = optuna.load_study(study_name=result.study_name, storage=storage)
    rates = steady_rates(study.get_trials(deepcopy=False), wall_s)
    if url is not None:
        optuna.delete_study(study_name=result.study_name, storage=storage)
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--bars", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--journal-only", action="store_true", help="Skip PostgreSQL.")
    args = parser.parse_args()
    quiet()
    url = os.environ.get("GENESIS_BENCH_POSTGRES_URL") or os.environ.get(
        "GENESIS_TEST_POSTGRES_URL"
    )
    storages: list[tuple[str, str | None]] = [("journal", None)]
    if url and not args.journal_only:
        storages.append(("postgresql", url))
    # Run directories are removed only when the bench ends: ext4 skips inodes freed in
    # the last minute when it creates a file, and a run's cache entries, created right
    # after the previous run's thousands of files were deleted, cost 0.7 ms each instead
    # of 0.07 ms (a cost that a real run, which only adds entries, does not pay).
    root_dir = tempfile.TemporaryDirectory(prefix="genesis-scaling-")
    root = Path(root_dir.name)
    warm_numba(build_problem(make_config(root / "warm", args.trials, args.bars, 1, 1, None)))
    base = random.randrange(10_000, 10_000_000)
    runs: dict[tuple[str, int], list[Rates]] = {}
    for repeat in range(args.repeats):
        for s_index, (name, storage_url) in enumerate(storages):
            for workers in (1, 2):
                # The journal's runs of a repeat share their data (each run has a cache
                # of its own); PostgreSQL's share one cache, so each gets data of its own.
                seed = base + 10 * repeat + (4 * s_index + workers if storage_url else 0)
                rates = run_once(args.trials, args.bars, seed, workers, storage_url, root)
                runs.setdefault((name, workers), []).append(rates)
                print(
                    f"{name} x{workers}: {rates.trials_s:.1f} trials/s, "
                    f"{rates.backtests_s:.1f} backtests/s steady; {rates.wall_trials_s:.1f} "
                    f"trials/s wall ({rates.n_trials} trials, {rates.n_backtests} backtests)",
                    file=sys.stderr,
                )
    print(f"\n## {args.trials} trials, {args.bars} bars, {CONFIG}, {os.cpu_count()} cores, "
          f"medians of {args.repeats}\n")  # fmt: skip
    rows = []
    for name, _ in storages:
        one, two = runs[(name, 1)], runs[(name, 2)]
        for workers, rs in ((1, one), (2, two)):
            ref_t = median([r.trials_s for r in one])
            ref_b = median([r.backtests_s for r in one])
            ref_w = median([r.wall_trials_s for r in one])
            t, b, w = (
                median([getattr(r, f) for r in rs])
                for f in ("trials_s", "backtests_s", "wall_trials_s")
            )
            rows.append([name, workers, f"{t:.1f}", f"{b:.1f}", f"{t / ref_t:.2f}x",
                         f"{b / ref_b:.2f}x", f"{w:.1f}", f"{w / ref_w:.2f}x"])  # fmt: skip
    print(table(
        ["storage", "workers", "trials/s", "backtests/s", "speed-up (trials)",
         "speed-up (backtests)", "wall trials/s", "wall speed-up"],
        rows,
    ))  # fmt: skip
    root_dir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
