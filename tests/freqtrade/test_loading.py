"""load_strategy: Freqtrade's resolver on an unchanged file; import errors located; refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftio_support import project, settings_of, strategy_source, write_strategy

from genesis.errors import ConfigError, StrategyError
from genesis.freqtrade.loading import load_strategy

LEGACY = """
from pandas import DataFrame
from freqtrade.strategy import IStrategy


class LegacyStrategy(IStrategy):
    timeframe = "1h"
    minimal_roi = {"0": 0.1}
    stoploss = -0.1
    use_sell_signal = False
    sell_profit_only = True

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_buy_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["buy"] = 1
        return dataframe

    def populate_sell_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["sell"] = 0
        return dataframe
"""


def load(tmp_path: Path, name: str = "RsiStrategy", **config: object):  # type: ignore[no-untyped-def]
    paths = project(tmp_path, **config)
    settings = settings_of(paths, strategy=name)
    return load_strategy(settings)


def replace_strategy(tmp_path: Path, source: str, file: str = "rsistrategy.py") -> Path:
    return write_strategy(tmp_path / "strategies", source=source, file=file)


def test_loads_the_file_with_its_parameters(tmp_path: Path) -> None:
    strategy = load(tmp_path)
    assert type(strategy).__name__ == "RsiStrategy"
    assert strategy.buy_rsi.value == 30 and strategy.sell_rsi.value == 70
    assert strategy.stoploss == -0.05
    assert strategy.dp is not None  # the offline DataProvider is attached


def test_buy_params_and_the_parameter_file_apply_as_in_freqtrade(tmp_path: Path) -> None:
    paths = project(tmp_path, extra='buy_params = {"buy_rsi": 22}\n')
    settings = settings_of(paths)
    assert load_strategy(settings).buy_rsi.value == 22
    params = {
        "strategy_name": "RsiStrategy",
        "params": {"buy": {"buy_rsi": 17}, "stoploss": {"stoploss": -0.2}},
        "ft_stratparam_v": 1,
    }
    (paths["strategy_path"] / "rsistrategy.json").write_text(json.dumps(params))
    settings = settings_of(paths)
    strategy = load_strategy(settings)
    assert strategy.buy_rsi.value == 17  # the file wins over buy_params, as in Freqtrade
    assert strategy.stoploss == -0.2


def test_legacy_api_loads_with_its_old_names(tmp_path: Path) -> None:
    project(tmp_path)
    replace_strategy(tmp_path, LEGACY, file="legacy.py")
    strategy = load(tmp_path, "LegacyStrategy")
    assert strategy.use_exit_signal is False and strategy.exit_profit_only is True


def test_each_instance_is_fresh(tmp_path: Path) -> None:
    paths = project(tmp_path)
    settings = settings_of(paths)
    first, second = load_strategy(settings), load_strategy(settings)
    first.buy_rsi.value = 11
    assert second.buy_rsi.value == 30


def load_error(tmp_path: Path, source: str, name: str = "RsiStrategy") -> StrategyError:
    paths = project(tmp_path)
    path = replace_strategy(tmp_path, source)
    with pytest.raises(StrategyError) as caught:
        settings = settings_of(paths, strategy=name)
        load_strategy(settings)
    assert caught.value.exit_code == 2
    caught.value.path = path  # type: ignore[attr-defined]
    return caught.value


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    source = strategy_source().replace("stoploss = -0.05", "stoploss = -0.05 +")
    error = load_error(tmp_path, source)
    line = source.splitlines().index("    stoploss = -0.05 +") + 1
    assert error.where == f"{error.path}:{line}"  # type: ignore[attr-defined]
    assert "SyntaxError" in error.message


def test_missing_library_names_the_import_line(tmp_path: Path) -> None:
    source = "import not_a_ta_library\n" + strategy_source()
    error = load_error(tmp_path, source)
    assert error.where == f"{error.path}:1"  # type: ignore[attr-defined]
    assert "ModuleNotFoundError" in error.message and "not_a_ta_library" in error.message


def test_error_raised_at_import_names_the_line(tmp_path: Path) -> None:
    source = strategy_source() + "\nraise RuntimeError('configure me first')\n"
    error = load_error(tmp_path, source)
    line = len(source.splitlines())
    assert error.where == f"{error.path}:{line}"  # type: ignore[attr-defined]
    assert "configure me first" in error.message


def test_wrong_class_name_lists_classes_and_did_you_mean(tmp_path: Path) -> None:
    error = load_error(tmp_path, strategy_source(), name="RsiStrategi")
    assert "'RsiStrategi' not found" in error.message
    assert "did you mean 'RsiStrategy'" in str(error.hint)
    assert "RsiStrategy (rsistrategy.py)" in str(error.hint)


@pytest.mark.parametrize(
    ("extra", "name"),
    [
        ("position_adjustment_enable = True\n", "position_adjustment_enable"),
        (
            "def check_entry_timeout(self, pair, trade, order, current_time, **kwargs):\n"
            "    return False\n",
            "check_entry_timeout",
        ),
        ("def bot_loop_start(self, current_time, **kwargs):\n    pass\n", "bot_loop_start"),
        (
            "def leverage(self, pair, current_time, current_rate, proposed_leverage,"
            " max_leverage, entry_tag, side, **kwargs):\n    return 1.0\n",
            "leverage",
        ),
    ],
)
def test_unsupported_features_are_refused_with_their_line(
    tmp_path: Path, extra: str, name: str
) -> None:
    source = strategy_source(extra=extra)
    error = load_error(tmp_path, source)
    assert name in error.message
    line = next(i for i, text in enumerate(source.splitlines(), 1) if name in text)
    assert error.where == f"{error.path}:{line}"  # type: ignore[attr-defined]


def test_engine_refusals_get_the_file(tmp_path: Path) -> None:
    extra = (
        "def confirm_trade_entry(self, pair, order_type, amount, rate, time_in_force,"
        " current_time, entry_tag, side, **kwargs):\n    return True\n"
    )
    error = load_error(tmp_path, strategy_source(extra=extra))
    assert "confirm_trade_entry" in error.message
    assert str(error.where).startswith(str(error.path))  # type: ignore[attr-defined]


def test_shorting_is_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, strategy_source(extra="can_short = True\n"))
    assert "can_short" in error.message and "can_short = False" in str(error.hint)


def test_protections_on_the_strategy_are_refused(tmp_path: Path) -> None:
    extra = (
        "@property\ndef protections(self):\n"
        '    return [{"method": "CooldownPeriod", "stop_duration_candles": 2}]\n'
    )
    error = load_error(tmp_path, strategy_source(extra=extra))
    assert "protections" in error.message


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"timeframe_detail": "5m"}, "timeframe_detail"),
        (
            {"entry_pricing": {"price_side": "same", "use_order_book": True, "order_book_top": 1}},
            "entry_pricing.use_order_book",
        ),
    ],
)
def test_config_features_are_refused(tmp_path: Path, config: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **config)
    assert caught.value.where == key


def test_supported_callbacks_load(tmp_path: Path) -> None:
    extra = (
        "use_custom_stoploss = True\n"
        "def custom_stoploss(self, pair, trade, current_time, current_rate, current_profit,"
        " after_fill, **kwargs):\n    return -0.05\n"
        "def custom_exit(self, pair, trade, current_time, current_rate, current_profit,"
        " **kwargs):\n    return None\n"
    )
    paths = project(tmp_path, extra=extra)
    settings = settings_of(paths)
    assert type(load_strategy(settings)).__name__ == "RsiStrategy"
