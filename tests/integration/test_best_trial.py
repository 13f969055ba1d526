"""One true "best": every place that names the best trial agrees, and its result is real.

The study here is one where the highest score belongs to an infeasible trial (too few
trades), and the results lost by a killed process are injected for real.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState

from genesis.api import promote_champion, run_optimizer
from genesis.artifacts import RunningBest
from genesis.cache import DirectoryCache
from genesis.config import config_from_dict
from genesis.optimizer import TrialOutcome
from genesis.report._load import load_run
from genesis.report._sections import top_trials
from genesis.storage.storage import open_storage

CONFIG: dict[str, Any] = {
    "data": {"source": "synthetic:tBTCUSD:1h:5:3000"},
    "strategy": {"name": "ema_cross"},
    "search_space": {
        "fast": {"type": "int", "low": 4, "high": 20, "step": 4},
        "slow": {"type": "int", "low": 30, "high": 90, "step": 30},
    },
    # With this seed the highest return (trial 8) has 32 trades: infeasible.
    "score": {"objectives": ["total_return_pct"], "min_trades": 35},
    # Plain random draws (repeats run as trials), the sequence the premise above was read from.
    "optimizer": {"n_trials": 10, "seed": 1, "sampler": "random", "avoid_repeats": False},
}


def config(out: Path, **top: Any) -> Any:
    return config_from_dict({**CONFIG, "output_dir": str(out), "study_name": "b", **top})


def stored_trials(run_dir: Path) -> list[optuna.trial.FrozenTrial]:
    study = optuna.load_study(study_name=run_dir.name, storage=open_storage(None, run_dir))
    return study.get_trials(states=(TrialState.COMPLETE,))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_live_display_files_report_and_champion_agree_when_the_top_score_is_infeasible(
    tmp_path: Path,
) -> None:
    live = RunningBest(["maximize"])  # what genesis optimize's live bar keeps
    outcomes: list[TrialOutcome] = []

    def on_outcome(outcome: TrialOutcome) -> None:
        outcomes.append(outcome)
        live.offer(outcome)

    result = run_optimizer(config(tmp_path), on_outcome=on_outcome)
    trials = stored_trials(result.run_dir)
    top = max(trials, key=lambda t: (t.value, -t.number))
    assert any(v > 0 for v in top.constraints.values()), "the premise: the top score is infeasible"
    feasible = [t for t in trials if all(v <= 0 for v in t.constraints.values())]
    expected = max(feasible, key=lambda t: (t.value, -t.number)).number

    best_json = json.loads((result.run_dir / "best_trial.json").read_text())
    rows = read_csv(result.run_dir / "trials.csv")
    by_number = {int(r["number"]): r for r in rows}
    report = load_run(result.run_dir)
    champion = promote_champion(result.run_dir, "c", root=tmp_path / "champions")
    champion_json = json.loads((champion / "champion.json").read_text())

    assert live.current is not None and live.current.number == expected
    assert result.best is not None and result.best["trial"] == expected
    assert best_json["trial"] == expected and best_json["feasible"] is True
    assert by_number[top.number]["feasible"] == "false"
    assert top_trials(report, 1)[0].number == expected
    assert champion_json["trial"] == expected
    assert {o.number: o.feasible for o in outcomes if o.values} == {
        int(r["number"]): r["feasible"] == "true" for r in rows
    }


def test_a_lost_result_is_recomputed_on_resume_with_the_studys_feasibility(
    tmp_path: Path,
) -> None:
    first = run_optimizer(config(tmp_path), report=False)
    top = max(stored_trials(first.run_dir), key=lambda t: (t.value, -t.number))
    key = top.user_attrs["key"]
    entry = DirectoryCache(tmp_path / "_cache")
    assert entry.get(key) is not None
    # What a process killed just after the trial loses: its cache entry and trial files.
    for path in (tmp_path / "_cache").rglob(f"{key}*"):
        path.unlink()
    for path in (first.run_dir / "trials").glob("*.json"):
        path.unlink()
    assert entry.get(key) is None

    resumed = run_optimizer(config(tmp_path, resume=True), report=False)
    rows = {int(r["number"]): r for r in read_csv(resumed.run_dir / "trials.csv")}
    assert resumed.stats.total_trials == 10  # nothing new ran: the export recomputed it
    assert all(r["n_trades"] != "" for r in rows.values() if r["state"] == "COMPLETE")
    stored_feasible = all(v <= 0 for v in top.constraints.values())
    assert rows[top.number]["feasible"] == ("true" if stored_feasible else "false")
    assert entry.get(key) is not None, "the recomputed result is cached again"
    computed = [n for n, r in rows.items() if r["cache_source"] == "computed"]
    assert all(first.run_dir.joinpath("trials", f"trial_{n:04d}.json").exists() for n in computed)
    assert resumed.best is not None and resumed.best["metrics"]
    assert resumed.best["trial"] == first.best["trial"]  # type: ignore[index]


def test_a_result_that_cannot_be_recomputed_keeps_the_studys_feasibility(
    tmp_path: Path,
) -> None:
    """Feasibility comes from the constraints stored in the study, never from a default."""
    first = run_optimizer(config(tmp_path), report=False)
    top = max(stored_trials(first.run_dir), key=lambda t: (t.value, -t.number))
    assert any(v > 0 for v in top.constraints.values())
    # A key that no cache entry, trial file or recomputation can give back.
    journal = first.run_dir / "study.journal"
    journal.write_text(journal.read_text().replace(top.user_attrs["key"], "0" * 64))
    resumed = run_optimizer(config(tmp_path, resume=True), report=False)
    rows = {int(r["number"]): r for r in read_csv(resumed.run_dir / "trials.csv")}
    assert rows[top.number]["n_trades"] == ""  # its result is really gone
    assert rows[top.number]["feasible"] == "false"
    assert resumed.best is not None and resumed.best["trial"] != top.number


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_empty_metrics(tmp_path: Path) -> None:
    import random
    import signal
    import subprocess
    import sys
    import time

    cfg = tmp_path / "cfg.yaml"
    spec = {**CONFIG, "optimizer": {"n_trials": 100000, "seed": 2, "sampler": "tpe"}}
    cfg.write_text(json.dumps(spec))  # JSON is YAML
    run_dir = tmp_path / "out" / "k"
    rng = random.Random(7)
    args = [sys.executable, "-m", "genesis", "optimize", str(cfg), "--out", str(tmp_path / "out")]
    for attempt in range(2):
        resume = ["--resume"] if attempt else []
        proc = subprocess.Popen(
            [*args, "--study", "k", "-q", "--no-report", *resume], cwd=tmp_path,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        journal = run_dir / "study.journal"
        size = journal.stat().st_size if journal.exists() else 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (
            not journal.exists() or journal.stat().st_size < size + 5_000
        ):
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    n_done = len(stored_trials(run_dir))
    resumed = subprocess.run(
        [*args, "--study", "k", "-q", "--no-report", "--resume", "--trials", str(n_done)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    rows = read_csv(run_dir / "trials.csv")
    complete = [r for r in rows if r["state"] == "COMPLETE"]
    assert complete and all(r["n_trades"] != "" for r in complete)
    stored = {t.number: all(v <= 0 for v in t.constraints.values()) for t in stored_trials(run_dir)}
    assert {int(r["number"]): r["feasible"] == "true" for r in complete} == stored


def test_the_summary_says_when_the_best_is_infeasible(tmp_path: Path) -> None:
    import subprocess
    import sys

    cfg = tmp_path / "cfg.yaml"
    spec = {**CONFIG, "score": {"objectives": ["total_return_pct"], "min_trades": 10**6}}
    cfg.write_text(json.dumps(spec))  # JSON is YAML
    out = subprocess.run(
        [sys.executable, "-m", "genesis", "optimize", str(cfg), "--out", str(tmp_path / "o"),
         "--trials", "4", "-q", "--no-report"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "infeasible: violates min_trades" in out.stdout
