"""The best params written as Freqtrade's <StrategyFile>.json, loaded by Freqtrade as they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hyperopt_support import ft_config_dict, ft_project

from genesis.config import config_from_dict
from genesis.freqtrade.hyperopt import build_ft_problem
from genesis.freqtrade.params_export import export_params

PARAMS = {
    "buy_rsi": 33, "sell_rsi": 71, "roi_t1": 200, "roi_t2": 150, "roi_t3": 130,
    "roi_p1": 0.031, "roi_p2": 0.04, "roi_p3": 0.08, "stoploss": -0.123,
    "trailing_stop": True, "trailing_stop_positive": 0.02,
    "trailing_stop_positive_offset_p1": 0.015, "trailing_only_offset_is_reached": True,
}  # fmt: skip


def _freqtrade_loads(project: dict[str, Any]) -> Any:
    """The strategy as `freqtrade backtesting`/`trade` load it (its own resolver)."""
    from freqtrade.resolvers import StrategyResolver

    config = json.loads(Path(project["config"]).read_text())
    config.update(
        strategy="RsiStrategy", strategy_path=str(project["strategy_path"]),
        user_data_dir=Path(project["strategy_path"]), timeframe="1h",
    )  # fmt: skip
    strategy = StrategyResolver.load_strategy(config)
    strategy.ft_load_hyper_params(False)
    return strategy


def test_freqtrade_loads_the_exported_champion_as_it_is(tmp_path: Path) -> None:
    project = ft_project(tmp_path / "ft")
    config = ft_config_dict(
        project,
        tmp_path / "out",
        freqtrade={"spaces": ["buy", "sell", "roi", "stoploss", "trailing"]},
    )
    problem = build_ft_problem(config_from_dict(config))
    path = export_params(problem, PARAMS)
    assert path == project["strategy_file"].with_suffix(".json")
    written = json.loads(path.read_text())
    assert written["strategy_name"] == "RsiStrategy" and written["ft_stratparam_v"] == 1
    assert set(written["params"]) >= {"buy", "sell", "roi", "stoploss", "trailing"}
    strategy = _freqtrade_loads(project)
    assert (strategy.buy_rsi.value, strategy.sell_rsi.value) == (33, 71)
    assert strategy.stoploss == pytest.approx(-0.123)
    expected_roi = problem.ft.space.hyperopt.generate_roi_table(PARAMS)
    assert {int(k): v for k, v in strategy.minimal_roi.items()} == pytest.approx(
        {int(k): v for k, v in expected_roi.items()}
    )
    assert strategy.trailing_stop is True
    assert strategy.trailing_stop_positive_offset == pytest.approx(0.035)
    assert strategy.trailing_only_offset_is_reached is True
