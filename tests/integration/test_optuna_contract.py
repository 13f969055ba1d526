"""Optuna's own storage tests pass on genesis's journal exactly as on Optuna's stock one.

Runs ``tests/optuna_contract/suite.py`` (the first run downloads Optuna's sdist from PyPI
into ``.cache/``); see its docstring.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SUITE = Path(__file__).parents[1] / "optuna_contract" / "suite.py"


@pytest.mark.slow
def test_optunas_storage_tests_pass_on_the_genesis_journal() -> None:
    done = subprocess.run(
        [sys.executable, str(SUITE), "-p", "no:warnings"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    tail = (done.stdout + done.stderr)[-3000:]
    assert done.returncode == 0, tail
    summary = re.search(r"genesis_journal: (\d+) passed of (\d+); stock journal: (\d+)", tail)
    assert summary is not None, tail
    passed, total, stock = map(int, summary.groups())
    assert passed == total == stock > 150, tail
    assert "DIFFERS" not in tail
