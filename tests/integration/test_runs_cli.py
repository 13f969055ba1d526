"""``genesis runs list|show`` over a results root, and trial files as ``--params``."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from genesis_cli import SMOKE, genesis  # type: ignore[import-not-found]

from genesis import list_runs, read_params, run_backtest, run_optimizer, show_run
from genesis.errors import ArtifactError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("results")
    overrides = {"optimizer.n_trials": 8, "output_dir": str(out), "study_name": "first"}
    run_optimizer(SMOKE, overrides=overrides, report=False)
    unfinished = out / "killed"  # a run killed before its first export: config.yaml only
    unfinished.mkdir()
    shutil.copyfile(out / "first" / "config.yaml", unfinished / "config.yaml")
    return out


def test_runs_list_shows_every_run_with_its_counts_and_state(out: Path) -> None:
    runs = {r.name: r for r in list_runs(out)}
    assert set(runs) == {"first", "killed"}  # _cache/ is not a run
    first = runs["first"]
    stats = json.loads((out / "first" / "cache_stats.json").read_text())
    best = json.loads((out / "first" / "best_trial.json").read_text())
    assert (first.n_trials, first.real_backtests) == (8, stats["computed_backtests"])
    assert first.best_score == best["score"] and first.state == "finished"
    assert first.strategy == "genesis_trend" and "synthetic:tBTCUSD:1h" in first.data
    killed = runs["killed"]
    assert killed.state == "unfinished" and killed.n_trials is None and killed.best_score is None
    result = genesis("runs", "list", "--out", str(out), cwd=out)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.lstrip().startswith("first"))
    assert "genesis_trend" in row and "finished" in row and f"{best['score']:.4f}" in row
    assert any("killed" in line and "unfinished" in line for line in lines)


def test_runs_show_gives_top_trials_cache_stats_and_commands(out: Path) -> None:
    detail = show_run("first", out=out, top=3)
    scores = [row["score"] for row in detail.top]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)  # sharpe: maximize
    assert detail.top[0]["number"] == str(detail.best["trial"])  # type: ignore[index]
    result = genesis("runs", "show", str(out / "first"), "--top", "3", cwd=out)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "top 3 trials by sharpe" in text and "real backtests" in text and "hit rate" in text
    assert f"genesis backtest {out / 'first' / 'config.yaml'} --params" in text
    assert "--study first --resume" in text
    missing = genesis("runs", "show", "nope", "--out", str(out), cwd=out)
    assert missing.returncode == 2 and "no run 'nope'" in missing.stderr
    with pytest.raises(ArtifactError, match="no such results directory"):
        list_runs(out / "absent")


def test_a_trial_file_is_accepted_as_params(out: Path) -> None:
    trial = sorted((out / "first" / "trials").glob("trial_*.json"))[-1]
    payload = json.loads(trial.read_text())
    params = read_params(str(trial))
    assert params == payload["spec"]["params"]
    report = run_backtest(out / "first" / "config.yaml", params)
    assert report.key == payload["key"]
    assert list(report.evaluation.score.values) == payload["score"]["values"]


def plain(text: str) -> str:
    """``text`` without the terminal's escape codes (bold headers)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.parametrize("columns", ["60", "80", "100", None])
def test_tables_never_cut_the_run_name_or_trial_number(
    out: Path, tmp_path: Path, columns: str | None
) -> None:
    """At terminal widths 60/80/100 (TTY_COMPATIBLE) and piped (None)."""
    root = tmp_path / "results"
    name = "run_20261207_214145_walk_forward"
    shutil.copytree(out / "first", root / name)
    env = {"TTY_COMPATIBLE": "1", "COLUMNS": columns} if columns else {"TTY_COMPATIBLE": "0"}
    listed = genesis("runs", "list", "--out", str(root), cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    assert any(line.startswith(name) for line in plain(listed.stdout).splitlines()), listed.stdout
    shown = genesis("runs", "show", name, "--out", str(root), "--top", "5", cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    numbers = [row["number"] for row in show_run(name, out=root, top=5).top]
    lines = plain(shown.stdout).splitlines()
    firsts = [line.split()[0].rstrip("*") for line in lines if line.strip()]  # * marks the best
    assert all(number in firsts for number in numbers), shown.stdout
    if columns is not None:
        table = plain(shown.stdout).split("top 5 trials")[1].split("reproduce in sample")[0]
        assert max(len(line.rstrip()) for line in table.splitlines()) <= int(columns)


def test_a_run_where_no_trial_completed_shows_its_verdict(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        "from genesis import ParamSpec\n\n\nclass Broken:\n    name = 'broken'\n"
        "    version = '1'\n    params = {'period': ParamSpec('int', 10, 2, 50)}\n\n"
        "    def signals(self, features, params):\n        raise ValueError('always')\n"
    )
    config = {
        "data": {"source": "synthetic:tBTCUSD:1h:7:2000"},
        "strategy": {"name": "broken.py:Broken"},
        "search_space": {"period": {"type": "int", "low": 4, "high": 8}},
        "optimizer": {"n_trials": 3, "seed": 1},
        "output_dir": str(tmp_path / "out"),
        "study_name": "broken",
    }
    (tmp_path / "broken.json").write_text(json.dumps(config))
    failed = genesis("optimize", "broken.json", "-q", "--no-report", cwd=tmp_path)
    assert failed.returncode == 1 and "no trial completed" in failed.stderr
    line = "VERDICT: do not trade — no trial completed"
    assert failed.stdout.startswith(line)
    assert [r.verdict for r in list_runs(tmp_path / "out")] == ["do not trade"]
    assert [r.state for r in list_runs(tmp_path / "out")] == ["failed"]  # not "finished"
    shown = genesis("runs", "show", "broken", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(line) and "best trial: none completed" in shown.stdout
