"""An exception in a user's strategy is shown with the user's file, line and frames only."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from genesis.engine import BacktestSettings
from genesis.errors import StrategyError
from genesis.evaluate import make_spec, simulate
from genesis.features import Features
from genesis.metrics.score import ScoreSpec
from genesis.strategy import get_strategy

from .conftest import random_walk_candles

USER_CODE = """
from genesis import Features, ParamSpec, Signals


def helper(params):
    return params["perod"]


class Typo:
    name = "typo"
    version = "1"
    params = {"period": ParamSpec("int", 10, 2, 50)}

    def signals(self, features, params):
        period = helper(params)
        return Signals(entry_long=features.close > features.sma(period))


class BadIndicator(Typo):
    def signals(self, features, params):
        return Signals(entry_long=features.close > features.get("smaa", 10))
"""


def run(tmp_path: Path, cls: str) -> StrategyError:
    path = tmp_path / "my_strategy.py"
    path.write_text(textwrap.dedent(USER_CODE))
    strategy = get_strategy(f"{path}:{cls}")
    spec = make_spec(strategy, {}, "fp", BacktestSettings(), ScoreSpec(objectives=("sharpe",)))
    with pytest.raises(StrategyError) as raised:
        simulate(spec, strategy, Features(random_walk_candles(200)))
    return raised.value


def test_user_exception_names_the_users_file_line_and_frames_only(tmp_path: Path) -> None:
    error = run(tmp_path, "Typo")
    path = tmp_path / "my_strategy.py"
    assert error.where == f"{path}:6"  # return params["perod"]
    text = str(error)
    assert "strategy 'typo' raised KeyError: 'perod'" in text
    assert f'File "{path}", line 15, in signals' in text  # the caller, outermost first
    assert f'File "{path}", line 6, in helper' in text
    assert 'params["perod"]' in text
    assert "evaluate.py" not in text and "genesis/" not in text.replace(str(tmp_path), "")


def test_genesis_error_raised_through_user_code_gains_the_users_line(tmp_path: Path) -> None:
    error = run(tmp_path, "BadIndicator")
    assert error.where == f"{tmp_path / 'my_strategy.py'}:21"
    assert "unknown indicator 'smaa'" in str(error) and error.hint == "did you mean: sma?"
