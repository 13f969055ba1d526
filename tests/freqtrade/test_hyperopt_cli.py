"""`genesis freqtrade hyperopt` with Freqtrade's flags: runs, refusals, export, resume, workers."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from hyperopt_support import ft_project
from typer.testing import CliRunner

from genesis.cli._freqtrade_hyperopt import hyperopt
from genesis.errors import UsageError

app = typer.Typer()
app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(hyperopt)
app.command("noop")(lambda: None)  # two commands: typer keeps `hyperopt` as a subcommand


def _args(project: dict[str, Any], out: Path, *extra: str) -> list[str]:
    return [
        "hyperopt", "-c", str(project["config"]), "--strategy", "RsiStrategy",
        "--strategy-path", str(project["strategy_path"]), "--datadir", str(project["datadir"]),
        "--hyperopt-loss", "SharpeHyperOptLoss", "--out", str(out), *extra,
    ]  # fmt: skip


def _trials(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "trials.csv").open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_freqtrades_command_line_runs_exports_and_writes_json(tmp_path: Path) -> None:
    project = ft_project(tmp_path / "ft")
    args = _args(
        project, tmp_path / "out", "--spaces", "buy", "sell", "-e", "10", "--min-trades", "2",
        "--study", "s1", "--json", str(tmp_path / "best.json"),
    )  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "best.json").read_text())
    assert document["objective"] == "loss:SharpeHyperOptLoss"
    assert set(document["best"]["searched_params"]) == {"buy_rsi", "sell_rsi"}
    assert len(_trials(tmp_path / "out" / "s1")) == 10
    exported = json.loads(project["strategy_file"].with_suffix(".json").read_text())
    assert exported["params"]["buy"]["buy_rsi"] == document["best"]["params"]["buy_rsi"]
    assert "best params written to" in result.output
    verdict = next(line for line in result.output.splitlines() if line.startswith("VERDICT: "))
    assert result.output.index(verdict) < result.output.index("run directory:")  # first
    assert "look-ahead" not in verdict and "looks ahead" not in verdict  # checked, clean
    assert "reproduce in sample: genesis backtest" in result.output


@pytest.mark.slow
def test_resume_continues_the_study_without_running_a_backtest_again(tmp_path: Path) -> None:
    project = ft_project(tmp_path / "ft")
    base = _args(
        project, tmp_path / "out", "--spaces", "buy", "--study", "s", "--disable-param-export"
    )
    assert CliRunner().invoke(app, [*base, "-e", "6"]).exit_code == 0
    first = _trials(tmp_path / "out" / "s")
    result = CliRunner().invoke(app, [*base, "-e", "12", "--resume"])
    assert result.exit_code == 0, result.output
    rows = _trials(tmp_path / "out" / "s")
    assert len(rows) == 12 and rows[:6] == first
    computed = [r["key"] for r in rows if r["cache_source"] == "computed"]
    assert len(computed) == len(set(computed))
    assert not project["strategy_file"].with_suffix(".json").exists()


@pytest.mark.slow
def test_job_workers_share_the_study(tmp_path: Path) -> None:
    project = ft_project(tmp_path / "ft")
    args = _args(project, tmp_path / "out", "--spaces", "buy", "sell", "-e", "16", "-j", "2",
                 "--study", "w", "--disable-param-export")  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = _trials(tmp_path / "out" / "w")
    assert len(rows) >= 16 and all(r["state"] == "COMPLETE" for r in rows)


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--analyze-per-epoch", "--analyze-per-epoch is not supported"),
        ("--early-stop=10", "--early-stop is not supported"),
        ("--no-such-flag", "no such option"),
    ],
)
def test_a_freqtrade_flag_not_honoured_is_refused(flag: str, message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["hyperopt", "--hyperopt-loss", "X", flag])
    assert isinstance(result.exception, UsageError)
    assert message in str(result.exception)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_genesis_yaml_adds_validation_to_freqtrades_flags(tmp_path: Path) -> None:
    project = ft_project(tmp_path / "ft")
    yaml_file = tmp_path / "genesis.yaml"
    yaml_file.write_text("validation:\n  holdout:\n    test_fraction: 0.25\n  top_k: 2\n")
    args = _args(project, tmp_path / "out", "--spaces", "buy", "-e", "6", "--study", "v",
                 "--genesis-config", str(yaml_file), "--disable-param-export")  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    validation = json.loads((tmp_path / "out" / "v" / "validation.json").read_text())
    assert validation["method"] == "holdout" and len(validation["tested"]) == 2
    assert "deflated Sharpe ratio" in result.output
