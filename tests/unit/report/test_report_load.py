"""Reading a run directory and rendering its values (``genesis.report._load`` / ``_sections``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from genesis.artifacts import CacheSource
from genesis.report._load import load_run, parse_cell
from genesis.report._sections import esc, fmt, pct, top_trials


def test_trials_csv_is_parsed_into_typed_trials(run_dir: Path, hostile: str) -> None:
    data = load_run(run_dir)
    assert [t.number for t in data.trials] == [0, 1, 2, 3]
    first, memory, _, failed = data.trials
    assert first.params == {"ema_fast": 10, "mode": hostile}
    assert first.source is CacheSource.COMPUTED and memory.source is CacheSource.MEMORY
    assert first.metrics["n_trades"] == 20 and first.feasible is True
    assert failed.score is None and failed.error == "BacktestError: score is NaN"
    assert data.study == "tiny" and data.objectives == ("sharpe",)
    assert data.directions == ("maximize",) and data.maximize
    assert data.searched == ("ema_fast", "mode")
    assert len(data.backtests) == 2


def test_top_trials_skips_duplicate_keys_and_failures(run_dir: Path) -> None:
    assert [t.number for t in top_trials(load_run(run_dir), 10)] == [2, 0]


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("false", False), ("3", 3), ("2.5", 2.5), ("-1e-05", -1e-05), ("a", "a")],
)
def test_parse_cell(text: str, value: object) -> None:
    assert parse_cell(text) == value
    assert type(parse_cell(text)) is type(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "–"),
        (True, "true"),
        (12345, "12,345"),
        (0.0, "0"),
        (0.9294042393006776, "0.9294"),
        (10.839427899206488, "10.84"),
        (11083.94278992065, "11,083.94"),
        (-37.488885948746464, "-37.49"),
        (0.00001234, "1.234e-05"),
        (0.5, "0.5"),
        (float("nan"), "nan"),
    ],
)
def test_fmt_gives_sensible_precision(value: object, text: str) -> None:
    assert fmt(value) == text


def test_esc_and_pct() -> None:
    assert esc('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    assert pct(0.2125) == "21.2%" and pct(None) == "–"
