"""Storage cost of one genesis-shaped trial: genesis's journal against Optuna's stock journal.

Each trial does what genesis's objective asks of the storage: ``ask``, 11
``suggest_float``, 6 ``set_user_attr``, 2 ``set_constraint`` and ``tell``, under a
``RandomSampler`` (so the sampler costs next to nothing and the storage is what is
timed). Scenarios, interleaved over ``--repeats``, each on a fresh file in one temp dir:

* ``genesis journal``: ``open_storage(None, dir)`` (every record appended at once under
  Optuna's lock taken inside a flock; an fsync when a trial is finished, on a background
  thread; genesis's objective also groups a trial's params and attributes, which this
  bench does not);
* ``stock journal``: ``JournalStorage(JournalFileBackend(path))`` (Optuna's symlink lock,
  fsync per record);
* ``in-memory``: ``InMemoryStorage`` (the floor).

Figures: the median ms per trial of each repeat, then the median over repeats, and the
ratio genesis / stock measured in the same run (target: <= 1.0).

Run: ``.venv/bin/python bench/journal.py [--trials 300] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, InMemoryStorage, JournalStorage
from optuna.storages.journal import JournalFileBackend

from _common import median, quiet, table
from genesis.storage.storage import open_storage

SCENARIOS = ("genesis journal", "stock journal", "in-memory")


def _storage(scenario: str, folder: Path) -> BaseStorage:
    if scenario == "genesis journal":
        return open_storage(None, folder)
    if scenario == "stock journal":
        return JournalStorage(JournalFileBackend(str(folder / "stock.journal")))
    return InMemoryStorage()


def run(scenario: str, trials: int) -> float:
    """Median ms per trial of ``trials`` genesis-shaped trials on ``scenario``."""
    with tempfile.TemporaryDirectory(prefix="journal-bench-") as tmp:
        study = optuna.create_study(
            storage=_storage(scenario, Path(tmp)), sampler=optuna.samplers.RandomSampler(0)
        )
        per_trial = []
        for _ in range(trials):
            started = time.perf_counter()
            trial = study.ask()
            for i in range(11):
                trial.suggest_float(f"p{i}", 0.0, 1.0)
            for name in ("key", "cached", "cache_reused", "cache_source", "backtest_path", "w"):
                trial.set_user_attr(name, "x" * 32)
            trial.set_constraint("min_trades", -1.0)
            trial.set_constraint("max_drawdown_pct", -2.0)
            study.tell(trial, trial.params["p0"])
            per_trial.append(1e3 * (time.perf_counter() - started))
    return median(per_trial)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    quiet()
    results: dict[str, list[float]] = defaultdict(list)
    for repeat in range(args.repeats):
        for scenario in SCENARIOS:
            results[scenario].append(run(scenario, args.trials))
        ratio = results["genesis journal"][-1] / results["stock journal"][-1]
        print(f"repeat {repeat + 1}/{args.repeats}: genesis / stock = {ratio:.3f}", flush=True)
    stock = median(results["stock journal"])
    rows = [
        [s, " ".join(f"{v:.2f}" for v in vs), f"{median(vs):.2f}", f"{median(vs) / stock:.3f}x"]
        for s, vs in results.items()
    ]
    print(f"\n## {args.trials} genesis-shaped trials per run, {args.repeats} repeats\n")
    print(table(["storage", "ms/trial per repeat", "median", "this / stock journal"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
