"""One rule for exit codes over the whole CLI: 2 for every user error, 1 for a failed run.

The rule is written in genesis.errors and genesis.cli._app; each case here runs the real
command. A user error is one named line on stderr (``error: …``), never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from genesis_cli import genesis  # type: ignore[import-not-found]

from genesis.api import promote_champion, run_optimizer

pytestmark = pytest.mark.slow

GOOD = """data: {source: 'synthetic:tBTCUSD:1h:3:1500'}
strategy: {name: ema_cross}
search_space:
  fast: {type: int, low: 2, high: 40}
  slow: {type: int, low: 50, high: 300}
score: {objectives: [total_return_pct]}
optimizer: {n_trials: 3}
"""

TYPO = """from genesis import ParamSpec, Signals


class Typo:
    name = "typo"
    version = "1"
    params = {"period": ParamSpec("int", 10, 2, 50)}

    def signals(self, features, params):
        return Signals(entry_long=features.close > features.sma(params["perod"]))
"""


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exit_codes")
    (root / "good.yaml").write_text(GOOD)
    (root / "typo.py").write_text(TYPO)
    (root / "typo.yaml").write_text(GOOD.replace("ema_cross", "typo.py:Typo").replace(
        "  fast: {type: int, low: 2, high: 40}\n  slow: {type: int, low: 50, high: 300}",
        "  period: {type: int, low: 5, high: 20}",
    ))  # fmt: skip
    (root / "bad_date.yaml").write_text(GOOD.replace("1500'}", "1500', start: 2018-13-01}"))
    (root / "no_data.yaml").write_text(GOOD.replace("'synthetic:tBTCUSD:1h:3:1500'", "none.csv"))
    (root / "blocker").write_text("a file where a folder should be\n")
    overrides = {"output_dir": str(root / "out"), "study_name": "s"}
    run_optimizer(root / "good.yaml", overrides=overrides, report=False)
    folder = promote_champion(root / "out" / "s", "tampered", root=root / "champions")
    champion = json.loads((folder / "champion.json").read_text())
    (folder / "champion.json").write_text(json.dumps({**champion, "score": 123.0}))
    return root


USER_ERRORS = {
    "missing config": (["optimize", "missing.yaml"], "config file not found"),
    "invalid date": (["backtest", "bad_date.yaml"], "data.start: '2018-13-01' is not a valid"),
    "unknown option": (["optimize", "good.yaml", "--trails", "3"], "No such option"),
    "unknown param": (["backtest", "good.yaml", "--params", '{"fats": 3}'], "did you mean"),
    "strategy raises": (["backtest", "typo.yaml"], "typo.py:10: strategy 'typo' raised KeyError"),
    "missing data file": (["backtest", "no_data.yaml"], "none.csv"),
    "unknown strategy": (["strategies", "ema_crss"], "did you mean: ema_cross?"),
    "unknown run": (["runs", "show", "nope", "--out", "out"], "no run 'nope'"),
    "no results folder": (["runs", "list", "--out", "absent"], "no such results directory"),
    "unknown champion": (["champion", "verify", "nope", "--root", "champions"], "no champion"),
    "champion taken": (
        ["champion", "promote", "out/s", "--name", "tampered", "--root", "champions"],
        "champion exists already",
    ),
    "unwritable champion folder": (
        ["champion", "promote", "out/s", "--name", "x", "--root", "blocker/champions"],
        "cannot create the champion's folder",
    ),
    "report of no run": (["report", "absent"], "absent"),
}


@pytest.mark.parametrize("case", list(USER_ERRORS))
def test_every_user_error_exits_2_with_one_named_line(place: Path, case: str) -> None:
    args, said = USER_ERRORS[case]
    result = genesis(*args, cwd=place)
    assert result.returncode == 2, (case, result.stderr)
    assert said in result.stderr, (case, result.stderr)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["optimize", "typo.yaml", "--trials", "2", "--out", "failed"], "no trial completed"),
        (["champion", "verify", "tampered", "--root", "champions"], "does NOT reproduce"),
    ],
    ids=["every trial failed", "champion does not reproduce"],
)
def test_a_failed_run_exits_1(place: Path, args: list[str], said: str) -> None:
    result = genesis(*args, cwd=place)
    assert result.returncode == 1, result.stderr
    assert said in result.stderr and "Traceback" not in result.stderr
