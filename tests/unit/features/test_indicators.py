"""Argument checks of the typed indicator wrappers."""

from __future__ import annotations

import numpy as np
import pytest

from genesis.errors import StrategyError
from genesis.features import adx, atr, bbands, donchian, ema, rsi, sma

X = np.linspace(1.0, 2.0, 100)


@pytest.mark.parametrize("period", [0, -3])
@pytest.mark.parametrize("function", [sma, ema, rsi])
def test_period_below_minimum_is_rejected(function: object, period: int) -> None:
    with pytest.raises(StrategyError, match="period must be >="):
        function(X, period)  # type: ignore[operator]


@pytest.mark.parametrize("period", [2.5, "14", True, None])
def test_non_integer_period_is_rejected(period: object) -> None:
    with pytest.raises(StrategyError, match="must be an integer"):
        ema(X, period)  # type: ignore[arg-type]


def test_integral_float_period_is_accepted() -> None:
    np.testing.assert_array_equal(ema(X, 10.0), ema(X, 10))  # type: ignore[arg-type]
    np.testing.assert_array_equal(sma(X, np.int64(10)), sma(X, 10))  # type: ignore[arg-type]


def test_minimum_periods() -> None:
    with pytest.raises(StrategyError, match="RSI period must be >= 2"):
        rsi(X, 1)
    with pytest.raises(StrategyError, match="ADX period must be >= 2"):
        adx(X, X, X, 1)
    with pytest.raises(StrategyError, match="Bollinger period must be >= 2"):
        bbands(X, 1)
    assert atr(X, X, X, 1).shape == X.shape
    assert donchian(X, X, 1)[0].shape == X.shape


@pytest.mark.parametrize("k", [-1.0, float("nan"), float("inf"), True])
def test_bad_bollinger_width_is_rejected(k: float) -> None:
    with pytest.raises(StrategyError, match="width k"):
        bbands(X, 20, k)


def test_two_dimensional_input_is_rejected() -> None:
    with pytest.raises(StrategyError, match="1-dimensional"):
        ema(np.ones((3, 3)), 2)


def test_inputs_are_not_modified_and_lists_work() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert ema(values, 2).tolist()[1:] == pytest.approx([1.5, 2.5, 3.5])
    assert values == [1.0, 2.0, 3.0, 4.0]
