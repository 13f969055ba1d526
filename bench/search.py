"""Search quality: genesis's default sampler against the baselines, at equal budgets.

The full genesis_trend search (``config/optimizer/tBTCUSD_1h_optuna.yaml``, 11 dims) on
real Bitfinex tBTCUSD 1h candles when ``../shared/data/tBTCUSD_1h_bitfinex.csv`` exists
next to the repository (or ``--data PATH``), else on 50k synthetic bars. Arms:

* ``genesis default``: ``run_optimizer`` with the config's default sampler (journal
  storage, result cache, repeat avoidance: the whole pipeline);
* ``optuna tpe`` / ``optuna random`` / ``optuna cmaes``: plain Optuna in memory, its own
  sampler with the config's ``n_startup_trials``, calling genesis's backtest; a repeated
  proposal is answered from a dict (it costs no backtest, as in genesis) and does not
  count against the budget;
* ``sambo sceua``: ``sambo.minimize(method="sceua")`` as backtesting.py's ``optimize``
  calls it (``max_iter`` the budget, ``rng`` the seed), each dimension given as grid
  indexes (ints) or choices, on genesis's backtest. Minimizing ``-score``; an infeasible
  result is shifted by +1,000 (order kept, behind every feasible one), a failed backtest
  (undefined score) is +2,000.

Budgets count **real backtests** (distinct params): the best **feasible** score among
the first 50 and 200 (one run of 200 for every arm whose sampler does not know its
budget; SAMBO runs once per budget since its population depends on ``max_iter``). Then
at **equal wall time** (``--wall`` s, default 10, the loop's own time after loading the
candles and compiling numba): each arm runs until the time is up (SAMBO, which stops when
it converges, is restarted with the next seed while time remains). Mean ± sample
standard deviation over ``--seeds`` (1-5).

Run: ``.venv/bin/python bench/search.py [--seeds 1 2 3 4 5] [--wall 10] [--data PATH]``
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import sambo

from _common import ROOT, load, quiet, table, warm_numba
from genesis.cache import cache_key
from genesis.config import CategoricalParam, FloatParam, GenesisConfig
from genesis.errors import BacktestError, StrategyError
from genesis.evaluate import evaluate, make_spec
from genesis.optimizer import Problem, build_problem, run_optimizer

CONFIG = "tBTCUSD_1h_optuna.yaml"
BITFINEX = ROOT.parent / "shared" / "data" / "tBTCUSD_1h_bitfinex.csv"
BUDGETS = (50, 200)
SHIFT = 1_000.0
ARMS = ("genesis default", "optuna tpe", "optuna random", "optuna cmaes", "sambo sceua")


class _Stop(Exception):
    """Raised from an objective when the arm's budget (backtests or time) is spent."""


@dataclass
class Trace:
    """Every distinct backtest of one run, in order: (score, feasible) or None if failed."""

    results: list[tuple[float, bool] | None] = field(default_factory=list)

    def best(self, budget: int | None = None) -> float:
        """The best feasible score among the first ``budget`` backtests (NaN: none)."""
        feasible = [r[0] for r in self.results[:budget] if r is not None and r[1]]
        return max(feasible, default=math.nan)


class Backtests:
    """genesis's backtest behind a memo: a repeated key costs nothing and is not counted."""

    def __init__(self, problem: Problem, limit: int | None, deadline: float | None) -> None:
        self.problem, self.limit, self.deadline = problem, limit, deadline
        self.last = ""
        self.memo: dict[str, tuple[float, bool] | None] = {}
        self.constraints: dict[str, dict[str, float]] = {}
        self.trace = Trace()

    def score(self, params: dict[str, Any]) -> tuple[float, bool] | None:
        """(score, feasible), None for a failed backtest; the constraints in ``last``."""
        p = self.problem
        spec = make_spec(
            p.strategy, {**p.space.fixed, **params}, p.data_fingerprint, p.settings,
            p.score_spec, window=p.window,
        )  # fmt: skip
        key = cache_key(spec)
        self.last = key
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            raise _Stop  # also on a repeat: a converged sampler may propose nothing new
        if key in self.memo:
            return self.memo[key]
        if self.limit is not None and len(self.memo) >= self.limit:
            raise _Stop
        try:
            ev = evaluate(spec, p.strategy, p.features)
            result: tuple[float, bool] | None = (float(ev.score.values[0]), ev.score.feasible)
            self.constraints[key] = dict(ev.score.constraints)
        except (StrategyError, BacktestError):
            result = None
        self.memo[key] = result
        self.trace.results.append(result)
        return result


def run_genesis(
    config: GenesisConfig, seed: int, budget: int | None, wall_s: float | None
) -> Trace:
    """``run_optimizer`` in a temp dir; the trace is read back from its ``trials.csv``."""
    with tempfile.TemporaryDirectory(prefix="genesis-search-") as tmp:
        overrides: dict[str, Any] = {
            "optimizer.seed": seed, "output_dir": f"{tmp}/out", "cache.location": f"{tmp}/c",
            "optimizer.n_trials": 10**7 if budget is None else budget,
        }  # fmt: skip
        if budget is not None:
            overrides["optimizer.max_unique_backtests"] = budget
        if wall_s is not None:
            overrides["optimizer.timeout_s"] = wall_s
        result = run_optimizer(_override(config, overrides))
        with open(result.run_dir / "trials.csv", newline="") as handle:
            rows = sorted(csv.DictReader(handle), key=lambda r: int(r["number"]))
    quiet()
    trace = Trace()
    for row in rows:
        if row["cache_source"] == "computed":
            trace.results.append((float(row["score"]), row["feasible"] == "true"))
        elif row["state"] == "FAIL" and row["key"]:
            trace.results.append(None)
    return trace


def _override(config: GenesisConfig, overrides: dict[str, Any]) -> GenesisConfig:
    data = config.model_dump(mode="json")
    for dotted, value in overrides.items():
        node = data
        *path, last = dotted.split(".")
        for part in path:
            node = node[part]
        node[last] = value
    return GenesisConfig.model_validate(data)


def run_optuna(
    problem: Problem, config: GenesisConfig, kind: str, seed: int, limit: int | None,
    wall_s: float | None,
) -> Trace:  # fmt: skip
    n_startup = config.optimizer.n_startup_trials
    sampler = {
        "optuna tpe": lambda: optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup),
        "optuna random": lambda: optuna.samplers.RandomSampler(seed=seed),
        "optuna cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed, n_startup_trials=n_startup),
    }[kind]()
    deadline = None if wall_s is None else time.perf_counter() + wall_s
    backtests = Backtests(problem, limit, deadline)
    study = optuna.create_study(direction="maximize", sampler=sampler)

    def objective(trial: optuna.Trial) -> float:
        result = backtests.score(problem.space.suggest(trial))
        if result is None:
            return math.nan
        for name, value in backtests.constraints[backtests.last].items():
            trial.set_constraint(name, float(value))  # as genesis reports them
        return result[0]

    max_trials = None if limit is None else 20 * limit
    with contextlib.suppress(_Stop):
        study.optimize(objective, n_trials=max_trials, catch=(), timeout=wall_s)
    return backtests.trace


def run_sambo(problem: Problem, seed: int, limit: int | None, wall_s: float | None) -> Trace:
    dims = list(problem.space.dimensions.items())
    bounds: list[Any] = []
    for _, dim in dims:
        if isinstance(dim, CategoricalParam):
            bounds.append(list(range(len(dim.choices))))
        elif isinstance(dim, FloatParam) and dim.step is None:
            bounds.append((float(dim.low), float(dim.high)))
        else:
            bounds.append((0, len(problem.space.grid()[_name(dims, dim)])))
    grid = problem.space.grid()
    deadline = None if wall_s is None else time.perf_counter() + wall_s
    backtests = Backtests(problem, limit, deadline)

    def fun(x: np.ndarray) -> float:
        params = {}
        for (name, dim), v in zip(dims, x, strict=True):
            if isinstance(dim, FloatParam) and dim.step is None:
                params[name] = float(v)
            else:
                params[name] = grid[name][int(v)]
        result = backtests.score(params)
        if result is None:
            return 2 * SHIFT
        return -result[0] + (0.0 if result[1] else SHIFT)

    restart = 0
    try:
        while True:
            sambo.minimize(
                fun, bounds=bounds, method="sceua", max_iter=limit or 10**6,
                rng=seed + 1_000 * restart,
            )  # fmt: skip
            if deadline is None:
                break
            restart += 1
    except _Stop:
        pass
    return backtests.trace


def _name(dims: list[tuple[str, Any]], dim: Any) -> str:
    return next(n for n, d in dims if d is dim)


def arm_runner(
    arm: str, config: GenesisConfig, problem: Problem
) -> Callable[[int, int | None, float | None], Trace]:
    if arm == "genesis default":
        return lambda seed, budget, wall: run_genesis(config, seed, budget, wall)
    if arm == "sambo sceua":
        return lambda seed, budget, wall: run_sambo(problem, seed, budget, wall)
    return lambda seed, budget, wall: run_optuna(problem, config, arm, seed, budget, wall)


def mean_std(values: list[float]) -> str:
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return "none feasible"
    sd = statistics.stdev(finite) if len(finite) > 1 else 0.0
    missing = len(values) - len(finite)
    return f"{statistics.mean(finite):.3f} ± {sd:.3f}" + (f" ({missing} none)" if missing else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--wall", type=float, default=10.0, help="equal wall time, s (0: skip)")
    parser.add_argument("--data", type=Path, default=BITFINEX)
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS))
    args = parser.parse_args()
    quiet()
    real = args.data.is_file()
    source = str(args.data) if real else "synthetic:tBTCUSD:1h:42:50000"
    config = load(CONFIG, {"data.source": source, "data.fast_window": False})
    problem = build_problem(config)
    warm_numba(problem)
    print(f"{CONFIG} on {'real ' + args.data.name if real else 'synthetic'} candles, "
          f"{len(problem.candles)} bars, seeds {args.seeds}\n", flush=True)  # fmt: skip

    at_budget: dict[str, dict[int, list[float]]] = {a: {b: [] for b in BUDGETS} for a in args.arms}
    at_wall: dict[str, list[float]] = {a: [] for a in args.arms}
    counts: dict[str, list[int]] = {a: [] for a in args.arms}
    for arm in args.arms:
        run = arm_runner(arm, config, problem)
        for seed in args.seeds:
            t0 = time.perf_counter()
            if arm == "sambo sceua":
                for budget in BUDGETS:
                    at_budget[arm][budget].append(run(seed, budget, None).best())
            else:
                trace = run(seed, max(BUDGETS), None)
                for budget in BUDGETS:
                    at_budget[arm][budget].append(trace.best(budget))
            line = f"{arm:16s} seed {seed}: " + ", ".join(
                f"@{b} {at_budget[arm][b][-1]:.3f}" for b in BUDGETS
            )
            if args.wall > 0:
                trace = run(seed, None, args.wall)
                at_wall[arm].append(trace.best())
                counts[arm].append(len(trace.results))
                line += f", {args.wall:g}s {at_wall[arm][-1]:.3f} ({counts[arm][-1]} backtests)"
            print(f"{line}  [{time.perf_counter() - t0:.1f}s]", flush=True)

    header = ["arm", *(f"best @{b} backtests" for b in BUDGETS)]
    if args.wall > 0:
        header += [f"best @{args.wall:g} s", "backtests in that time"]
    rows = []
    for arm in args.arms:
        row = [arm, *(mean_std(at_budget[arm][b]) for b in BUDGETS)]
        if args.wall > 0:
            row += [mean_std(at_wall[arm]), f"{statistics.mean(counts[arm]):.0f}"]
        rows.append(row)
    print(f"\n## Best feasible score (mean ± std over {len(args.seeds)} seeds)\n")
    print(table(header, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
