"""The Freqtrade hyperopt space as genesis's search space, checked against Freqtrade's objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest
from hyperopt_support import NESTED_HYPEROPT, load, write_strategy

from genesis.errors import ConfigError
from genesis.freqtrade.space import build_space, select_spaces


@pytest.fixture()
def strategy(tmp_path: Path) -> Any:
    write_strategy(tmp_path)
    return load(tmp_path)


def _same(genesis: optuna.distributions.BaseDistribution, freqtrade: Any) -> None:
    """The genesis distribution is Freqtrade's: same kind, bounds, step, log, choices."""
    if isinstance(freqtrade, optuna.distributions.CategoricalDistribution):
        assert isinstance(genesis, optuna.distributions.CategoricalDistribution)
        assert list(genesis.choices) == list(freqtrade.choices)
        return
    kind = (
        optuna.distributions.IntDistribution
        if isinstance(freqtrade, optuna.distributions.IntDistribution)
        else optuna.distributions.FloatDistribution
    )
    assert type(genesis) is kind
    assert (genesis.low, genesis.high, genesis.step, genesis.log) == (
        freqtrade.low, freqtrade.high, freqtrade.step, freqtrade.log,
    )  # fmt: skip


def test_buy_sell_parameters_are_freqtrades_dimensions(strategy: Any) -> None:
    space = build_space(strategy, ["buy", "sell"])
    searched = space.search_space()
    expected = {
        name: param.get_space(name)
        for name, param in strategy.enumerate_parameters()
        if param.space in ("buy", "sell") and param.optimize
    }
    assert set(searched.dimensions) == set(expected) == {
        "buy_rsi", "buy_frac", "buy_locked", "sell_real", "sell_kind", "sell_on",
    }  # fmt: skip
    distributions = searched.distributions()
    for name, freqtrade_dim in expected.items():
        _same(distributions[name], freqtrade_dim)
    assert distributions["buy_frac"].step == pytest.approx(0.01)  # DecimalParameter's decimals
    assert list(distributions["sell_on"].choices) == [True, False]  # BooleanParameter
    assert space.space_of["sell_real"] == "sell"


def test_not_searched_parameters_are_fixed_at_their_loaded_values(strategy: Any) -> None:
    searched = build_space(strategy, ["sell"]).search_space()
    assert "buy_rsi" not in searched.dimensions
    assert searched.fixed["buy_rsi"] == 25  # buy_params overrides the default 30
    assert searched.fixed["buy_fixed"] == 3  # optimize=False
    assert searched.fixed["buy_locked"] == 2  # load=False ignores buy_params' 4
    assert searched.fixed["window"] == 20  # a space of the strategy's own, not selected
    assert "sell_kind" in searched.dimensions


def test_default_spaces_are_buy_sell_roi_stoploss_and_own_spaces(strategy: Any) -> None:
    from freqtrade.optimize.hyperopt.hyperopt_auto import HyperOptAuto

    space = build_space(strategy, None)
    assert space.spaces == ("buy", "sell", "roi", "stoploss", "enter")
    reference = HyperOptAuto(strategy.config)
    reference.strategy = strategy
    distributions = space.search_space().distributions()
    for dim in [*reference.roi_space(), *reference.stoploss_space()]:
        _same(distributions[dim.name], dim)
    # the ROI space scales with the 1h timeframe (12x the 5m one)
    assert (distributions["roi_t1"].low, distributions["roi_t1"].high) == (120, 1440)
    assert distributions["stoploss"].step == pytest.approx(0.001)


def test_all_spaces_refuse_a_missing_protection_space_as_freqtrade_does(strategy: Any) -> None:
    with pytest.raises(ConfigError, match="'protection' space"):
        build_space(strategy, ["all"])


def test_trailing_and_trades_spaces(strategy: Any) -> None:
    from freqtrade.optimize.hyperopt.hyperopt_interface import IHyperOpt

    space = build_space(strategy, ["trailing", "trades"])
    assert space.spaces == ("trailing", "trades")
    distributions = space.search_space().distributions()
    reference = [*IHyperOpt.trailing_space(None), *IHyperOpt.max_open_trades_space(None)]  # type: ignore[arg-type]
    for dim in reference:
        _same(distributions[dim.name], dim)
    params = {
        "trailing_stop": True, "trailing_stop_positive": 0.02,
        "trailing_stop_positive_offset_p1": 0.03, "trailing_only_offset_is_reached": False,
        "max_open_trades": 3,
    }  # fmt: skip
    rules = space.exit_overrides(params)
    assert rules["trailing_stop_positive_offset"] == pytest.approx(0.05)
    assert "stoploss" not in rules and "minimal_roi" not in rules
    assert space.max_open_trades(params, {"stake_amount": 100}) == 3
    assert space.max_open_trades({**params, "max_open_trades": -1}, {"stake_amount": 100}) == -1
    unlimited = {"stake_amount": "unlimited", "max_open_trades": 4}
    assert space.max_open_trades({**params, "max_open_trades": 0}, unlimited) == 4


def test_roi_and_stoploss_params_become_the_exit_rules(strategy: Any) -> None:
    space = build_space(strategy, ["roi", "stoploss"])
    params = {"roi_t1": 200, "roi_t2": 150, "roi_t3": 130, "roi_p1": 0.03, "roi_p2": 0.02,
              "roi_p3": 0.1, "stoploss": -0.05}  # fmt: skip
    rules = space.exit_overrides(params)
    assert rules["minimal_roi"] == {
        0: pytest.approx(0.15), 130: pytest.approx(0.05), 280: 0.03, 480: 0,
    }  # fmt: skip
    assert rules["stoploss"] == -0.05
    assert space.max_open_trades(params, {}) is None


def test_a_nested_hyperopt_class_overrides_the_builtin_spaces(tmp_path: Path) -> None:
    write_strategy(tmp_path, extra=NESTED_HYPEROPT)
    space = build_space(load(tmp_path), ["roi", "stoploss"])
    stoploss = space.search_space().distributions()["stoploss"]
    assert (stoploss.low, stoploss.high, stoploss.step) == pytest.approx((-0.2, -0.05, 0.01))
    rules = space.exit_overrides({"roi_t1": 300, "roi_p1": 0.04, "roi_t2": 1, "roi_t3": 1,
                                  "roi_p2": 0.1, "roi_p3": 0.1, "stoploss": -0.1})  # fmt: skip
    assert rules["minimal_roi"] == {0: 0.04, 300: 0}


def test_optimized_protection_parameters_are_refused(tmp_path: Path) -> None:
    write_strategy(
        tmp_path, extra='protection_days = IntParameter(1, 5, default=2, space="protection")'
    )
    with pytest.raises(ConfigError, match=r"protection space .*protection_days"):
        build_space(load(tmp_path), ["protection"])


def test_a_space_without_parameters_is_refused(tmp_path: Path) -> None:
    write_strategy(tmp_path)
    with pytest.raises(ConfigError, match="no hyperopt parameters"):
        build_space(load(tmp_path), ["nothing"])


def test_genesis_samples_stay_inside_freqtrades_distributions(strategy: Any) -> None:
    space = build_space(strategy, ["buy", "sell", "roi", "stoploss", "trailing"])
    searched = space.search_space()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    by_name = {d.name: d for d in space.dimensions}
    for _ in range(30):
        trial = study.ask()
        params = searched.suggest(trial)
        for name, value in params.items():
            if name in by_name:
                dim = by_name[name]
                assert dim._contains(dim.to_internal_repr(value)), (name, value)
        study.tell(trial, 0.0)


def test_spaces_split_like_freqtrades_option() -> None:
    assert select_spaces(None) == ["default"]
    assert select_spaces(["buy sell", "roi"]) == ["buy", "sell", "roi"]
