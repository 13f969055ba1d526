"""ParamSpec checks and resolve_params: defaults, conversions and clear errors."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

import genesis.strategy as strategy_pkg
from genesis.engine.types import Signals
from genesis.errors import StrategyError
from genesis.features import Features
from genesis.strategy import ParamSpec, ParamValue, get_strategy, resolve_params


class Toy:
    name = "toy"
    version = "1"
    params: Mapping[str, ParamSpec] = {
        "period": ParamSpec("int", 10, 2, 50),
        "width": ParamSpec("float", 1.5, 0.0, 5.0),
        "short": ParamSpec("bool", False),
        "mode": ParamSpec("categorical", "fast", choices=("fast", "slow")),
    }

    def signals(self, features: Features, params: Mapping[str, ParamValue]) -> Signals:
        raise NotImplementedError


def test_defaults_fill_missing_params() -> None:
    assert resolve_params(Toy(), {}) == {"period": 10, "width": 1.5, "short": False, "mode": "fast"}


def test_integral_float_is_accepted_for_int_param() -> None:
    resolved = resolve_params(Toy(), {"period": 10.0, "width": 2})
    assert resolved["period"] == 10 and type(resolved["period"]) is int
    assert resolved["width"] == 2.0 and type(resolved["width"]) is float


def test_unknown_param_suggests_close_names() -> None:
    with pytest.raises(StrategyError, match="unknown param 'peroid'") as error:
        resolve_params(Toy(), {"peroid": 12})
    assert "did you mean: period?" in str(error.value)
    assert "known: mode, period, short, width" in str(error.value)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"period": 51}, r"outside \[2, 50\]"),
        ({"period": 1}, r"outside \[2, 50\]"),
        ({"width": -0.1}, "outside"),
        ({"period": 10.5}, "must be an integer"),
        ({"period": "10"}, "must be a number"),
        ({"period": True}, "must be a number"),
        ({"width": float("nan")}, "must be finite"),
        ({"period": float("inf")}, "must be finite"),
        ({"short": 1}, "must be true or false"),
        ({"mode": "medium"}, "must be one of"),
    ],
)
def test_bad_values_are_rejected(given: dict[str, object], message: str) -> None:
    with pytest.raises(StrategyError, match=message):
        resolve_params(Toy(), given)


def test_where_prefixes_the_message() -> None:
    with pytest.raises(StrategyError, match=r"^trial 3: param 'period'"):
        resolve_params(Toy(), {"period": 0}, where="trial 3: ")


def test_paramspec_rejects_an_inconsistent_schema() -> None:
    with pytest.raises(StrategyError, match="outside"):
        ParamSpec("int", 100, 1, 10)
    with pytest.raises(StrategyError, match="reversed"):
        ParamSpec("float", 1.0, 5.0, 0.0)
    with pytest.raises(StrategyError, match="needs choices"):
        ParamSpec("categorical", "a")


def test_builtin_schemas_resolve_their_defaults() -> None:
    for name in strategy_pkg.list_strategies():
        strategy = get_strategy(name)
        assert len(strategy.params) >= 1
        resolved = resolve_params(strategy, {})
        assert set(resolved) == set(strategy.params)


def test_package_exports() -> None:
    expected = {"ParamSpec", "ParamValue", "Strategy", "get_strategy", "list_strategies"}
    expected |= {"resolve_params", "DEFAULT_STRATEGY"}
    assert set(strategy_pkg.__all__) == expected
    for name in strategy_pkg.__all__:
        assert hasattr(strategy_pkg, name)


@pytest.mark.parametrize(
    ("kind", "close"),
    [("integer", "int"), ("Int", "int"), ("flaot", "float"), ("boolean", "bool"), ("str", None)],
)
def test_unknown_kind_is_refused_when_built(kind: str, close: str | None) -> None:
    with pytest.raises(StrategyError, match="int, float, categorical, bool") as raised:
        ParamSpec(kind, 10, 2, 50)  # type: ignore[arg-type]
    assert raised.value.hint == (f"did you mean {close!r}?" if close else None)
