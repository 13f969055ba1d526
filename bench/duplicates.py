"""Duplicate trials: the seed's invented scores versus genesis's true ones.

Runs the smoke config (``config/optimizer/tBTCUSD_1h_optuna_smoke_loose.yaml``: 80 TPE
trials over a coarse 432-point space, 8,000-bar fast window) for several sampler seeds as

* ``seed -1e6`` / ``seed 0.0``: plain Optuna (same TPE settings and seed, in-memory
  storage) whose objective computes genesis's cache key and, for a key already seen in
  the run, returns -1e6 (or 0.0) instead of the score: the seed's
  ``duplicate_within_run`` path. Other trials run the real backtest (``genesis.evaluate``).
* ``genesis``: ``run_optimizer`` with its default settings (the elite sampler, repeated
  proposals replaced by new points), a fresh output dir and result cache (temp dir);
* ``genesis tpe``: the same with ``optimizer.sampler: tpe`` (repeats still replaced);
* ``genesis tpe, repeats run``: ``sampler: tpe, avoid_repeats: false``, the former
  default: a repeated proposal is a trial answered from memory;
* ``genesis max_unique=80``: that former default with ``max_unique_backtests: 80``.

Per seed and variant it prints the duplicate rate, the trials with an invented score,
the real backtests, the best real score and the wall time, then a Markdown summary
(means over seeds). For genesis, "invented" counts COMPLETE trials whose value (in the
study storage and in ``trials.csv``) differs from the score in the cache payload of its
key; it must be 0, the max_unique run must have run exactly 80 backtests, and the default
must have fewer than 10 % duplicate trials, at least 72 real backtests of 80 and a mean best
score not below the former default's, else the script exits 1.

Run: ``.venv/bin/python bench/duplicates.py [--seeds 1 2 3 4 5]``
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import optuna
from optuna.trial import TrialState

from _common import load, quiet, table, warm_numba
from genesis.cache import ResultCache, cache_key, open_cache
from genesis.errors import BacktestError, StrategyError
from genesis.evaluate import evaluate, make_spec
from genesis.optimizer import OptimizationResult, build_problem, run_optimizer
from genesis.storage.storage import open_storage

CONFIG = "tBTCUSD_1h_optuna_smoke_loose.yaml"
MAX_UNIQUE = 80
FORMER = {"optimizer.sampler": "tpe", "optimizer.avoid_repeats": False}
VARIANTS: list[tuple[str, dict[str, object]]] = [
    ("genesis", {}),
    ("genesis tpe", {"optimizer.sampler": "tpe"}),
    ("genesis tpe, repeats run", FORMER),
]
CAPPED = {**FORMER, "optimizer.max_unique_backtests": MAX_UNIQUE}


@dataclass(frozen=True)
class Row:
    """One run of one variant."""

    variant: str
    seed: int
    trials: int
    repeats: int
    duplicate_rate: float
    invented: int
    backtests: int
    best: float
    wall_s: float


def run_broken(seed: int, sentinel: float) -> Row:
    """Plain Optuna with the seed's objective: a duplicate key returns ``sentinel``."""
    config = load(CONFIG, {"optimizer.seed": seed})
    quiet()  # a genesis run set Optuna's verbosity back to WARNING
    problem = build_problem(config)
    started = time.perf_counter()
    sampler = optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=config.optimizer.n_startup_trials
    )
    study = optuna.create_study(direction="maximize", sampler=sampler)
    seen: dict[str, float] = {}
    counts = {"duplicates": 0}

    def objective(trial: optuna.Trial) -> float:
        params = problem.space.suggest(trial)
        spec = make_spec(
            problem.strategy, params, problem.data_fingerprint, problem.settings,
            problem.score_spec, window=problem.window,
        )  # fmt: skip
        key = cache_key(spec)
        if key in seen:  # the seed: "duplicate_within_run" → an invented score
            counts["duplicates"] += 1
            return sentinel
        try:
            ev = evaluate(spec, problem.strategy, problem.features)
        except (StrategyError, BacktestError):
            return math.nan  # → FAIL, as in genesis
        for name, value in ev.score.constraints.items():
            trial.set_constraint(name, float(value))
        seen[key] = float(ev.score.values[0])
        return seen[key]

    study.optimize(objective, n_trials=config.optimizer.n_trials)
    wall = time.perf_counter() - started
    n = len(study.trials)
    return Row(
        variant=f"seed {sentinel:g}", seed=seed, trials=n, repeats=0,
        duplicate_rate=counts["duplicates"] / n, invented=counts["duplicates"],
        backtests=len(seen), best=max(seen.values(), default=math.nan), wall_s=wall,
    )  # fmt: skip


def run_genesis(
    seed: int, variant: str, changes: dict[str, object]
) -> tuple[Row, OptimizationResult]:
    """``run_optimizer`` in a fresh temp dir (fresh output dir and result cache)."""
    with tempfile.TemporaryDirectory(prefix="genesis-dup-") as tmp:
        overrides: dict[str, object] = {
            "optimizer.seed": seed,
            "output_dir": str(Path(tmp) / "out"),
            "cache.location": str(Path(tmp) / "cache"),
            **changes,
        }
        config = load(CONFIG, overrides)
        started = time.perf_counter()
        result = run_optimizer(config)
        wall = time.perf_counter() - started
        invented = count_invented(result, open_cache(str(Path(tmp) / "cache")))
    stats = result.stats
    best = float(result.best["score"]) if result.best else math.nan
    row = Row(
        variant=variant, seed=seed, trials=stats.total_trials,
        repeats=stats.repeated_proposals, duplicate_rate=stats.duplicate_rate,
        invented=invented, backtests=stats.computed,
        best=best, wall_s=wall,
    )  # fmt: skip
    return row, result


def count_invented(result: OptimizationResult, cache: ResultCache) -> int:
    """COMPLETE trials whose value (study or ``trials.csv``) is not their key's cached score."""
    storage = open_storage(None, result.run_dir)
    study = optuna.load_study(study_name=result.study_name, storage=storage)
    with open(result.run_dir / "trials.csv", newline="") as handle:
        csv_scores = {int(r["number"]): r["score"] for r in csv.DictReader(handle)}
    bad = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        key = trial.user_attrs.get("key")
        payload = cache.get(key) if isinstance(key, str) else None
        if payload is None or trial.values is None:
            bad += 1
            continue
        true = float(payload["score"]["values"][0])
        in_csv = csv_scores.get(trial.number, "")
        if trial.values[0] != true or not in_csv or float(in_csv) != true:
            bad += 1
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = parser.parse_args()
    quiet()
    warm_numba(build_problem(load(CONFIG, {})))

    header = [
        "variant", "seed", "trials", "repeats replaced", "dup rate", "invented", "backtests",
        "best", "wall s",
    ]  # fmt: skip
    rows: list[Row] = []
    failures: list[str] = []
    for seed in args.seeds:
        results = [run_broken(seed, -1e6), run_broken(seed, 0.0)]
        genesis_rows = [run_genesis(seed, name, changes)[0] for name, changes in VARIANTS]
        capped, capped_result = run_genesis(seed, f"genesis max_unique={MAX_UNIQUE}", CAPPED)
        results += [*genesis_rows, capped]
        for row in (*genesis_rows, capped):
            if row.invented:
                failures.append(f"{row.variant} seed {seed}: {row.invented} invented scores")
        if capped_result.stats.computed != MAX_UNIQUE:
            failures.append(
                f"max_unique seed {seed}: {capped_result.stats.computed} real backtests, "
                f"expected {MAX_UNIQUE} ({capped_result.stop_reason})"
            )
        print(table(header, [_cells(r) for r in results]), end="\n\n", flush=True)
        rows += results

    print(f"## Summary: {CONFIG}, mean over seeds {args.seeds}\n")
    summary = []
    for variant in dict.fromkeys(r.variant for r in rows):
        group = [r for r in rows if r.variant == variant]
        summary.append([
            variant, f"{_mean([r.trials for r in group]):.1f}",
            f"{_mean([r.repeats for r in group]):.1f}",
            f"{100 * _mean([r.duplicate_rate for r in group]):.1f}%",
            f"{_mean([r.invented for r in group]):.1f}",
            f"{_mean([r.backtests for r in group]):.1f}",
            f"{_mean([r.best for r in group]):.3f}", f"{_mean([r.wall_s for r in group]):.2f}",
        ])  # fmt: skip
    print(
        table(
            ["variant", "trials", "repeats replaced", "dup rate", "invented", "backtests",
             "best", "wall s"],
            summary,
        )
    )  # fmt: skip
    failures += _check_default(rows)
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print(
        "\nOK: genesis invented no score; max_unique_backtests ran exactly", MAX_UNIQUE,
        "; the default ran < 10 % duplicates, >= 72 backtests, best not below the former",
    )  # fmt: skip
    return 0


def _check_default(rows: list[Row]) -> list[str]:
    """The issue's goals for the default: < 10 % duplicates, >= 72 backtests, best kept."""
    default = [r for r in rows if r.variant == "genesis"]
    former = [r for r in rows if r.variant == "genesis tpe, repeats run"]
    problems = []
    if _mean([r.duplicate_rate for r in default]) >= 0.10:
        problems.append("default: duplicate rate not below 10 %")
    if _mean([r.backtests for r in default]) < 72:
        problems.append("default: fewer than 72 real backtests of 80 on average")
    if _mean([r.best for r in default]) < _mean([r.best for r in former]):
        problems.append("default: mean best score below the former default's")
    return problems


def _cells(r: Row) -> list[object]:
    return [
        r.variant, r.seed, r.trials, r.repeats, f"{100 * r.duplicate_rate:.1f}%", r.invented,
        r.backtests,
        f"{r.best:.3f}", f"{r.wall_s:.2f}",
    ]  # fmt: skip


def _mean(values: list[float] | list[int]) -> float:
    return sum(values) / len(values) if values else math.nan


if __name__ == "__main__":
    sys.exit(main())
