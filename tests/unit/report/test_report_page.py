"""``write_report`` / ``build_report_html`` on a hand-written run directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import genesis.report
from genesis.errors import ArtifactError
from genesis.report import build_report_html, write_report


def test_public_surface() -> None:
    assert sorted(genesis.report.__all__) == ["build_report_html", "write_report"]


def test_writes_report_html_in_the_run_directory(run_dir: Path) -> None:
    path = write_report(run_dir)
    assert path == run_dir / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "tiny" in text
    assert "1.235" in text  # best score, four significant digits
    assert "25.0%" in text  # hit rate
    assert "[CACHE STATS] 1/4 trials cached (25.0% hit rate), 2 unique backtests" in text
    assert "genesis backtest tiny/config.yaml --params tiny/best_trial.json" in text
    assert not list(run_dir.glob(".*.tmp"))  # atomic write left no temp file


def test_out_overrides_the_destination(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere.html"
    assert write_report(run_dir, out=out) == out
    assert out.exists() and not (run_dir / "report.html").exists()


def test_plotly_js_is_embedded_once_and_every_figure_drawn(run_dir: Path) -> None:
    text = build_report_html(run_dir)
    # score, params, sources; the tiny run's config names a param its strategy lacks, so
    # the best trial cannot be re-run (no equity figure) and 3 trials rank no importances.
    assert text.count("Plotly.newPlot(") == 3
    assert len(re.findall(r"\*\s*plotly\.js \(basic - minified\) v\d", text)) == 1
    assert "<script src=" not in text  # self-contained: opens offline
    assert "the best trial could not be re-run here" in text
    assert "importances need at least 20 distinct complete trials; this run has 2" in text


def test_hostile_strings_are_escaped(run_dir: Path, hostile: str) -> None:
    text = build_report_html(run_dir)
    assert hostile not in text
    assert "<script>alert" not in text


def test_the_same_run_gives_the_same_bytes(run_dir: Path) -> None:
    assert build_report_html(run_dir) == build_report_html(run_dir)


def test_failed_trial_and_sources_are_plotted(run_dir: Path) -> None:
    text = build_report_html(run_dir)
    for label in ('"name":"failed"', '"name":"memory (reused)"', '"name":"computed"'):
        assert label in text
    assert "BacktestError: score is NaN" in text


def test_missing_trials_csv_names_the_file(run_dir: Path) -> None:
    (run_dir / "trials.csv").unlink()
    with pytest.raises(ArtifactError, match=r"trials\.csv"):
        write_report(run_dir)


def test_not_a_run_directory(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"config\.yaml"):
        write_report(tmp_path)
    with pytest.raises(ArtifactError, match="not a directory"):
        write_report(tmp_path / "nope")


def test_corrupt_json_names_the_file(run_dir: Path) -> None:
    (run_dir / "cache_stats.json").write_text("{oops")
    with pytest.raises(ArtifactError, match=r"cache_stats\.json:1"):
        write_report(run_dir)


def test_without_best_trial_says_no_trial_completed(run_dir: Path) -> None:
    (run_dir / "best_trial.json").unlink()
    assert "No trial completed." in build_report_html(run_dir)
