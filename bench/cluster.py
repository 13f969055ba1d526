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
* at trial k: CPU ms/trial over trials k-100..k+100 of the longest run (``--long``);
* cluster CPU ms/trial: the CPU of the scheduler and of every worker process over the
  measured search, per trial: what the box must give besides the coordinator (on 2
  cores, 2000 ms/s over coordinator + cluster CPU per trial caps the trials/s).

Then one run of the config's own sampler (elite) with the most workers: its CPU per trial
shows what the sampler adds. Beside it, when ``--postgres URL`` is given (default
``GENESIS_BENCH_POSTGRES_URL`` or ``GENESIS_TEST_POSTGRES_URL``), with ``--pg-workers``
worker processes and the same 50 ms backtests: genesis's PostgreSQL mode (``--workers N
--storage URL``, study, cache and claims in PostgreSQL) and plain Optuna on PostgreSQL
(``study.optimize`` in N processes, random sampler, an objective that suggests the same
11 params and sleeps 50 ms); rates from the trials' completion times, from the 20 % mark.

Run: ``PYTHONPATH=src .venv/bin/python bench/cluster.py [--workers 1 2 4 8 16 32]
[--long 10000] [--threads] [--postgres URL] [--pg-workers 1 2 4 8]``
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

import optuna
from optuna.trial import FrozenTrial, TrialState

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
    cluster_cpu_s: float = 0.0
    """CPU seconds of the scheduler and the workers during the search."""

    def rate(self) -> float:
        first = len(self.marks) // 5
        (t0, _), (t1, _) = self.marks[first], self.marks[-1]
        return (len(self.marks) - 1 - first) / (t1 - t0)

    def cpu_ms(self, lo: int | None = None, hi: int | None = None) -> float:
        lo = len(self.marks) // 5 if lo is None else lo
        hi = len(self.marks) - 1 if hi is None else min(hi, len(self.marks) - 1)
        return (self.marks[hi][1] - self.marks[lo][1]) / (hi - lo) * 1e3


PROBE = Probe()
SCHEDULER: list[int] = []


def _probed(tell: Any) -> Any:
    def probed(self: coordinator.Coordinator, *args: Any) -> None:
        tell(self, *args)
        PROBE.marks.append((time.perf_counter(), time.process_time()))

    return probed


# Every told trial, COMPLETE or FAIL (a backtest with no trades has no Sharpe).
coordinator.Coordinator._tell = _probed(coordinator.Coordinator._tell)  # type: ignore[method-assign]
coordinator.Coordinator._fail = _probed(coordinator.Coordinator._fail)  # type: ignore[method-assign]


def tree_cpu_s(*pids: int) -> float:
    """CPU seconds used so far by the processes ``pids`` and all their descendants."""
    import psutil

    total = 0.0
    for pid in pids:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
    return total


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


def measure(address: str, out: Path, n: int, trials: int, sampler_trials: int = 0) -> list[Probe]:
    """A warm-up and a measured random-sampler search on ``n`` new workers; then, with
    ``sampler_trials``, one search of the config's own sampler on the same workers."""
    proc = start_workers(address, n, ARGS.threads)
    try:
        search(address, out, 3 * n + 5, seed=1000 + n, sampler="random")  # warm-up
        before = tree_cpu_s(proc.pid, SCHEDULER[0])
        probes = [search(address, out, trials, seed=n, sampler="random")]
        probes[0].cluster_cpu_s = tree_cpu_s(proc.pid, SCHEDULER[0]) - before
        if sampler_trials:
            probes.append(search(address, out, sampler_trials, seed=7, sampler="elite"))
        return probes
    finally:
        stop(proc)


def main() -> int:
    quiet()
    with tempfile.TemporaryDirectory(prefix="genesis_cluster_") as tmp:
        if not ARGS.skip_cluster:
            scheduler, address = start_scheduler(Path(tmp))
            SCHEDULER[:] = [scheduler.pid]
            try:
                report(address, Path(tmp))
            finally:
                stop(scheduler)
    if ARGS.postgres:
        postgres_peers(ARGS.postgres)
    else:
        print("\nPostgreSQL peers not run: give --postgres URL (or GENESIS_BENCH_POSTGRES_URL)")
    return 0


def report(address: str, tmp: Path) -> None:
    kind = "threads of one process" if ARGS.threads else "processes"
    print(f"# bench/cluster.py: 50 ms backtests, workers are {kind}, {os.cpu_count()} cores\n")
    probes: dict[int, Probe] = {}
    most = max(ARGS.workers)
    for n in ARGS.workers:
        trials = ARGS.long if n == most else max(200, 40 * n)
        measured = measure(address, tmp / f"out_{n}", n, trials, ARGS.sampler_trials * (n == most))
        probes[n] = p = measured[0]
        print(f"  {n} workers: {len(p.marks)} trials, {p.rate():.1f} trials/s", flush=True)
    base = probes[min(ARGS.workers)].rate() / min(ARGS.workers)
    rows = [
        [n, len(p.marks), f"{p.rate():.1f}", f"{p.rate() / (n * base):.2f}",
         f"{p.rate() / (n / SLEEP_S):.2f}", f"{p.cpu_ms():.2f}",
         f"{p.cluster_cpu_s / len(p.marks) * 1e3:.2f}"]
        for n, p in probes.items()
    ]  # fmt: skip
    print()
    print(table(
        ["workers", "trials", "trials/s", "of linear (vs 1)", "of ideal (N/50ms)",
         "coordinator CPU ms/trial", "cluster CPU ms/trial"], rows,
    ))  # fmt: skip
    longest = probes[most]
    points = [k for k in (1000, 5000, len(longest.marks) - 101) if k + 100 < len(longest.marks)]
    print(f"\n## coordinator CPU per trial along the {len(longest.marks)}-trial run\n")
    print(table(["at trial", "CPU ms/trial"],
                [[k, f"{longest.cpu_ms(k - 100, k + 100):.2f}"] for k in points]))  # fmt: skip
    if len(measured) > 1:
        elite = measured[1]
        print(f"\n## the config's own sampler (elite), {most} workers, {len(elite.marks)} trials\n")
        print(table(["trials/s", "CPU ms/trial"],
                    [[f"{elite.rate():.1f}", f"{elite.cpu_ms():.2f}"]]))  # fmt: skip


def completion_rate(trials: list[FrozenTrial]) -> float:
    """Trials/s from the trials' completion times, from the 20 % mark to the last."""
    ends = sorted(t.datetime_complete for t in trials if t.datetime_complete is not None)
    first = len(ends) // 5
    return (len(ends) - 1 - first) / (ends[-1] - ends[first]).total_seconds()


def genesis_postgres(url: str, n: int, trials: int) -> float:
    """genesis's PostgreSQL mode: N processes sharing a study, cache and claims in ``url``."""
    name = f"cluster_pg_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="genesis_cluster_pg_") as out:
        config = load(CONFIG, {
            "data.source": f"synthetic:tBTCUSD:1h:{n}:{ARGS.bars}", "strategy.name": SLOW,
            "score.objectives": ["total_return_pct"], "optimizer.n_trials": trials,
            "optimizer.sampler": "random", "optimizer.n_workers": n, "storage": url,
            "cache.location": url, "output_dir": out, "study_name": name,
        })  # fmt: skip
        run_search(config, build_problem(config), run_dir_of(config))
    quiet()
    study = optuna.load_study(study_name=name, storage=url)
    rate = completion_rate(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    optuna.delete_study(study_name=name, storage=url)
    return rate


def _plain_worker(url: str, name: str, trials: int, seed: int) -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(
        study_name=name, storage=url, sampler=optuna.samplers.RandomSampler(seed=seed)
    )

    def objective(trial: optuna.Trial) -> float:
        total = sum(trial.suggest_float(f"p{i}", 0.0, 1.0) for i in range(11))
        time.sleep(SLEEP_S)
        return total

    study.optimize(objective, n_trials=trials)


def plain_postgres(url: str, n: int, trials: int) -> float:
    """Plain Optuna on PostgreSQL: N processes running ``study.optimize`` on one study."""
    import multiprocessing

    name = f"cluster_plain_{uuid.uuid4().hex[:8]}"
    optuna.create_study(study_name=name, storage=url)
    context = multiprocessing.get_context("spawn")
    procs = [
        context.Process(target=_plain_worker, args=(url, name, trials // n, i)) for i in range(n)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    study = optuna.load_study(study_name=name, storage=url)
    rate = completion_rate(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    optuna.delete_study(study_name=name, storage=url)
    return rate


def postgres_peers(url: str) -> None:
    print(f"\n## PostgreSQL peers, same 50 ms backtests ({ARGS.pg_trials} trials each)\n")
    rows = []
    for n in ARGS.pg_workers:
        mode = genesis_postgres(url, n, ARGS.pg_trials)
        plain = plain_postgres(url, n, ARGS.pg_trials)
        rows.append([n, f"{mode:.1f}", f"{plain:.1f}", f"{n / SLEEP_S:.0f}"])
        print(f"  {n} workers: genesis PostgreSQL mode {mode:.1f}, plain Optuna {plain:.1f} "
              "trials/s", flush=True)  # fmt: skip
    print()
    print(table(["workers", "genesis --storage postgresql trials/s",
                 "plain Optuna on PostgreSQL trials/s", "ideal"], rows))  # fmt: skip


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--long", type=int, default=10000, help="trials with the most workers")
    parser.add_argument("--sampler-trials", type=int, default=2000)
    parser.add_argument("--bars", type=int, default=300)
    parser.add_argument("--threads", action="store_true", help="one worker process, N threads")
    parser.add_argument(
        "--postgres", default=os.environ.get("GENESIS_BENCH_POSTGRES_URL")
        or os.environ.get("GENESIS_TEST_POSTGRES_URL"), help="PostgreSQL URL for the peers",
    )  # fmt: skip
    parser.add_argument("--pg-workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--pg-trials", type=int, default=200)
    parser.add_argument("--skip-cluster", action="store_true", help="only the peers")
    return parser.parse_args()


ARGS = _args() if __name__ == "__main__" else argparse.Namespace()

if __name__ == "__main__":
    sys.exit(main())
