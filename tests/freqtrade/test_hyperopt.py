"""A Freqtrade strategy optimized by genesis's own loop: key, cache, signals reuse, scores."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hyperopt_support import ft_config_dict, ft_project

from genesis.cache import cache_key
from genesis.config import config_from_dict
from genesis.errors import ConfigError
from genesis.freqtrade.hyperopt import FtProblem, build_ft_problem
from genesis.freqtrade.loss import BacktestWindow, resolve_loss
from genesis.optimizer import run_optimizer

PARAMS = {
    "buy_rsi": 35, "sell_rsi": 65, "roi_t1": 200, "roi_t2": 150, "roi_t3": 130,
    "roi_p1": 0.03, "roi_p2": 0.04, "roi_p3": 0.08, "stoploss": -0.08,
}  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return ft_project(tmp_path_factory.mktemp("ft"))


@pytest.fixture(scope="module")
def problem(project: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> FtProblem:
    out = tmp_path_factory.mktemp("out")
    return build_ft_problem(config_from_dict(ft_config_dict(project, out)))


def test_the_trial_backtest_is_freqtrades_rules_with_the_trials_exit_params(
    problem: FtProblem,
) -> None:
    from genesis.freqtrade.backtest import run_backtest
    from genesis.freqtrade.rules import ExitRules

    run = problem.ft
    evaluation = problem.evaluate(problem.spec(PARAMS))
    run.strategy.buy_rsi.value, run.strategy.sell_rsi.value = 35, 65
    expected = run_backtest(
        run.signals.pair_frames({"buy_rsi": 35, "sell_rsi": 65}),
        ExitRules(
            minimal_roi=((0, 0.15), (130, 0.07), (280, 0.03), (480, 0.0)), stoploss=-0.08
        ),
        run.wallet, strategy=run.strategy,
    )  # fmt: skip
    assert evaluation.metrics.n_trades == len(expected.trades) > 0
    assert evaluation.result.equity[-1] == pytest.approx(expected.equity[-1])
    loss = resolve_loss("SharpeHyperOptLoss", run.settings.config)
    first, last = problem.candles.ts_ms[0], problem.candles.ts_ms[-1]
    window = BacktestWindow(
        pairs=run.settings.pairs, min_date=_date(first), max_date=_date(last),
        starting_balance=1000.0, processed={},
    )  # fmt: skip
    value = loss.value(expected.trades, window, run.settings.config)
    assert evaluation.score.values == (pytest.approx(value),)
    assert evaluation.score.directions == ("minimize",)


def _date(ms: int) -> Any:
    import pandas as pd

    return pd.Timestamp(int(ms), unit="ms", tz="UTC").to_pydatetime()


def test_roi_or_stoploss_trials_reuse_the_signals(problem: FtProblem) -> None:
    strategy = problem.ft.strategy
    calls: list[str] = []
    original = type(strategy).populate_entry_trend

    def counting(self: Any, dataframe: Any, metadata: dict[str, Any]) -> Any:
        calls.append(metadata["pair"])
        return original(self, dataframe, metadata)

    strategy.populate_entry_trend = counting.__get__(strategy)
    try:
        problem.evaluate(problem.spec({**PARAMS, "buy_rsi": 21}))
        after_first = len(calls)
        problem.evaluate(problem.spec({**PARAMS, "buy_rsi": 21, "stoploss": -0.2}))
        problem.evaluate(problem.spec({**PARAMS, "buy_rsi": 21, "roi_p1": 0.01}))
        assert len(calls) == after_first == 2  # once per pair, for the one buy/sell set
        problem.evaluate(problem.spec({**PARAMS, "buy_rsi": 22}))
        assert len(calls) == 4
    finally:
        del strategy.populate_entry_trend


def test_the_key_names_strategy_content_data_and_freqtrade_settings(
    project: dict[str, Any], problem: FtProblem, tmp_path: Path
) -> None:
    spec = problem.spec(PARAMS)
    canonical = spec.canonical()
    assert canonical["strategy"] == "freqtrade:rsistrategy.py:RsiStrategy"
    assert canonical["extra"]["wallet"]["dry_run_wallet"] == 1000.0
    assert canonical["extra"]["spaces"] == ["buy", "sell", "roi", "stoploss"]
    assert "stoploss" not in canonical["extra"]["rules"]  # searched: it is a param
    assert canonical["extra"]["rules"]["use_exit_signal"] is True
    assert cache_key(spec) != cache_key(problem.spec({**PARAMS, "stoploss": -0.09}))
    # another fee is another backtest
    fee = ft_config_dict(project, tmp_path, freqtrade={"fee": 0.002})
    assert cache_key(build_ft_problem(config_from_dict(fee)).spec(PARAMS)) != cache_key(spec)


def test_unknown_params_and_a_genesis_search_space_are_refused(
    project: dict[str, Any], problem: FtProblem, tmp_path: Path
) -> None:
    from genesis.errors import StrategyError

    with pytest.raises(StrategyError, match="buy_rsy"):
        problem.spec({**PARAMS, "buy_rsy": 3})
    config = ft_config_dict(
        project, tmp_path, search_space={"buy_rsi": {"type": "int", "low": 1, "high": 5}}
    )
    with pytest.raises(ConfigError, match="Parameter attributes"):
        build_ft_problem(config_from_dict(config))


@pytest.mark.slow
def test_a_run_writes_genesis_artifacts_and_never_backtests_twice(
    project: dict[str, Any], tmp_path: Path
) -> None:
    config = config_from_dict(
        ft_config_dict(
            project, tmp_path / "out", score={"min_trades": 3},
            freqtrade={"spaces": ["buy"]}, optimizer={"n_trials": 40},
        )
    )  # fmt: skip
    result = run_optimizer(config, build=build_ft_problem)
    with (result.run_dir / "trials.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == result.n_trials
    computed = [r for r in rows if r["cache_source"] == "computed"]
    # buy_rsi has 41 values: repeats are answered from memory, each key computed once
    assert len({r["key"] for r in computed}) == len(computed)
    best = json.loads((result.run_dir / "best_trial.json").read_text())
    assert best["params"]["buy_rsi"] in range(10, 51)
    assert best["spec"]["extra"]["spaces"] == ["buy"]
    # a second run finds every backtest in the result cache
    again = run_optimizer(config.model_copy(update={"study_name": "again"}), build=build_ft_problem)
    with (again.run_dir / "trials.csv").open() as handle:
        sources = {r["cache_source"] for r in csv.DictReader(handle)}
    assert "computed" not in sources


@pytest.mark.slow
def test_a_genesis_yaml_naming_a_strategy_file_validates_and_reproduces(tmp_path: Path) -> None:
    import yaml

    from genesis.api import promote_champion, run_optimizer, verify_champion, write_run_report

    project = ft_project(tmp_path / "ft")
    config = ft_config_dict(
        project, tmp_path / "out", optimizer={"n_trials": 16},
        validation={"holdout": {"test_fraction": 0.3}, "top_k": 3},
        score={"objectives": ["loss:SharpeHyperOptLoss"], "min_trades": 2},
    )  # fmt: skip
    path = tmp_path / "freqtrade.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run_optimizer(path)
    validation = json.loads((result.run_dir / "validation.json").read_text())
    assert validation["method"] == "holdout"
    assert len(validation["tested"]) == 3  # the top trials ran on the test window
    best = json.loads((result.run_dir / "best_trial.json").read_text())
    assert best["validation"]["deflated_sharpe"] is not None or best["validation"].get(
        "statistics_error"
    )
    report = (result.run_dir / "report.html").read_text()
    assert "could not be re-run" not in report
    again = write_run_report(result.run_dir, out=tmp_path / "again.html")  # `genesis report`
    assert "could not be re-run" not in again.read_text()
    exported = json.loads(project["strategy_file"].with_suffix(".json").read_text())
    assert exported["params"]["buy"]["buy_rsi"] == best["params"]["buy_rsi"]
    # the export rewrote <StrategyFile>.json: the champion still reproduces
    promote_champion(result.run_dir, "ft", root=tmp_path / "champions", force=True)
    check = verify_champion("ft", root=tmp_path / "champions")
    assert check.reproduced, check.differences


def test_the_trades_space_sets_the_slots_of_the_wallet(
    project: dict[str, Any], tmp_path: Path
) -> None:
    config = ft_config_dict(project, tmp_path, freqtrade={"spaces": ["trades"]})
    problem = build_ft_problem(config_from_dict(config))
    assert set(problem.space.dimensions) == {"max_open_trades"}
    one = problem.evaluate(problem.spec({"max_open_trades": 1}))
    two = problem.evaluate(problem.spec({"max_open_trades": 2}))
    open_at_once = _most_open(one)
    assert open_at_once == 1 < _most_open(two)


def _most_open(evaluation: Any) -> int:
    trades = evaluation.result.trades
    events = sorted(
        [(int(i), 1) for i in trades.entry_idx] + [(int(i), -1) for i in trades.exit_idx],
        key=lambda e: (e[0], e[1]),
    )
    level = most = 0
    for _, step in events:
        level += step
        most = max(most, level)
    return most


@pytest.mark.slow
def test_walk_forward_folds_search_and_test_their_own_windows(tmp_path: Path) -> None:
    from genesis.api import run_optimizer as run_api

    project = ft_project(tmp_path / "ft")
    config = ft_config_dict(
        project, tmp_path / "out", optimizer={"n_trials": 6},
        validation={"walk_forward": {"folds": 2}},
        freqtrade={"spaces": ["buy", "sell"], "export_params": False},
    )  # fmt: skip
    result = run_api(config_from_dict(config), report=False)
    validation = json.loads((result.run_dir / "validation.json").read_text())
    assert validation["method"] == "walk_forward"
    windows = [fold["windows"] for fold in validation["folds"]]
    assert len(windows) == 2
    assert windows[0]["out_of_sample"] != windows[1]["out_of_sample"]


def test_only_freqtrade_files_or_configs_take_the_freqtrade_path(tmp_path: Path) -> None:
    from genesis.freqtrade.detect import names_freqtrade_strategy

    own = tmp_path / "own.py"
    own.write_text("from genesis.strategy.builtin import EmaCross\nclass Mine(EmaCross): ...\n")
    theirs = tmp_path / "theirs.py"
    theirs.write_text("from freqtrade.strategy import IStrategy\nclass S(IStrategy): ...\n")
    assert not names_freqtrade_strategy(f"{own}:Mine")
    assert names_freqtrade_strategy(f"{theirs}:S")
    assert names_freqtrade_strategy(f"{own}:Mine", has_section=True)
    assert not names_freqtrade_strategy("ema_cross")
