"""``genesis report`` through typer, on a hand-written run directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from genesis.cli import report as report_cli
from genesis.errors import ArtifactError

runner = CliRunner()

TRIALS_CSV = """\
number,state,score,param_fast,n_trades,total_return_pct,sharpe,max_drawdown_pct,profit_factor,feasible,cached,cache_source,key,backtest_path,duration_s,error
0,COMPLETE,0.75,10,12,3.5,0.75,4.0,1.1,true,false,computed,k0,,0.02,
1,COMPLETE,0.75,10,12,3.5,0.75,4.0,1.1,true,true,cache,k0,,0.001,
"""


def write_run_dir(root: Path) -> Path:
    """The smallest run directory: no trials/ files (every backtest came from the cache)."""
    root.mkdir()
    (root / "config.yaml").write_text("study_name: tiny\nscore: {objectives: [sharpe]}\n")
    (root / "trials.csv").write_text(TRIALS_CSV)
    stats = {"study": "tiny", "total_trials": 2, "cached_trials": 1, "cache_hit_rate": 0.5}
    (root / "cache_stats.json").write_text(json.dumps(stats))
    best = {"trial": 0, "score": 0.75, "params": {"fast": 10}, "reproduce": "genesis backtest"}
    (root / "best_trial.json").write_text(json.dumps(best))
    return root


def make_app() -> typer.Typer:
    """A one-command app registered the way ``genesis.cli._app`` registers it."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("report")(report_cli.report)
    app.command("noop", hidden=True)(lambda: None)  # keep "report" a subcommand
    return app


def test_report_writes_and_prints_the_path(tmp_path: Path) -> None:
    run_dir = write_run_dir(tmp_path / "tiny")
    result = runner.invoke(make_app(), ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(run_dir / "report.html")
    text = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "tiny" in text and "50.0%" in text and "0.75" in text


@pytest.mark.parametrize("option", ["--file", "-o", "--out"])  # --out: the old name
def test_report_file_option(tmp_path: Path, option: str) -> None:
    run_dir = write_run_dir(tmp_path / "tiny")
    out = tmp_path / "r.html"
    result = runner.invoke(make_app(), ["report", str(run_dir), option, str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and not (run_dir / "report.html").exists()


def test_report_open_uses_the_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = write_run_dir(tmp_path / "tiny")
    opened: list[str] = []

    def fake_open(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr("webbrowser.open", fake_open)
    result = runner.invoke(make_app(), ["report", str(run_dir), "--open"])
    assert result.exit_code == 0, result.output
    assert opened == [(run_dir / "report.html").resolve().as_uri()]


def test_report_on_a_non_run_directory_raises_artifact_error(tmp_path: Path) -> None:
    result = runner.invoke(make_app(), ["report", str(tmp_path)])
    assert isinstance(result.exception, ArtifactError)
    assert "config.yaml" in str(result.exception)


def test_help_does_not_import_plotly() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; import typer;"
        "from genesis.cli import report as r; app = typer.Typer(); app.command('report')(r.report);"
        "app.command('x')(lambda: None); CliRunner().invoke(app, ['report', '--help']);"
        "print('plotly' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
