"""get_strategy: built-ins by name, user code by module:Class or file.py:Class."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from genesis.errors import StrategyError
from genesis.strategy import DEFAULT_STRATEGY, Strategy, get_strategy, list_strategies

USER_MODULE = textwrap.dedent(
    """
    from genesis.engine.types import Signals
    from genesis.strategy import ParamSpec

    class Mine:
        name = "mine"
        version = "7"
        params = {"n": ParamSpec("int", 3, 1, 9)}

        def signals(self, features, params):
            zeros = features.close < 0
            return Signals(entry_long=zeros, exit_long=zeros)

    ready = Mine()

    class NotAStrategy:
        name = "nope"
    """
)


@pytest.fixture()
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "my_strats_for_test.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_builtins_are_listed_and_found_by_name() -> None:
    names = list_strategies()
    assert names == ["donchian_breakout", "ema_cross", "genesis_trend", "rsi_reversion"]
    assert DEFAULT_STRATEGY in names
    for name in names:
        strategy = get_strategy(name)
        assert isinstance(strategy, Strategy)
        assert strategy.name == name
        assert isinstance(strategy.version, str) and strategy.version


def test_unknown_name_suggests_close_matches_and_lists_builtins() -> None:
    with pytest.raises(StrategyError) as error:
        get_strategy("ema_cros")
    text = str(error.value)
    assert "did you mean: ema_cross?" in text
    assert "built-ins: donchian_breakout, ema_cross, genesis_trend, rsi_reversion" in text


def test_unrelated_name_points_to_module_class() -> None:
    with pytest.raises(StrategyError, match="module:Class"):
        get_strategy("zzz")


def test_module_class_is_loaded_and_instantiated(user_dir: Path) -> None:
    strategy = get_strategy("my_strats_for_test:Mine")
    assert strategy.name == "mine" and strategy.version == "7"
    assert isinstance(strategy, Strategy)


def test_module_instance_is_returned_as_is(user_dir: Path) -> None:
    import my_strats_for_test  # type: ignore[import-not-found]

    assert get_strategy("my_strats_for_test:ready") is my_strats_for_test.ready


def test_file_path_class_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "strategy_file.py"
    path.parent.mkdir()
    path.write_text(USER_MODULE)
    assert get_strategy(f"{path}:Mine").name == "mine"
    assert get_strategy(f"{path}:Mine").version == "7"  # second load reuses the module


def test_missing_attribute_suggests_close_names(user_dir: Path) -> None:
    with pytest.raises(StrategyError, match="no attribute 'Mien'") as error:
        get_strategy("my_strats_for_test:Mien")
    assert "did you mean: Mine" in str(error.value)


def test_missing_module_and_file_are_strategy_errors(tmp_path: Path) -> None:
    with pytest.raises(StrategyError, match="cannot import strategy module"):
        get_strategy("no_such_module_xyz:Thing")
    with pytest.raises(StrategyError, match="does not exist"):
        get_strategy(f"{tmp_path / 'absent.py'}:Thing")


def test_broken_user_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(StrategyError, match="boom"):
        get_strategy(f"{path}:Anything")


def test_object_without_the_protocol_is_rejected(user_dir: Path) -> None:
    with pytest.raises(StrategyError, match="is not a strategy") as error:
        get_strategy("my_strats_for_test:NotAStrategy")
    assert "version, params, signals" in str(error.value)
