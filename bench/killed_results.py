"""Results lost by ``genesis optimize`` processes killed with SIGKILL, and what export shows.

Starts ``genesis optimize`` on the bundled full config with ``--fast-window`` (a large
search space, so most trials are real backtests; ``--trials 100000``, one study) and kills
it with SIGKILL at a random moment after its journal appears, ``--kills`` times (each
restart with ``--resume``). After each kill it counts, from the journal, the COMPLETE
trials whose result is gone: no cache entry for its key and no trial file. Before genesis
recomputed lost results, export showed each of them with empty metrics and
``feasible: true`` (the column was derived from the missing payload); the script counts
how many of those the journal records as infeasible, and whether such a trial would
have become ``best_trial.json`` under that old reading.

Last, one ``--resume --trials 1`` (no new trial: only the export) and a check of its
``trials.csv``: every COMPLETE trial must have metrics and the journal's feasibility,
else the script exits 1.

``--cache sqlite`` stores results in a SQLite file instead of the directory cache: its
writes are slower, so more of them are still queued when the process dies.

Run: ``.venv/bin/python bench/killed_results.py [--kills 25] [--seed 11] [--cache sqlite]``
(about 4 minutes)
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

from _common import CONFIG_DIR, table
from genesis.cache import open_cache
from genesis.storage.storage import open_storage

CONFIG = CONFIG_DIR / "tBTCUSD_1h_optuna.yaml"


def cache_location(out: Path, kind: str) -> str:
    """The run's result cache: the default directory, or a SQLite file (slower writes)."""
    return str(out / "_cache") if kind == "directory" else f"sqlite:///{out / 'cache.db'}"


def write_config(out: Path, kind: str) -> Path:
    import yaml

    config = yaml.safe_load(CONFIG.read_text())
    config.setdefault("cache", {})["location"] = cache_location(out, kind)
    path = out / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def genesis_optimize(out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "genesis", "optimize", str(out / "config.yaml"), "--fast-window",
        "--out", str(out), "--study", "k", "-q", "--no-report", *extra,
    ]  # fmt: skip


def kill_once(out: Path, rng: random.Random, resume: bool) -> None:
    journal = out / "k" / "study.journal"
    before = journal.stat().st_size if journal.exists() else 0
    proc = subprocess.Popen(
        genesis_optimize(out, "--trials", "100000", *(["--resume"] if resume else [])),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (
        not journal.exists() or journal.stat().st_size <= before
    ):
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 2.0))
    proc.kill()
    proc.wait()


def complete_trials(out: Path) -> list[FrozenTrial]:
    storage = open_storage(None, out / "k")
    study = optuna.load_study(study_name="k", storage=storage)
    return study.get_trials(states=(TrialState.COMPLETE,))


def lost(out: Path, trials: list[FrozenTrial], kind: str) -> list[FrozenTrial]:
    """COMPLETE trials with neither a cache entry nor a trial file for their key."""
    cache = open_cache(cache_location(out, kind))
    files = {
        t.user_attrs["key"]
        for t in trials
        if t.user_attrs.get("backtest_path") and (out / t.user_attrs["backtest_path"]).exists()
    }
    return [
        t
        for t in trials
        if cache.get(t.user_attrs["key"]) is None and t.user_attrs["key"] not in files
    ]


def feasible(trial: FrozenTrial) -> bool:
    return all(v <= 0 for v in trial.constraints.values())


def old_best_is_lost(trials: list[FrozenTrial], missing: list[FrozenTrial]) -> bool:
    """Whether the old reading (a lost result = feasible) made a lost infeasible trial best."""
    gone = {t.number for t in missing}
    pool = [t for t in trials if t.number in gone or feasible(t)] or trials
    best = max(pool, key=lambda t: (t.value, -t.number))
    return best.number in gone and not feasible(best)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--cache", choices=["directory", "sqlite"], default="directory")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_config(out, args.cache)
        for i in range(args.kills):
            kill_once(out, rng, resume=i > 0)
            trials = complete_trials(out)
            missing = lost(out, trials, args.cache)
            rows.append([
                i + 1, len(trials), len(missing), sum(not feasible(t) for t in missing),
                "yes" if trials and old_best_is_lost(trials, missing) else "no",
            ])  # fmt: skip
        trials = complete_trials(out)
        missing_before = len(lost(out, trials, args.cache))
        done = subprocess.run(
            genesis_optimize(out, "--resume", "--trials", "1"), capture_output=True, text=True
        )
        with (out / "k" / "trials.csv").open(newline="") as handle:
            exported = [r for r in csv.DictReader(handle) if r["state"] == "COMPLETE"]
        empty = sum(r["n_trades"] == "" for r in exported)
        journal = {t.number: feasible(t) for t in trials}
        wrong = sum((r["feasible"] == "true") != journal[int(r["number"])] for r in exported)
    header = ["kill", "complete trials", "results lost", "lost + infeasible", "old best lost"]
    print(table(header, rows))
    print(
        f"\nafter {args.kills} kills: {missing_before} lost results of {len(trials)} COMPLETE "
        f"trials; export after --resume: {empty} trials with empty metrics, {wrong} with a "
        f"feasibility other than the journal's (exit {done.returncode})"
    )
    return 0 if done.returncode == 0 and empty == 0 and wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
