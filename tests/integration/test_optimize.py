"""The optimizer end to end: true scores for duplicates, the seed's smoke test, budgets,
failures, corrupt cache entries, determinism, resume and interruption."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState

from genesis.artifacts import TIMING_COLUMNS
from genesis.cache import DirectoryCache
from genesis.config import config_from_dict
from genesis.errors import ConfigError
from genesis.optimizer import OptimizationResult, TrialOutcome, run_optimizer
from genesis.storage.storage import open_storage

SMALL_SPACE = {
    "fast": {"type": "int", "low": 5, "high": 15, "step": 5},
    "slow": {"type": "int", "low": 30, "high": 60, "step": 30},
}  # 6 points


def make_config(out: Path, **changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "data": {"source": "synthetic:tBTCUSD:1h:7:3000", "timeframe": "1h"},
        "strategy": {"name": "ema_cross", "params": {"allow_short": True}},
        "search_space": {
            "fast": {"type": "int", "low": 4, "high": 40, "step": 4},
            "slow": {"type": "int", "low": 50, "high": 200, "step": 25},
            "atr_stop_mult": {"type": "float", "low": 0.0, "high": 4.0, "step": 1.0},
        },
        "score": {"objectives": ["total_return_pct"]},
        "optimizer": {"sampler": "tpe", "seed": 3, "n_trials": 20, "n_startup_trials": 5},
        "output_dir": str(out),
    }
    for dotted, value in changes.items():
        node = config
        *parents, leaf = dotted.split(".")
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = value
    return config


def run(out: Path, **changes: Any) -> OptimizationResult:
    return run_optimizer(config_from_dict(make_config(out, **changes)))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def assert_true_scores(result: OptimizationResult, cache_dir: Path) -> None:
    """Every COMPLETE trial's score is the score stored for its key: nothing invented."""
    cache = DirectoryCache(cache_dir)
    rows = read_csv(result.run_dir / "trials.csv")
    complete = [r for r in rows if r["state"] == "COMPLETE"]
    assert complete
    for row in complete:
        payload = cache.get(row["key"])
        assert payload is not None, f"trial {row['number']} has no stored result"
        assert float(row["score"]) == payload["score"]["values"][0]


def test_duplicates_get_their_true_score_and_a_finite_space_ends_the_run(tmp_path: Path) -> None:
    changes = {"optimizer.n_trials": 50, "optimizer.avoid_repeats": False}  # TPE repeats itself
    result = run(tmp_path, search_space=SMALL_SPACE, **changes)
    stats = result.stats
    assert "search space exhausted: all 6 combinations" in result.stop_reason
    assert stats.unique_backtests == 6 and stats.computed == 6
    assert stats.total_trials > 6 and stats.memory_hits == stats.total_trials - 6
    assert stats.invented_scores == 0
    assert_true_scores(result, tmp_path / "_cache")
    assert len(list((result.run_dir / "trials").glob("trial_*.json"))) == 6
    journal = optuna.load_study(
        storage=open_storage(None, result.run_dir), study_name=result.study_name
    )
    for trial in journal.get_trials():
        attrs = trial.user_attrs
        assert set(attrs) >= {"key", "cached", "cache_reused", "cache_source", "backtest_path"}
        assert attrs["cached"] == (attrs["cache_source"] != "computed")


def test_the_seeds_smoke_test_two_runs_on_one_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="genesis")
    first = run(tmp_path, **{"optimizer.n_trials": 5})
    assert first.stats.computed == 5
    caplog.clear()
    second = run(tmp_path, **{"optimizer.n_trials": 5})
    lines = [r.getMessage() for r in caplog.records]
    assert "[CACHE STATS] 5/5 trials cached (100.0% hit rate), 5 unique backtests" in lines
    assert (
        sum(line.startswith("[CACHE] Trial ") and "reusing cached score" in line for line in lines)
        == 5
    )
    assert second.stats.cache_hits == 5 and second.stats.computed == 0
    scores = [[r["score"] for r in read_csv(x.run_dir / "trials.csv")] for x in (first, second)]
    assert scores[0] == scores[1]


def test_same_config_and_seed_give_identical_trials(tmp_path: Path) -> None:
    texts = []
    for name in ("a", "b"):
        result = run(tmp_path / name, study_name="same", **{"optimizer.n_trials": 15})
        rows = read_csv(result.run_dir / "trials.csv")
        texts.append([{k: v for k, v in r.items() if k not in TIMING_COLUMNS} for r in rows])
    assert texts[0] == texts[1]


def test_max_unique_backtests_asks_until_that_many_ran(tmp_path: Path) -> None:
    result = run(tmp_path, **{"optimizer.max_unique_backtests": 12, "optimizer.n_trials": 3})
    assert result.stats.unique_backtests == 12 == result.stats.computed
    assert "12 unique backtests reached" in result.stop_reason


def test_a_failing_strategy_fails_its_trials_and_the_run_goes_on(tmp_path: Path) -> None:
    module = tmp_path / "fragile.py"
    module.write_text(
        "from genesis.strategy.builtin import EmaCross\n"
        "class Fragile(EmaCross):\n"
        "    name = 'fragile'\n"
        "    def signals(self, features, params):\n"
        "        if params['fast'] == 10:\n"
        "            raise RuntimeError('boom at fast=10')\n"
        "        return super().signals(features, params)\n"
    )
    space = {"fast": {"type": "int", "low": 5, "high": 15, "step": 5}, "slow": 40}
    result = run(
        tmp_path,
        search_space=space,
        **{"strategy.name": f"{module}:Fragile", "optimizer.n_trials": 12},
    )
    rows = read_csv(result.run_dir / "trials.csv")
    failed = [r for r in rows if r["state"] == "FAIL"]
    assert failed and all(r["param_fast"] == "10" for r in failed)
    assert all("boom at fast=10" in r["error"] for r in failed)
    assert all(r["score"] == "" for r in failed), "a failed trial must not get a score"
    assert any(r["state"] == "COMPLETE" for r in rows)


def test_a_corrupt_cache_entry_is_reported_and_recomputed(tmp_path: Path) -> None:
    first = run(tmp_path, search_space=SMALL_SPACE, **{"optimizer.n_trials": 3})
    rows = read_csv(first.run_dir / "trials.csv")
    victim = rows[0]["key"]
    path = tmp_path / "_cache" / victim[:2] / f"{victim}.json"
    path.write_text(path.read_text()[:40])  # truncated
    second = run(tmp_path, search_space=SMALL_SPACE, **{"optimizer.n_trials": 3})
    assert second.stats.corrupt_entries == 1
    assert second.stats.computed == 1
    again = {r["key"]: r["score"] for r in read_csv(second.run_dir / "trials.csv")}
    assert again[victim] == rows[0]["score"]
    assert DirectoryCache(tmp_path / "_cache").get(victim) is not None


def test_resume_continues_to_the_requested_total_without_recomputing(tmp_path: Path) -> None:
    run(tmp_path, study_name="r", **{"optimizer.n_trials": 8})
    resumed = run(tmp_path, study_name="r", resume=True, **{"optimizer.n_trials": 16})
    rows = read_csv(resumed.run_dir / "trials.csv")
    assert len(rows) == 16
    assert resumed.stats.total_trials == 16
    first_keys = {r["key"] for r in rows[:8]}
    recomputed = [r for r in rows[8:] if r["cache_source"] == "computed" and r["key"] in first_keys]
    assert not recomputed


def test_ctrl_c_leaves_a_consistent_run_that_resumes(tmp_path: Path) -> None:
    seen: list[int] = []

    def interrupt_after_five(outcome: TrialOutcome) -> None:
        seen.append(outcome.number)
        if len(seen) == 5:
            raise KeyboardInterrupt

    config = config_from_dict(make_config(tmp_path, study_name="c", **{"optimizer.n_trials": 12}))
    with pytest.raises(KeyboardInterrupt):
        run_optimizer(config, on_outcome=interrupt_after_five)
    run_dir = tmp_path / "c"
    rows = read_csv(run_dir / "trials.csv")
    assert len(rows) == 5 and rows[-1]["error"] == "interrupted"
    assert json.loads((run_dir / "cache_stats.json").read_text())["total_trials"] == 5
    study = optuna.load_study(storage=open_storage(None, run_dir), study_name="c")
    assert not study.get_trials(states=(TrialState.RUNNING,))
    resumed = run(tmp_path, study_name="c", resume=True, **{"optimizer.n_trials": 12})
    finished = [r for r in read_csv(resumed.run_dir / "trials.csv") if r["error"] != "interrupted"]
    assert len(finished) == 12


def test_a_trial_left_running_by_a_dead_worker_is_failed_and_requeued(tmp_path: Path) -> None:
    run(tmp_path, study_name="o", **{"optimizer.n_trials": 3})
    storage = open_storage(None, tmp_path / "o")
    study = optuna.load_study(storage=storage, study_name="o")
    orphan = study.ask()
    orphan.suggest_int("fast", 4, 40, step=4)
    orphan.suggest_int("slow", 50, 200, step=25)
    orphan.suggest_float("atr_stop_mult", 0.0, 4.0, step=1.0)
    # then the process "dies": its params are in the journal already
    resumed = run(tmp_path, study_name="o", resume=True, **{"optimizer.n_trials": 5})
    rows = read_csv(resumed.run_dir / "trials.csv")
    assert rows[orphan.number]["state"] == "FAIL"
    requeued = rows[orphan.number + 1]
    assert (requeued["param_fast"], requeued["param_slow"]) == (
        str(orphan.params["fast"]),
        str(orphan.params["slow"]),
    )


def test_postgresql_storage_and_cache(tmp_path: Path, postgres_url: str) -> None:
    import uuid

    study = f"pg_{uuid.uuid4().hex[:8]}"
    changes = {"storage": postgres_url, "cache.location": postgres_url, "optimizer.n_trials": 6}
    first = run(tmp_path / "a", study_name=study, **changes)
    assert first.stats.total_trials == 6
    assert first.stats.computed + first.stats.cache_hits + first.stats.memory_hits == 6
    again = run(
        tmp_path / "b", study_name=study, resume=True, **{**changes, "optimizer.n_trials": 9}
    )
    assert again.stats.total_trials == 9  # the same study, continued from PostgreSQL
    with pytest.raises(ConfigError, match=r"fee_bps \(10.0 → 20.0\)"):
        run(tmp_path / "d", study_name=study, resume=True, **{**changes, "backtest.fee_bps": 20.0})
    assert not (tmp_path / "d").exists(), "a refused study writes nothing"
    rows = read_csv(again.run_dir / "trials.csv")
    assert all(r["state"] == "COMPLETE" for r in rows)
    fresh = run(tmp_path / "c", study_name=study + "_2", **changes)
    assert fresh.stats.computed == 0, "the SQL cache already holds every result of this seed"
    assert fresh.stats.cache_hits >= 1
    optuna.delete_study(study_name=study, storage=postgres_url)
    optuna.delete_study(study_name=study + "_2", storage=postgres_url)


@pytest.mark.parametrize("sampler", ["random", "cmaes", "grid"])
def test_each_single_objective_sampler_runs(tmp_path: Path, sampler: str) -> None:
    result = run(tmp_path, **{"optimizer.sampler": sampler, "optimizer.n_trials": 8})
    assert result.stats.total_trials == 8 and result.stats.completed >= 1
    assert result.best is not None


def test_nsga2_optimizes_several_objectives(tmp_path: Path) -> None:
    score = {"objectives": ["total_return_pct", "max_drawdown_pct"]}
    result = run(tmp_path, score=score, **{"optimizer.sampler": "nsga2", "optimizer.n_trials": 10})
    assert result.best is not None and len(result.best["score"]) == 2
    header = (result.run_dir / "trials.csv").read_text().splitlines()[0]
    assert "score_total_return_pct" in header and "score_max_drawdown_pct" in header


def test_two_local_workers_share_the_budget_and_never_compute_a_key_twice(tmp_path: Path) -> None:
    result = run(tmp_path, study_name="w", **{"optimizer.n_workers": 2, "optimizer.n_trials": 30})
    rows = read_csv(result.run_dir / "trials.csv")
    assert len(rows) == 30
    assert {r["state"] for r in rows} == {"COMPLETE"}
    computed = [r["key"] for r in rows if r["cache_source"] == "computed"]
    assert len(computed) == len(set(computed)), "a backtest ran twice"
    assert_true_scores(result, tmp_path / "_cache")


def test_trial_files_lost_with_a_killed_run_come_back_on_resume(tmp_path: Path) -> None:
    first = run(tmp_path, study_name="k", **{"optimizer.n_trials": 6})
    files = sorted((first.run_dir / "trials").glob("trial_*.json"))
    assert len(files) == first.stats.computed > 0
    for path in files:  # as if the process had been killed before writing them
        path.unlink()
    run(tmp_path, study_name="k", resume=True, **{"optimizer.n_trials": 6})
    again = sorted((first.run_dir / "trials").glob("trial_*.json"))
    assert [p.name for p in again] == [p.name for p in files]
    payload = json.loads(again[0].read_text())
    assert payload["backtest_path"] == f"k/trials/{again[0].name}"


@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_a_resumed_run_draws_new_points_not_the_first_sessions(
    tmp_path: Path, sampler: str
) -> None:
    changes = {"optimizer.sampler": sampler, "optimizer.n_trials": 8}
    run(tmp_path, study_name="s", **changes)
    resumed = run(tmp_path, study_name="s", resume=True, **{**changes, "optimizer.n_trials": 16})
    rows = read_csv(resumed.run_dir / "trials.csv")
    first = [(r["param_fast"], r["param_slow"], r["param_atr_stop_mult"]) for r in rows[:8]]
    second = [(r["param_fast"], r["param_slow"], r["param_atr_stop_mult"]) for r in rows[8:]]
    assert first != second, "the resumed session replayed the first one's draws"
    assert resumed.stats.computed > 0


def test_without_a_cache_a_resumed_run_reads_earlier_results_from_trial_files(
    tmp_path: Path,
) -> None:
    changes = {"cache.enabled": False, "optimizer.n_trials": 6}
    first = run(tmp_path, study_name="n", **changes)
    resumed = run(tmp_path, study_name="n", resume=True, **{**changes, "optimizer.n_trials": 7})
    rows = read_csv(resumed.run_dir / "trials.csv")
    assert all(r["n_trades"] != "" for r in rows if r["state"] == "COMPLETE")
    assert resumed.best is not None and resumed.best["metrics"]
    assert resumed.best["data_fingerprint"] == first.best["data_fingerprint"]  # type: ignore[index]
