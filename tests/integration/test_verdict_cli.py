"""One verdict and one best, first, in every place the CLI shows a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from genesis_cli import genesis  # type: ignore[import-not-found]
from test_optimize import make_config  # type: ignore[import-not-found]
from test_verdict import SPACE, write_walk  # type: ignore[import-not-found]


@pytest.fixture(scope="module")
def noise_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, Any]]:
    """A holdout on a random walk, chosen out of sample, through ``genesis optimize``."""
    root = tmp_path_factory.mktemp("verdict")
    write_walk(root / "walk.csv", seed=1, drift=0.0)
    config = make_config(
        root / "out", data={"source": str(root / "walk.csv"), "timeframe": "1h"},
        validation={"holdout": {"test_fraction": 0.3}, "top_k": 5}, search_space=SPACE,
        study_name="noise",
    )  # fmt: skip
    config["score"] = {"objectives": ["sharpe"], "min_trades": 5}
    path = root / "config.json"
    path.write_text(json.dumps(config))
    out = genesis("optimize", str(path), "--trials", "30", "-q", "--no-report", cwd=root)
    assert out.returncode == 0, out.stderr
    best = json.loads((root / "out" / "noise" / "best_trial.json").read_text())
    return root, out.stdout, best


def test_the_summary_opens_with_the_verdict_and_prints_both_reproduce_commands(
    noise_run: tuple[Path, str, dict[str, Any]],
) -> None:
    _, stdout, best = noise_run
    lines = stdout.splitlines()
    assert best["verdict"]["rating"] == "do not trade"
    assert lines[0] == best["verdict"]["line"] and lines[0].startswith("VERDICT: do not trade — ")
    assert f"best trial: #{best['trial']} " in stdout
    sharpe = best["metrics"]["sharpe"]
    shown = "undefined" if sharpe is None else f"{sharpe:.4f}"
    assert f" sharpe={shown}" in stdout, "a ratio reads with 4 decimals, not 16"
    assert "chosen out of sample among the top in-sample trials" in stdout
    assert f"reproduce in sample: {best['reproduce']}" in stdout
    oos = best["validation"]["out_of_sample"]["reproduce"]
    assert f"reproduce out of sample: {oos}" in stdout and "--trade-from" in oos


def test_runs_list_has_a_verdict_column(noise_run: tuple[Path, str, dict[str, Any]]) -> None:
    root, _, _ = noise_run
    out = genesis("runs", "list", "--out", str(root / "out"), cwd=root)
    assert out.returncode == 0, out.stderr
    header = next(line for line in out.stdout.splitlines() if "verdict" in line)
    row = next(line for line in out.stdout.splitlines() if line.lstrip().startswith("noise"))
    assert "do not trade" in row and header.index("verdict") < header.index("state")


def test_runs_show_opens_with_the_verdict_and_marks_the_same_best(
    noise_run: tuple[Path, str, dict[str, Any]],
) -> None:
    root, _, best = noise_run
    out = genesis("runs", "show", "noise", "--out", str(root / "out"), "--top", "3", cwd=root)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == best["verdict"]["line"]
    assert f"best trial: #{best['trial']} score={best['score']:.4g}" in out.stdout
    assert "validation: holdout" in out.stdout and "Deflated Sharpe Ratio" in out.stdout
    assert "oos sharpe" in out.stdout  # the table's out-of-sample column
    marked = [line for line in lines if line.lstrip().startswith(f"{best['trial']}*")]
    assert len(marked) == 1  # the best is in the table, marked, even if not top in sample
    assert "reproduce in sample:" in out.stdout and "reproduce out of sample:" in out.stdout
    assert out.stdout.index("reproduce") > out.stdout.index("oos sharpe")
    assert out.stdout.index("cache:") > out.stdout.index("reproduce")  # diagnostics last


def test_champion_promote_asks_for_force_on_do_not_trade(
    noise_run: tuple[Path, str, dict[str, Any]],
) -> None:
    root, _, best = noise_run
    run = str(root / "out" / "noise")
    refused = genesis("champion", "promote", run, "--name", "n", "--root", "ch", cwd=root)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "verdict is do not trade: loses out of sample (Sharpe" in refused.stderr
    assert "--force" in refused.stderr and not (root / "ch" / "n").exists()
    forced = genesis("champion", "promote", run, "--name", "n", "--root", "ch", "--force", cwd=root)
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.splitlines()[0] == best["verdict"]["line"]
    champion = json.loads((root / "ch" / "n" / "champion.json").read_text())
    assert champion["trial"] == best["trial"] and champion["verdict"] == best["verdict"]


def test_the_json_summary_event_carries_the_verdict(
    noise_run: tuple[Path, str, dict[str, Any]],
) -> None:
    root, _, best = noise_run
    args = ("--trials", "30", "--json", "--no-report", "--study", "noise_json")
    out = genesis("optimize", str(root / "config.json"), *args, cwd=root)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.splitlines()[-1])
    assert summary["event"] == "summary"
    assert summary["verdict"] == summary["best"]["verdict"] == best["verdict"]  # same seed
