"""Overhead of genesis's optimizer over plain Optuna calling the same backtest.

Runs ``--trials`` (1,000) TPE trials of the full genesis_trend search
(``config/optimizer/tBTCUSD_1h_optuna.yaml``: fine/continuous dims, duplicates rare) on
``--bars`` (50,000) synthetic tBTCUSD 1h candles, in one process, as

* ``genesis``: ``run_optimizer`` (default journal storage in a temp run dir, result cache
  on, dedup guard, artifacts at the end);
* ``optuna + genesis journal``: plain Optuna, ``JournalStorage`` over genesis's
  ``GenesisJournalBackend`` (``open_storage(None, tmp)``);
* ``optuna + stock journal``: plain Optuna, ``JournalStorage(JournalFileBackend(path))``;
* ``optuna in-memory``: plain Optuna, ``InMemoryStorage`` (the floor, for reference).

The plain-Optuna objective builds the problem once, suggests the same params with the same
distributions, runs ``evaluate(make_spec(...))``, reports the constraints like genesis and
returns the score; the sampler is genesis's (``make_sampler``, same seed), so every
scenario sees the same trials (checked). Numba is warmed first. Each scenario runs
``--repeats`` times, interleaved; the tables show medians over repeats of the median
per-trial time (ask + objective + tell, from one trial's end to the next) and of the wall
time (whole call, set-up and artifacts included), and genesis / baseline ratios (target:
within 1.10x). Then one instrumented genesis run breaks its time down (backtest, cache
lookup, claims, payload writes, storage, sampler) and a micro-benchmark times
``Objective._lookup`` on a memory hit and on a result-cache (disk) hit (target < 1 ms).

Run: ``.venv/bin/python bench/runner.py [--trials 1000] [--bars 50000] [--repeats 3]``
Profile one scenario: ``.venv/bin/python -m cProfile -s tottime bench/runner.py --only
genesis --repeats 1 --no-breakdown``
"""

from __future__ import annotations

import argparse
import functools
import itertools
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage, InMemoryStorage, JournalStorage
from optuna.storages.journal import JournalFileBackend

import genesis.optimizer.objective as objective_module
from _common import load, median, plain_objective, quiet, table, warm_numba
from genesis.cache import DirectoryCache
from genesis.config import GenesisConfig
from genesis.metrics import objective_direction
from genesis.optimizer import (
    Objective,
    TrialOutcome,
    build_problem,
    run_optimizer,
)
from genesis.optimizer import export as export_module
from genesis.samplers.sampler import make_sampler
from genesis.storage.claims import DedupGuard
from genesis.storage.journal import GenesisJournalBackend
from genesis.storage.storage import open_storage

CONFIG = "tBTCUSD_1h_optuna.yaml"
TARGET_RATIO = 1.10
GENESIS = "genesis"
BASELINES = ("optuna + genesis journal", "optuna + stock journal", "optuna in-memory")


@dataclass
class Run:
    """One run of one scenario."""

    scenario: str
    wall_s: float
    trial_ms: list[float]
    backtests: int
    params: list[dict[str, Any]] = field(repr=False)

    @property
    def median_ms(self) -> float:
        return median(self.trial_ms)


def make_config(tmp: Path, trials: int, bars: int) -> GenesisConfig:
    return load(
        CONFIG,
        {
            "data.source": f"synthetic:tBTCUSD:1h:42:{bars}",
            "data.fast_window": False,
            "optimizer.n_trials": trials,
            "output_dir": str(tmp / "out"),
            "cache.location": str(tmp / "cache"),
        },
    )


def _gaps_ms(stamps: list[float]) -> list[float]:
    return [1e3 * (b - a) for a, b in itertools.pairwise(stamps)]


def run_genesis(trials: int, bars: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="genesis-bench-") as tmp:
        config = make_config(Path(tmp), trials, bars)
        stamps: list[float] = []
        keys: set[str] = set()  # fresh cache: each distinct key (scored or failed) ran once

        def on_outcome(outcome: TrialOutcome) -> None:
            stamps.append(time.perf_counter())
            if outcome.key is not None:
                keys.add(outcome.key)

        started = time.perf_counter()
        result = run_optimizer(config, on_outcome=on_outcome)
        wall = time.perf_counter() - started
        study = optuna.load_study(
            study_name=result.study_name, storage=open_storage(None, result.run_dir)
        )
        params = [t.params for t in study.get_trials(deepcopy=False)]
    return Run(GENESIS, wall, _gaps_ms(stamps), len(keys), params)


def run_plain(scenario: str, trials: int, bars: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="optuna-bench-") as tmp:
        config = make_config(Path(tmp), trials, bars)
        quiet()  # a genesis run set Optuna's verbosity back to WARNING
        started = time.perf_counter()
        problem = build_problem(config)
        storage = _storage(scenario, Path(tmp))
        study = optuna.create_study(
            storage=storage, sampler=make_sampler(config, problem, 0),
            study_name="bench", direction=objective_direction(config.score.objectives[0]),
        )  # fmt: skip
        stamps: list[float] = []
        study.optimize(
            plain_objective(problem), n_trials=trials,
            callbacks=[lambda _s, _t: stamps.append(time.perf_counter())],
        )  # fmt: skip
        wall = time.perf_counter() - started
        params = [t.params for t in study.get_trials(deepcopy=False)]
    return Run(scenario, wall, _gaps_ms(stamps), len(params), params)


def _storage(scenario: str, tmp: Path) -> BaseStorage:
    if scenario == "optuna + genesis journal":
        return open_storage(None, tmp)
    if scenario == "optuna + stock journal":
        return JournalStorage(JournalFileBackend(str(tmp / "stock.journal")))
    return InMemoryStorage()


# --- breakdown of one genesis run --------------------------------------------------------


class Timings:
    """Call counts and total seconds per component, filled by :meth:`wrap`."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = defaultdict(int)
        self.total_s: dict[str, float] = defaultdict(float)
        self.objective: Objective | None = None

    def wrap(self, owner: Any, attr: str, label: str) -> Callable[[], None]:
        """Time every call of ``owner.attr`` under ``label``; returns the undo."""
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.calls[label] += 1
                self.total_s[label] += time.perf_counter() - t0

        setattr(owner, attr, timed)
        return lambda: setattr(owner, attr, original)

    @contextmanager
    def installed(self) -> Iterator[None]:
        undo = [
            self.wrap(optuna.Study, "ask", "study.ask (sampler: relative + storage)"),
            self.wrap(optuna.Study, "tell", "study.tell (storage)"),
            self.wrap(Objective, "__call__", "objective total"),
            self.wrap(objective_module.SearchSpace, "suggest", "  suggest (sampler + storage)"),
            self.wrap(objective_module, "make_spec", "  make_spec"),
            self.wrap(objective_module, "cache_key", "  cache_key"),
            self.wrap(Objective, "_lookup", "  _lookup (memory, cache get)"),
            self.wrap(objective_module, "evaluate", "  backtest (evaluate)"),
            self.wrap(DedupGuard, "claim", "  claim (sqlite)"),
            self.wrap(DedupGuard, "release", "  release (sqlite commit)"),
            self.wrap(DirectoryCache, "put", "  cache put (write + rename)"),
            self.wrap(export_module, "write_json", "trial files + artifacts at the end"),
            self.wrap(Objective, "_record", "  _record (user attrs, constraints)"),
            self.wrap(GenesisJournalBackend, "append_logs", "journal append_logs"),
            self.wrap(GenesisJournalBackend, "read_logs", "journal read_logs"),
        ]
        original_call = Objective.__call__

        def capture(obj: Objective, trial: optuna.Trial) -> tuple[float, ...]:
            self.objective = obj
            return original_call(obj, trial)

        Objective.__call__ = capture  # type: ignore[method-assign]
        undo.append(lambda: setattr(Objective, "__call__", original_call))
        try:
            yield
        finally:
            for step in reversed(undo):
                step()


def breakdown(trials: int, bars: int) -> tuple[str, str]:
    """One instrumented genesis run: the component table and the ``_lookup`` hit costs."""
    timings = Timings()
    with tempfile.TemporaryDirectory(prefix="genesis-bench-") as tmp:
        config = make_config(Path(tmp), trials, bars)
        with timings.installed():
            started = time.perf_counter()
            run_optimizer(config)
            wall = time.perf_counter() - started
        hits = _lookup_hits(timings.objective)
    rows = [
        [label, timings.calls[label], f"{1e3 * total:.0f}",
         f"{1e6 * total / max(timings.calls[label], 1):.0f}", f"{100 * total / wall:.1f}%"]
        for label, total in timings.total_s.items()
    ]  # fmt: skip
    rows.append(["wall (run_optimizer)", 1, f"{1e3 * wall:.0f}", "", "100%"])
    components = table(["component", "calls", "total ms", "µs/call", "of wall"], rows)
    return components, hits


def _lookup_hits(obj: Objective | None) -> str:
    """Time ``Objective._lookup`` on a memory hit and on a result-cache hit (disk read)."""
    if obj is None or not obj.memory:
        return "(no trial ran: no lookup timing)"
    key = next(iter(obj.memory))
    rows = []
    memory = obj.memory
    for label, n, mem in (("memory hit", 20_000, memory), ("cache hit (disk)", 2_000, {})):
        obj.memory = mem
        source, payload = obj._lookup(0, key)
        assert payload is not None, label
        t0 = time.perf_counter()
        for _ in range(n):
            obj._lookup(0, key)
        per = (time.perf_counter() - t0) / n
        rows.append([f"_lookup, {label} ({source.value})", n, f"{1e6 * per:.1f}",
                     "yes" if per < 1e-3 else "NO"])  # fmt: skip
    obj.memory = memory
    return table(["case", "calls", "µs/call", "< 1 ms"], rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--bars", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=[GENESIS, *BASELINES], help="run these only")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the instrumented run")
    args = parser.parse_args()
    quiet()
    with tempfile.TemporaryDirectory() as tmp:
        warm_numba(build_problem(make_config(Path(tmp), args.trials, args.bars)))

    scenarios = args.only or [GENESIS, *BASELINES]
    runs: dict[str, list[Run]] = defaultdict(list)
    for repeat in range(args.repeats):
        for scenario in scenarios:
            if scenario == GENESIS:
                run = run_genesis(args.trials, args.bars)
            else:
                run = run_plain(scenario, args.trials, args.bars)
            runs[scenario].append(run)
            print(
                f"repeat {repeat + 1}/{args.repeats} {scenario:26s} wall {run.wall_s:7.2f} s, "
                f"median {run.median_ms:6.2f} ms/trial, {run.backtests} backtests",
                flush=True,
            )

    print(f"\n## {args.trials} trials, {args.bars} bars, {CONFIG}, medians of {args.repeats}\n")
    med = {s: (median([r.median_ms for r in rs]), median([r.wall_s for r in rs]))
           for s, rs in runs.items()}  # fmt: skip
    reference = runs[scenarios[0]][0].params
    rows = []
    for scenario, rs in runs.items():
        trial_ms, wall = med[scenario]
        same = all(r.params == reference for r in rs)
        ratio = ["", ""]
        if scenario != GENESIS and GENESIS in med:
            ratio = [f"{med[GENESIS][0] / trial_ms:.3f}x", f"{med[GENESIS][1] / wall:.3f}x"]
        rows.append([scenario, f"{trial_ms:.2f}", f"{wall:.2f}", *ratio,
                     rs[0].backtests, "yes" if same else "NO"])  # fmt: skip
    print(table(["scenario", "ms/trial (median)", "wall s", "genesis/this per trial",
                 "genesis/this wall", "real backtests", "same trials"], rows))  # fmt: skip

    if not args.no_breakdown:
        components, hits = breakdown(args.trials, args.bars)
        print("\n## One instrumented genesis run (timers add a little overhead)\n")
        print(components)
        print()
        print(hits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
