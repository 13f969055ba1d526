"""Optuna's own storage tests pass on genesis's journal as on its stock one; its sampler tests too.

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


@pytest.mark.slow
def test_optunas_sampler_tests_pass_on_genesis_samplers_where_stock_ones_do() -> None:
    done = subprocess.run(
        [sys.executable, str(SUITE), "samplers", "-p", "no:warnings"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    tail = (done.stdout + done.stderr)[-3000:]
    assert done.returncode == 0, tail
    tallies = re.findall(r"(genesis-[a-z-]+): (\d+) passed of (\d+); (\d+) failed where", tail)
    assert {name for name, *_ in tallies} == {
        "genesis-elite", "genesis-repeats-tpe", "genesis-repeats-random", "genesis-repeats-elite",
    }, tail  # fmt: skip
    for _, passed, total, worse in tallies:
        assert int(worse) == 0 and int(total) > 100 and int(passed) > 0.9 * int(total), tail
    assert "DIFFERS" not in tail
