"""The verdict on real runs: noise is never a candidate, a planted edge is not "do not trade"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_optimize import make_config  # type: ignore[import-not-found]

from genesis.config import config_from_dict
from genesis.data import synthetic_candles, write_candles
from genesis.data._candles import Candles
from genesis.optimizer import run_optimizer

N_BARS = 4_000
TREND_BARS = 160
SPACE = {
    "fast": {"type": "int", "low": 4, "high": 24, "step": 4},
    "slow": {"type": "int", "low": 30, "high": 90, "step": 15},
    "atr_stop_mult": {"type": "float", "low": 0.0, "high": 4.0, "step": 1.0},
}


def write_walk(path: Path, seed: int, drift: float) -> None:
    """A random walk; with ``drift``, trends up and down alternate every TREND_BARS bars."""
    rng = np.random.default_rng(seed)
    returns = 0.01 * rng.standard_normal(N_BARS)
    sign = np.repeat(np.where(np.arange(N_BARS // TREND_BARS) % 2 == 0, 1.0, -1.0), TREND_BARS)
    close = 100.0 * np.exp(np.cumsum(returns + drift * sign))
    open_ = np.concatenate(([100.0], close[:-1]))
    spread = 0.003 * close * rng.random(N_BARS)
    base = synthetic_candles(n_bars=N_BARS, seed=1)
    candles = Candles(
        ts_ms=base.ts_ms, open=open_, high=np.maximum(open_, close) + spread,
        low=np.minimum(open_, close) - spread, close=close, volume=base.volume,
        symbol="tRWUSD", timeframe="1h",
    )  # fmt: skip
    write_candles(candles, path)


def verdict_of(tmp_path: Path, seed: int, drift: float, validation: dict[str, Any]) -> str:
    data = tmp_path / f"walk_{seed}.csv"
    write_walk(data, seed, drift)
    config = make_config(
        tmp_path / "out", data={"source": str(data), "timeframe": "1h"}, validation=validation,
        search_space=SPACE, **{"optimizer.n_trials": 30},
    )  # fmt: skip
    config["score"] = {"objectives": ["sharpe"], "min_trades": 5}
    result = run_optimizer(config_from_dict(config))
    best = json.loads((result.run_dir / "best_trial.json").read_text())
    assert best["verdict"] == best["validation"]["verdict"] == result.validation["verdict"]
    return str(best["verdict"]["rating"])


HOLDOUT = {"holdout": {"test_fraction": 0.3}, "top_k": 5}
WALK_FORWARD = {"walk_forward": {"folds": 3, "mode": "anchored"}, "top_k": 3}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("validation", [HOLDOUT, WALK_FORWARD], ids=["holdout", "walk_forward"])
def test_pure_noise_is_never_a_candidate(
    tmp_path: Path, seed: int, validation: dict[str, Any]
) -> None:
    assert verdict_of(tmp_path, seed, 0.0, validation) != "candidate"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_planted_edge_is_not_do_not_trade(tmp_path: Path, seed: int) -> None:
    assert verdict_of(tmp_path, seed, 0.002, HOLDOUT) != "do not trade"


def test_a_run_without_out_of_sample_test_is_at_best_weak(tmp_path: Path) -> None:
    assert verdict_of(tmp_path, 1, 0.002, {}) in ("weak", "do not trade")
