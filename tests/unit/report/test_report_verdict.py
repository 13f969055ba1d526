"""The report's first words: the stored verdict, or one judged for a run made before them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genesis.artifacts import RunDir
from genesis.report._load import RunData
from genesis.report._sections import header_section

VALIDATION = {
    "method": "holdout", "deflated_sharpe": {"probability": 0.2}, "n_trials_counted": 40,
    "pbo": {"probability": 0.3}, "expected": {"metrics": {"sharpe": 0.5, "n_trades": 40}},
    "buy_and_hold": {"sharpe": 0.1},
}  # fmt: skip


def header(tmp_path: Path, best: dict[str, Any]) -> str:
    data = RunData(RunDir(tmp_path), {}, (), ("sharpe",), ("maximize",), best, {}, ())
    return header_section(data)


def test_the_stored_verdict_comes_first(tmp_path: Path) -> None:
    verdict = {"rating": "weak", "line": "VERDICT: weak — stored"}
    page = header(tmp_path, {"trial": 3, "score": 1.0, "verdict": verdict})
    assert 'id="verdict" class="verdict weak">VERDICT: weak — stored</p>' in page
    assert page.index('id="verdict"') < page.index('class="cards"')
    assert "best · trial #3 · sharpe" in page


def test_an_older_run_gets_its_verdict_judged_from_its_validation(tmp_path: Path) -> None:
    page = header(tmp_path, {"trial": 3, "score": 1.0, "validation": VALIDATION})
    assert "VERDICT: do not trade — not significant (DSR 0.20 after 40 backtests)" in page


def test_a_run_without_validation_has_no_verdict_line(tmp_path: Path) -> None:
    assert 'id="verdict"' not in header(tmp_path, {"trial": 3, "score": 1.0})
