"""The built-in strategies: shapes, warm-up, exact crossings and no look-ahead."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from genesis.engine.types import Signals
from genesis.errors import StrategyError
from genesis.features import Features, FeatureStore
from genesis.strategy import get_strategy, list_strategies, resolve_params

from .conftest import random_walk_candles

# Params that make each strategy trade often on a random walk, so the checks bite.
ACTIVE_PARAMS: dict[str, dict[str, Any]] = {
    "ema_cross": {"fast": 5, "slow": 20, "allow_short": True, "atr_stop_mult": 2.0},
    "rsi_reversion": {"rsi_period": 7, "lower": 35.0, "upper": 65.0},
    "donchian_breakout": {"entry_period": 20, "exit_period": 8},
    "genesis_trend": {
        "ema_fast": 10,
        "ema_slow": 40,
        "adx_min": 10.0,
        "pullback": 45.0,
        "trail_atr": 1.5,
    },
}

SIGNAL_FIELDS = ("entry_long", "exit_long", "entry_short", "exit_short")
STOP_FIELDS = ("stop_loss", "take_profit", "trailing_stop")


def first_possible_signals(name: str, p: dict[str, Any]) -> tuple[int, int]:
    """The documented first bars on which each built-in can enter and exit."""
    if name == "ema_cross":
        return int(p["slow"]), int(p["slow"])
    if name == "rsi_reversion":
        return int(p["rsi_period"]) + 1, int(p["rsi_period"])
    if name == "donchian_breakout":
        return int(p["entry_period"]), int(p["exit_period"])
    slowest = max(int(p["ema_slow"]), 2 * int(p["adx_period"]) - 1, int(p["rsi_period"]) + 1)
    return slowest, int(p["ema_slow"]) - 1


def run(name: str, candles: Any, overrides: dict[str, Any] | None = None) -> Signals:
    strategy = get_strategy(name)
    params = resolve_params(strategy, ACTIVE_PARAMS[name] | (overrides or {}))
    return strategy.signals(Features(candles, FeatureStore()), params)


@pytest.mark.parametrize("name", list_strategies())
def test_signals_are_boolean_arrays_of_the_right_length(name: str) -> None:
    candles = random_walk_candles()
    signals = run(name, candles)
    for field in SIGNAL_FIELDS:
        values = getattr(signals, field)
        assert values.dtype == np.bool_ and values.shape == (len(candles),), field
    assert signals.entry_long.any() and signals.exit_long.any()
    assert signals.entry_short is not None and signals.entry_short.any()
    assert not (signals.entry_long & signals.entry_short).any()
    for field in STOP_FIELDS:
        values = getattr(signals, field)
        if values is not None:
            assert values.dtype == np.float64 and values.shape == (len(candles),)
            assert (values[~np.isnan(values)] > 0).all()


@pytest.mark.parametrize("name", list_strategies())
def test_no_signal_during_warm_up(name: str) -> None:
    signals = run(name, random_walk_candles())
    params = resolve_params(get_strategy(name), ACTIVE_PARAMS[name])
    first_entry, first_exit = first_possible_signals(name, params)
    firsts = dict.fromkeys(("entry_long", "entry_short"), first_entry)
    firsts |= dict.fromkeys(("exit_long", "exit_short"), first_exit)
    for field, first in firsts.items():
        values = getattr(signals, field)
        assert not values[:first].any(), field
        assert values[first:].any(), field  # the documented bound is tight enough to bite
    tiny = run(name, random_walk_candles(n_bars=min(first_entry, first_exit)))
    for field in SIGNAL_FIELDS:
        assert not getattr(tiny, field).any(), field


@pytest.mark.parametrize("name", list_strategies())
def test_short_side_is_off_unless_allowed(name: str) -> None:
    signals = run(name, random_walk_candles(500), {"allow_short": False})
    assert signals.entry_short is None and signals.exit_short is None


@pytest.mark.parametrize("name", list_strategies())
@pytest.mark.parametrize("cut", [60, 777, 2_000])
def test_no_look_ahead(name: str, cut: int) -> None:
    """Replacing every bar after ``cut`` changes no signal or stop at or before ``cut``."""
    base = random_walk_candles(seed=5)
    other_tail = random_walk_candles(seed=99, start=float(base.close[cut]) * 1.3).close
    close = np.concatenate((base.close[: cut + 1], other_tail[cut + 1 :]))
    changed = random_walk_candles(seed=5, close=close)
    for column in ("open", "high", "low", "close"):  # same bars up to cut, not after
        np.testing.assert_array_equal(
            getattr(changed, column)[: cut + 1], getattr(base, column)[: cut + 1]
        )
        assert not np.array_equal(
            getattr(changed, column)[cut + 1 :], getattr(base, column)[cut + 1 :]
        )
    before, after = run(name, base), run(name, changed)
    for field in SIGNAL_FIELDS + STOP_FIELDS:
        a, b = getattr(before, field), getattr(after, field)
        if a is None:
            assert b is None
            continue
        np.testing.assert_array_equal(a[: cut + 1], b[: cut + 1], err_msg=field)


def test_ema_cross_signals_exactly_at_crossings() -> None:
    # EMA(2) and EMA(3) are both 1 until bar 3; the jump at bar 4 lifts the fast EMA
    # (3.667) above the slow (3.0); the drop at bar 7 puts it below (2.284 < 2.75).
    close = np.array([1, 1, 1, 1, 5, 5, 5, 1, 1, 1, 1], dtype=np.float64)
    candles = random_walk_candles(close=close)
    strategy = get_strategy("ema_cross")
    params = resolve_params(strategy, {"fast": 2, "slow": 3, "allow_short": True})
    signals = strategy.signals(Features(candles), params)
    assert np.flatnonzero(signals.entry_long).tolist() == [4]
    assert np.flatnonzero(signals.exit_long).tolist() == [7]
    assert signals.entry_short is not None and signals.exit_short is not None
    assert np.flatnonzero(signals.entry_short).tolist() == [7]
    assert np.flatnonzero(signals.exit_short).tolist() == [4]
    assert signals.stop_loss is None  # atr_stop_mult defaults to 0 = off


def test_ema_cross_touching_is_not_a_crossing() -> None:
    # The fast EMA equals the slow one on bar 3 and moves away again: a touch from
    # below that goes back down never signals; continuing up signals once.
    close = np.array([2, 2, 2, 2, 1, 1, 1, 2, 4, 4], dtype=np.float64)
    signals = run("ema_cross", random_walk_candles(close=close), {"fast": 2, "slow": 3})
    assert np.flatnonzero(signals.entry_long).tolist() == [7]
    assert np.flatnonzero(signals.exit_long).tolist() == [4]


def test_stops_are_atr_multiples_and_nan_in_warm_up() -> None:
    candles = random_walk_candles(400)
    features = Features(candles)
    strategy = get_strategy("genesis_trend")
    params = resolve_params(strategy, {"sl_atr": 2.0, "tp_atr": 3.0, "trail_atr": 0.0})
    signals = strategy.signals(features, params)
    atr = features.atr(14)
    assert signals.stop_loss is not None and signals.take_profit is not None
    np.testing.assert_array_equal(signals.stop_loss, atr * 2.0)
    np.testing.assert_array_equal(signals.take_profit, atr * 3.0)
    assert np.isnan(signals.stop_loss[:14]).all() and not np.isnan(signals.stop_loss[14:]).any()
    assert signals.trailing_stop is None


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("ema_cross", {"fast": 30, "slow": 30}, "fast < slow"),
        ("genesis_trend", {"ema_fast": 90, "ema_slow": 50}, "ema_fast < ema_slow"),
        ("rsi_reversion", {"lower": 50.0, "upper": 50.0}, "lower < upper"),
        ("donchian_breakout", {"entry_period": 10, "exit_period": 20}, "exit_period < entry"),
    ],
)
def test_inconsistent_params_fail_the_trial(
    name: str, params: dict[str, Any], message: str
) -> None:
    strategy = get_strategy(name)
    resolved = resolve_params(strategy, params)
    with pytest.raises(StrategyError, match=message):
        strategy.signals(Features(random_walk_candles(200)), resolved)


@pytest.mark.parametrize("name", list_strategies())
def test_signals_are_deterministic_and_leave_features_untouched(name: str) -> None:
    candles = random_walk_candles(1_000)
    store = FeatureStore()
    strategy = get_strategy(name)
    params = resolve_params(strategy, ACTIVE_PARAMS[name])
    first = strategy.signals(Features(candles, store), params)
    misses = store.misses
    second = strategy.signals(Features(candles, store), params)
    assert store.misses == misses  # the second run is served from the store
    for field in SIGNAL_FIELDS + STOP_FIELDS:
        a, b = getattr(first, field), getattr(second, field)
        assert (a is None and b is None) or np.array_equal(a, b, equal_nan=True)
