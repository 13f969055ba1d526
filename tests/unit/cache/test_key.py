"""The cache key changes with every ingredient of a score, and only with those."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from genesis.cache import cache_key
from genesis.data import Candles, fingerprint, synthetic_candles, window
from genesis.engine import BacktestSettings
from genesis.evaluate import BacktestSpec, make_spec
from genesis.metrics import ScoreSpec
from genesis.strategy import get_strategy


@pytest.fixture(scope="module")
def candles() -> Candles:
    return synthetic_candles(n_bars=2_000, seed=3)


@pytest.fixture(scope="module")
def base(candles: Candles) -> BacktestSpec:
    return make_spec(
        get_strategy("ema_cross"),
        {"fast": 10, "slow": 30},
        fingerprint(candles),
        BacktestSettings(),
        ScoreSpec(objectives=("sharpe",)),
    )


def test_equal_params_written_differently_give_one_key(
    base: BacktestSpec, candles: Candles
) -> None:
    strategy = get_strategy("ema_cross")
    other = make_spec(
        strategy, {"slow": 30.0, "fast": 10.0}, fingerprint(candles), BacktestSettings(),
        ScoreSpec(objectives=("sharpe",)),
    )  # fmt: skip
    assert cache_key(other) == cache_key(base)
    noisy = replace(base, params={**base.params, "atr_stop_mult": 0.1 + 0.2})
    clean = replace(base, params={**base.params, "atr_stop_mult": 0.3})
    assert cache_key(noisy) == cache_key(clean)


def test_every_ingredient_changes_the_key(base: BacktestSpec, candles: Candles) -> None:
    changed_candles = Candles.from_arrays(
        candles.ts_ms, candles.open, candles.high, candles.low,
        np.where(np.arange(len(candles)) == 500, candles.close * 1.0001, candles.close),
        candles.volume, symbol=candles.symbol, timeframe=candles.timeframe,
    )  # fmt: skip
    variants = {
        "param": replace(base, params={**base.params, "fast": 11}),
        "strategy": replace(base, strategy="other"),
        "strategy_version": replace(base, strategy_version="2"),
        "candles": replace(base, data_fingerprint=fingerprint(changed_candles)),
        "window": replace(base, data_fingerprint=fingerprint(window(candles, last_n=1_000))),
        "window_label": replace(base, window="last_1000"),
        "fees": replace(base, settings=BacktestSettings(fee_bps=11.0)),
        "slippage": replace(base, settings=BacktestSettings(slippage_bps=0.0)),
        "capital": replace(base, settings=BacktestSettings(initial_capital=5_000.0)),
        "fraction": replace(base, settings=BacktestSettings(position_fraction=0.5)),
        "objective": replace(base, score=ScoreSpec(objectives=("sortino",))),
        "min_trades": replace(base, score=ScoreSpec(objectives=("sharpe",), min_trades=5)),
        "max_dd": replace(base, score=ScoreSpec(objectives=("sharpe",), max_drawdown_pct=30.0)),
        "engine": replace(base, engine_version="999"),
    }
    keys = {name: cache_key(spec) for name, spec in variants.items()}
    assert cache_key(base) not in keys.values()
    assert len(set(keys.values())) == len(keys), "two ingredients collided"
