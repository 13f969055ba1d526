"""Fixtures of the report tests: a tiny hand-written run directory, shaped like the
optimizer's (no optimizer run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HOSTILE = "<script>alert('x')</script>"
"""A categorical param value that must never reach the page unescaped."""

CONFIG = """\
data: {source: 'synthetic:tBTCUSD:1h', timeframe: 1h, fast_window: true, fast_window_bars: 800}
strategy: {name: genesis_trend, params: {atr_period: 14}}
search_space:
  ema_fast: {type: int, low: 10, high: 30, step: 10}
  mode: {type: categorical, choices: ["plain", "<script>alert('x')</script>"]}
score: {objectives: [sharpe], min_trades: 10, max_drawdown_pct: 50.0}
optimizer: {sampler: tpe, seed: 42, n_trials: 4}
study_name: tiny
"""

KEY_A, KEY_B = "a" * 64, "b" * 64
TRIALS_CSV = f"""\
number,state,score,param_ema_fast,param_mode,n_trades,total_return_pct,sharpe,max_drawdown_pct,profit_factor,feasible,cached,cache_source,key,backtest_path,duration_s,error
0,COMPLETE,0.5,10,{HOSTILE},20,4.5,0.5,8.25,1.2,true,false,computed,{KEY_A},tiny/trials/trial_0000.json,0.02,
1,COMPLETE,0.5,10,{HOSTILE},20,4.5,0.5,8.25,1.2,true,true,memory,{KEY_A},,0.001,
2,COMPLETE,1.23456789,20,plain,31,9.75,1.23456789,6.5,1.5,true,false,computed,{KEY_B},tiny/trials/trial_0002.json,0.03,
3,FAIL,,30,plain,,,,,,,false,,,,0.01,BacktestError: score is NaN
"""


def _payload(number: int, key: str, score: float, params: dict[str, object]) -> dict[str, object]:
    return {
        "key": key,
        "spec": {"strategy": "genesis_trend", "strategy_version": "1", "params": params,
                 "data": "f" * 32},
        "score": {"values": [score], "names": ["sharpe"], "directions": ["maximize"],
                  "constraints": {"min_trades": -10.0}, "feasible": True},
        "metrics": {"sharpe": score, "n_trades": 20},
        "elapsed_s": 0.02,
        "backtest_path": f"tiny/trials/trial_{number:04d}.json",
        "computed_by": {"run": "tiny", "trial": number},
    }  # fmt: skip


def write_run_dir(root: Path) -> Path:
    """Write the tiny run directory at ``root`` and return it."""
    (root / "trials").mkdir(parents=True)
    (root / "config.yaml").write_text(CONFIG)
    (root / "trials.csv").write_text(TRIALS_CSV)
    stats = {
        "study": "tiny", "total_trials": 4, "completed": 3, "failed": 1, "cached_trials": 1,
        "memory_hits": 1, "cache_hits": 0, "computed_backtests": 2, "unique_backtests": 2,
        "duplicate_trials": 1, "cache_hit_rate": 0.25, "duplicate_rate": 0.25,
        "corrupt_entries": 0, "invented_scores": 0,
    }  # fmt: skip
    (root / "cache_stats.json").write_text(json.dumps(stats))
    best_params = {"atr_period": 14, "ema_fast": 20, "mode": "plain"}
    best = {
        "study": "tiny", "trial": 2, "score": 1.23456789, "objectives": ["sharpe"],
        "params": best_params, "searched_params": {"ema_fast": 20, "mode": "plain"},
        "metrics": {"sharpe": 1.23456789, "n_trades": 31, "final_equity": 10975.123},
        "constraints": {"min_trades": -21.0}, "feasible": True, "key": KEY_B,
        "cache_source": "computed", "strategy": {"name": "genesis_trend", "version": "1"},
        "data_fingerprint": "f" * 32,
        "reproduce": "genesis backtest tiny/config.yaml --params tiny/best_trial.json",
    }  # fmt: skip
    (root / "best_trial.json").write_text(json.dumps(best))
    hostile_params = {"atr_period": 14, "ema_fast": 10, "mode": HOSTILE}
    for number, key, score, params in (
        (0, KEY_A, 0.5, hostile_params),
        (2, KEY_B, 1.23456789, best_params),
    ):
        path = root / "trials" / f"trial_{number:04d}.json"
        path.write_text(json.dumps(_payload(number, key, score, params)))
    return root


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A run directory named ``tiny`` with 4 trials: computed, memory hit, computed, failed."""
    return write_run_dir(tmp_path / "tiny")


@pytest.fixture
def hostile() -> str:
    """The param value in the run directory that must never reach the page unescaped."""
    return HOSTILE
