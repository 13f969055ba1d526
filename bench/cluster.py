"""One coordinator, many Dask workers: ``genesis optimize --cluster`` with 1 to 32 workers.

Every backtest takes a fixed 50 ms more (``bench/_slow.py``: genesis_trend plus a sleep,
on ``--bars`` 300 synthetic candles, so the backtest itself costs little CPU), so that this
2-core machine can hold many workers: with N workers the ideal is N / 0.05 trials a second.

A Dask scheduler (``dask scheduler``) and the workers (``dask worker ADDRESS --nworkers N
--nthreads 1``: N worker processes, or with ``--threads`` one process of N threads) run
as separate processes, as on a real cluster; the coordinator is this process. For each N:
a warm-up search (each worker builds its problem once), then a measured search of a new
study over the same problem, random sampler (the coordinator's own cost, not a sampler's).
Measured from the coordinator's tells (a probe on ``Coordinator._tell``):

* trials/s: steady rate, tells from the 20 % mark to the last;
* of linear: trials/s over N x the 1-worker rate; and over the ideal N / 50 ms;
* CPU ms/trial: the coordinator's ``time.process_time`` (all its threads: the Dask
  client's too) per told trial over the same span;
* at trial k: CPU ms/trial over trials k-100..k+100 of the longest run (``--long``).

Then one run of the config's own sampler (elite) with the most workers: its CPU per trial
shows what the sampler adds. PostgreSQL peers are not run here (see the module's report).

Run: ``PYTHONPATH=src .venv/bin/python bench/cluster.py [--workers 1 2 4 8 16 32]
[--long 10000] [--threads]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import ROOT, load, quiet, table
from genesis.optimizer import build_problem, coordinator
from genesis.optimizer.runner import run_dir_of, run_search

CONFIG = "tBTCUSD_1h_optuna.yaml"
SLOW = f"{ROOT / 'bench' / '_slow.py'}:SlowTrend"
DASK = str(Path(sys.executable).parent / "dask")
SLEEP_S = 0.05


@dataclass
class Probe:
    """(wall, coordinator CPU) at each tell of the coordinator."""

    marks: list[tuple[float, float]] = field(default_factory=list)

    def rate(self) -> float:
        first = len(self.marks) // 5
        (t0, _), (t1, _) = self.marks[first], self.marks[-1]
        return (len(self.marks) - 1 - first) / (t1 - t0)

    def cpu_ms(self, lo: int | None = None, hi: int | None = None) -> float:
        lo = len(self.marks) // 5 if lo is None else lo
        hi = len(self.marks) - 1 if hi is None else min(hi, len(self.marks) - 1)
        return (self.marks[hi][1] - self.marks[lo][1]) / (hi - lo) * 1e3


PROBE = Probe()


def _probed(tell: Any) -> Any:
    def probed(self: coordinator.Coordinator, *args: Any) -> None:
        tell(self, *args)
        PROBE.marks.append((time.perf_counter(), time.process_time()))

    return probed


# Every told trial, COMPLETE or FAIL (a backtest with no trades has no Sharpe).
coordinator.Coordinator._tell = _probed(coordinator.Coordinator._tell)  # type: ignore[method-assign]
coordinator.Coordinator._fail = _probed(coordinator.Coordinator._fail)  # type: ignore[method-assign]


def start_scheduler(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    info = tmp / "scheduler.json"
    proc = subprocess.Popen(
        [DASK, "scheduler", "--port", "0", "--no-dashboard", "--scheduler-file", str(info)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not info.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the Dask scheduler did not start in 60 s")
        time.sleep(0.1)
    time.sleep(0.2)  # the file is written whole, but let it be
    return proc, str(json.loads(info.read_text())["address"])


def start_workers(address: str, n: int, threads: bool) -> subprocess.Popen[bytes]:
    procs, per = (1, n) if threads else (n, 1)
    command = [DASK, "worker", address, "--nworkers", str(procs), "--nthreads", str(per),
               "--memory-limit", "0", "--no-dashboard"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from distributed import Client

    with Client(address) as client:
        client.wait_for_workers(procs, timeout=600)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def search(address: str, out: Path, trials: int, seed: int, sampler: str) -> Probe:
    global PROBE
    PROBE = Probe()
    config = load(CONFIG, {
        "data.source": f"synthetic:tBTCUSD:1h:1:{ARGS.bars}", "strategy.name": SLOW,
        "score.objectives": ["total_return_pct"],
        "optimizer.n_trials": trials, "optimizer.seed": seed, "optimizer.sampler": sampler,
        "optimizer.cluster": address, "output_dir": str(out),
        "study_name": f"cluster_{uuid.uuid4().hex[:8]}",
    })  # fmt: skip
    run_search(config, build_problem(config), run_dir_of(config))
    quiet()
    return PROBE


def measure(address: str, out: Path, n: int, trials: int) -> Probe:
    proc = start_workers(address, n, ARGS.threads)
    try:
        search(address, out, 3 * n + 5, seed=1000 + n, sampler="random")  # warm-up
        return search(address, out, trials, seed=n, sampler="random")
    finally:
        stop(proc)


def main() -> int:
    quiet()
    with tempfile.TemporaryDirectory(prefix="genesis_cluster_") as tmp:
        scheduler, address = start_scheduler(Path(tmp))
        try:
            report(address, Path(tmp))
        finally:
            stop(scheduler)
    return 0


def report(address: str, tmp: Path) -> None:
    kind = "threads of one process" if ARGS.threads else "processes"
    print(f"# bench/cluster.py: 50 ms backtests, workers are {kind}, {os.cpu_count()} cores\n")
    probes: dict[int, Probe] = {}
    for n in ARGS.workers:
        trials = ARGS.long if n == max(ARGS.workers) else max(200, 40 * n)
        probes[n] = measure(address, tmp / f"out_{n}", n, trials)
        p = probes[n]
        print(f"  {n} workers: {len(p.marks)} trials, {p.rate():.1f} trials/s", flush=True)
    base = probes[min(ARGS.workers)].rate() / min(ARGS.workers)
    rows = [
        [n, len(p.marks), f"{p.rate():.1f}", f"{p.rate() / (n * base):.2f}",
         f"{p.rate() / (n / SLEEP_S):.2f}", f"{p.cpu_ms():.2f}"]
        for n, p in probes.items()
    ]  # fmt: skip
    print()
    print(table(
        ["workers", "trials", "trials/s", "of linear (vs 1)", "of ideal (N/50ms)",
         "coordinator CPU ms/trial"], rows,
    ))  # fmt: skip
    longest = probes[max(ARGS.workers)]
    points = [k for k in (1000, 5000, len(longest.marks) - 101) if k + 100 < len(longest.marks)]
    print(f"\n## coordinator CPU per trial along the {len(longest.marks)}-trial run\n")
    print(table(["at trial", "CPU ms/trial"],
                [[k, f"{longest.cpu_ms(k - 100, k + 100):.2f}"] for k in points]))  # fmt: skip
    n = max(ARGS.workers)
    proc = start_workers(address, n, ARGS.threads)
    try:
        elite = search(address, tmp / f"out_{n}", ARGS.sampler_trials, seed=7, sampler="elite")
    finally:
        stop(proc)
    print(f"\n## the config's own sampler (elite), {n} workers, {len(elite.marks)} trials\n")
    print(table(["trials/s", "CPU ms/trial"], [[f"{elite.rate():.1f}", f"{elite.cpu_ms():.2f}"]]))


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--long", type=int, default=10000, help="trials with the most workers")
    parser.add_argument("--sampler-trials", type=int, default=2000)
    parser.add_argument("--bars", type=int, default=300)
    parser.add_argument("--threads", action="store_true", help="one worker process, N threads")
    return parser.parse_args()


ARGS = _args() if __name__ == "__main__" else argparse.Namespace()

if __name__ == "__main__":
    sys.exit(main())
