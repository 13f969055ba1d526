"""The optimizer loop: genesis's default against plain Optuna TPE in memory.

The full genesis_trend search (``config/optimizer/tBTCUSD_1h_optuna.yaml``) on ``--bars``
(50,000) synthetic tBTCUSD 1h candles, numba warmed first, per seed (``--seeds``, 1-5):

* ``genesis``: ``run_optimizer`` with the default sampler and settings (journal storage
  in a temp run directory, result cache, repeat avoidance, artifacts at the end);
* ``optuna tpe``: plain Optuna, ``TPESampler(seed=…)`` with the config's
  ``n_startup_trials``, ``InMemoryStorage``, the same backtest function and constraints.

Each runs ``--trials`` (1,000) trials; the table gives the loop time to trial 200 and to
trial 1,000 (from the loop's start, so the start-up is apart: storage, cache, study for
genesis), the whole call for genesis, the ratio, and the best feasible score at 200 and
1,000 trials (mean ± std over seeds). Then one genesis run of ``--long`` (5,000) trials
prints ms/trial (median of 20 trials) at trials 100, 1,000 and 5,000, and a run with an
expensive backtest (``bench/_slow.py``: 50 ms more per backtest) compares ms/trial of the
default to the former default (``sampler: tpe``, ``avoid_repeats: false``).

Run: ``.venv/bin/python bench/loop.py [--seeds 1 2 3 4 5] [--trials 1000] [--long 5000]``
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import optuna

import genesis.optimizer.runner as runner_module
from _common import ROOT, load, plain_objective, quiet, table, warm_numba
from genesis.optimizer import TrialOutcome, build_problem, run_optimizer

CONFIG = "tBTCUSD_1h_optuna.yaml"
SLOW = f"{ROOT / 'bench' / '_slow.py'}:SlowTrend"


@dataclass
class Run:
    """One run: the loop's clock at each trial's end, and the best feasible score so far."""

    stamps: list[float]
    best: list[float]
    wall_s: float

    def loop_s(self, trials: int) -> float:
        return self.stamps[min(trials, len(self.stamps)) - 1]

    def ms_at(self, trial: int, width: int = 20) -> float:
        gaps = [1e3 * (b - a) for a, b in itertools.pairwise(self.stamps)]
        window = gaps[max(0, trial - width) : trial]
        return statistics.median(window) if window else math.nan


def _overrides(tmp: str, bars: int, trials: int, seed: int, **more: Any) -> dict[str, Any]:
    return {
        "data.source": f"synthetic:tBTCUSD:1h:42:{bars}", "data.fast_window": False,
        "optimizer.n_trials": trials, "optimizer.seed": seed,
        "output_dir": f"{tmp}/out", "cache.location": f"{tmp}/cache", **more,
    }  # fmt: skip


def run_genesis(bars: int, trials: int, seed: int, **more: Any) -> Run:
    """``run_optimizer``; the loop's clock starts when ``run_loop`` is called."""
    stamps: list[float] = []
    best: list[float] = []
    start = [0.0]
    original = runner_module.run_loop

    def timed_loop(*args: Any, **kwargs: Any) -> str:
        start[0] = time.perf_counter()
        return original(*args, **kwargs)

    def on_outcome(outcome: TrialOutcome) -> None:
        stamps.append(time.perf_counter() - start[0])
        feasible = outcome.values is not None and feasible_keys.get(outcome.key or "", False)
        top = best[-1] if best else -math.inf
        best.append(max(top, outcome.values[0]) if feasible and outcome.values else top)

    feasible_keys: dict[str, bool] = {}
    with tempfile.TemporaryDirectory(prefix="genesis-loop-") as tmp:
        config = load(CONFIG, _overrides(tmp, bars, trials, seed, **more))
        objective_cls = runner_module.open_session.__globals__["Objective"]
        record = objective_cls._record

        def noting_record(
            obj: Any, trial: Any, key: str, source: Any, payload: Any, v: Any
        ) -> None:
            feasible_keys[key] = bool(payload["score"]["feasible"])
            record(obj, trial, key, source, payload, v)

        runner_module.run_loop = timed_loop  # type: ignore[assignment]
        objective_cls._record = noting_record
        try:
            t0 = time.perf_counter()
            run_optimizer(config, on_outcome=on_outcome)
            wall = time.perf_counter() - t0
        finally:
            runner_module.run_loop = original
            objective_cls._record = record
    quiet()
    return Run(stamps, best, wall)


def run_tpe(bars: int, trials: int, seed: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="optuna-loop-") as tmp:
        config = load(CONFIG, _overrides(tmp, bars, trials, seed))
    problem = build_problem(config)
    sampler = optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=config.optimizer.n_startup_trials
    )
    study = optuna.create_study(direction="maximize", sampler=sampler)
    stamps: list[float] = []
    best: list[float] = []

    def callback(_: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        stamps.append(time.perf_counter() - t0)
        top = best[-1] if best else -math.inf
        feasible = trial.value is not None and all(v <= 0 for v in trial.constraints.values())
        best.append(max(top, trial.value) if feasible and trial.value is not None else top)

    t0 = time.perf_counter()
    study.optimize(plain_objective(problem), n_trials=trials, callbacks=[callback])
    return Run(stamps, best, time.perf_counter() - t0)


def mean_std(values: list[float], fmt: str = "{:.3f}") -> str:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "none feasible"
    sd = statistics.stdev(finite) if len(finite) > 1 else 0.0
    return f"{fmt.format(statistics.mean(finite))} ± {fmt.format(sd)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--long", type=int, default=5000, help="trials of the ms/trial run")
    parser.add_argument("--bars", type=int, default=50_000)
    parser.add_argument("--slow-trials", type=int, default=30)
    args = parser.parse_args()
    quiet()
    with tempfile.TemporaryDirectory() as tmp:
        warm_numba(build_problem(load(CONFIG, _overrides(tmp, args.bars, 1, 1))))
    marks = sorted({200, args.trials})

    runs: dict[str, list[Run]] = {"genesis": [], "optuna tpe": []}
    for seed in args.seeds:
        for arm in runs:
            run = (
                run_genesis(args.bars, args.trials, seed)
                if arm == "genesis"
                else run_tpe(args.bars, args.trials, seed)
            )
            runs[arm].append(run)
            print(f"seed {seed} {arm:10s} " + ", ".join(
                f"{m} trials {run.loop_s(m):.2f} s (best {run.best[m - 1]:.3f})" for m in marks
            ), flush=True)  # fmt: skip

    print(f"\n## {args.trials} trials, {args.bars} bars, {CONFIG}, seeds {args.seeds}\n")
    rows = []
    for m in marks:
        g = [r.loop_s(m) for r in runs["genesis"]]
        o = [r.loop_s(m) for r in runs["optuna tpe"]]
        ratios = [b / a for a, b in zip(g, o, strict=True)]
        rows.append([
            m, mean_std(g, "{:.2f}"), mean_std(o, "{:.2f}"), f"{statistics.mean(ratios):.1f}x",
            mean_std([r.best[m - 1] for r in runs["genesis"]]),
            mean_std([r.best[m - 1] for r in runs["optuna tpe"]]),
        ])  # fmt: skip
    print(table(["trials", "genesis loop s", "optuna tpe in memory s", "speed-up",
                 "genesis best", "optuna tpe best"], rows))  # fmt: skip
    walls = [r.wall_s for r in runs["genesis"]]
    print(f"\ngenesis whole call (start-up, {args.trials} trials, artifacts): "
          f"{mean_std(walls, '{:.2f}')} s")  # fmt: skip

    long = run_genesis(args.bars, args.long, args.seeds[0])
    points = [t for t in (100, 1000, args.long) if t <= args.long]
    print(f"\n## ms/trial of one genesis run of {args.long} trials (median of 20 trials)\n")
    print(table(["at trial", "ms/trial"], [[t, f"{long.ms_at(t):.2f}"] for t in points]))

    n = args.slow_trials
    slow = run_genesis(args.bars, n, args.seeds[0], **{"strategy.name": SLOW})
    before = run_genesis(
        args.bars, n, args.seeds[0],
        **{"strategy.name": SLOW, "optimizer.sampler": "tpe", "optimizer.avoid_repeats": False},
    )  # fmt: skip
    per = [r.loop_s(n) / n * 1e3 for r in (slow, before)]
    print(f"\n## {n} trials with a 50 ms backtest (bench/_slow.py)\n")
    print(table(["run", "ms/trial"], [
        ["genesis default", f"{per[0]:.1f}"],
        ["former default (tpe, avoid_repeats: false)", f"{per[1]:.1f}"],
        ["default / former", f"{per[0] / per[1]:.3f}x"],
    ]))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
