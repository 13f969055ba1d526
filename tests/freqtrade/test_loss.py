"""Freqtrade's hyperopt losses on genesis's trades: the value Freqtrade's own class gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from genesis.errors import BacktestError, ConfigError, StrategyError
from genesis.freqtrade.loss import BacktestWindow, resolve_loss, results_frame

PAIRS = ("BTC/USDT", "ETH/USDT")
LOSSES = (
    "SharpeHyperOptLoss", "SharpeHyperOptLossDaily", "SortinoHyperOptLoss",
    "SortinoHyperOptLossDaily", "CalmarHyperOptLoss", "MaxDrawDownHyperOptLoss",
    "MaxDrawDownRelativeHyperOptLoss", "MaxDrawDownPerPairHyperOptLoss",
    "ProfitDrawDownHyperOptLoss", "OnlyProfitHyperOptLoss", "ShortTradeDurHyperOptLoss",
    "MultiMetricHyperOptLoss",
)  # fmt: skip

USER_LOSS = """
from freqtrade.optimize.hyperopt import IHyperOptLoss


class WinnersLoss(IHyperOptLoss):
    @staticmethod
    def hyperopt_loss_function(results, trade_count, backtest_stats, **kwargs):
        return -backtest_stats["results_per_pair"][0]["wins"] / trade_count
"""


def _trades(n: int, seed: int) -> pd.DataFrame:
    """Trades as genesis's backtest writes them (Freqtrade's names, no derived columns)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    opens = start + pd.to_timedelta(np.sort(rng.integers(0, 24 * 300, n)), unit="h")
    closes = opens + pd.to_timedelta(rng.integers(1, 72, n), unit="h")
    open_rate = rng.uniform(90, 110, n)
    ratio = rng.normal(0.004, 0.03, n)
    stake = np.full(n, 100.0)
    return pd.DataFrame({
        "pair": rng.choice(PAIRS, n), "open_date": opens, "close_date": closes,
        "open_rate": open_rate, "close_rate": open_rate * (1 + ratio),
        "amount": stake / open_rate, "stake_amount": stake,
        "exit_reason": rng.choice(["roi", "stop_loss", "exit_signal"], n),
        "profit_abs": stake * ratio, "profit_ratio": ratio, "is_short": False,
    })  # fmt: skip


def _config() -> dict[str, Any]:
    return {
        "timeframe": "1h", "stake_currency": "USDT", "stake_amount": 100,
        "dry_run_wallet": 1000, "max_open_trades": 2, "strategy": "ParamStrategy",
        "user_data_dir": Path("user_data"), "stoploss": -0.1, "minimal_roi": {"0": 0.1},
        "use_exit_signal": True, "exit_profit_only": False, "exit_profit_offset": 0.0,
        "ignore_roi_if_entry_signal": False, "trading_mode": "spot", "margin_mode": "",
        "fee": 0.001,
    }  # fmt: skip


def _window() -> BacktestWindow:
    return BacktestWindow(
        pairs=PAIRS, min_date=datetime(2024, 1, 1, tzinfo=UTC),
        max_date=datetime(2024, 11, 1, tzinfo=UTC), starting_balance=1000.0, processed={},
    )  # fmt: skip


def _freqtrade_value(name: str, trades: pd.DataFrame, extra: dict[str, Any]) -> float:
    """The loss as Freqtrade's HyperOptimizer computes it (eager backtest_stats)."""
    from freqtrade.optimize.optimize_reports import generate_strategy_stats
    from freqtrade.resolvers.hyperopt_resolver import HyperOptLossResolver

    config = {**_config(), "hyperopt_loss": name, **extra}
    results = trades.copy()
    results["trade_duration"] = [
        int((t.close_date - t.open_date).total_seconds() // 60) for t in trades.itertuples()
    ]
    for column, value in (("enter_tag", None), ("is_open", False), ("leverage", 1.0)):
        results[column] = value
    results["orders"] = [  # what Freqtrade's backtest sets: amount * rate * (1 + fee)
        [{"cost": t.amount * t.open_rate * 1.001}, {"cost": t.amount * t.close_rate * 1.001}]
        for t in trades.itertuples()
    ]
    window = _window()
    content = {
        "results": results, "config": config, "locks": [], "rejected_signals": 0,
        "timedout_entry_orders": 0, "timedout_exit_orders": 0, "canceled_trade_entries": 0,
        "canceled_entry_orders": 0, "replaced_entry_orders": 0,
        "final_balance": 1000.0 + results["profit_abs"].sum(),
        "backtest_start_time": 0, "backtest_end_time": 0,
    }  # fmt: skip
    stats = generate_strategy_stats(
        list(PAIRS), "ParamStrategy", content, window.min_date, window.max_date,
        market_change=0.0, is_hyperopt=True,
    )  # fmt: skip
    loss = HyperOptLossResolver.load_hyperoptloss(config)
    return float(loss.hyperopt_loss_function(
        results=results, trade_count=len(results), min_date=window.min_date,
        max_date=window.max_date, config=config, processed={}, backtest_stats=stats,
        starting_balance=1000.0,
    ))  # fmt: skip


@pytest.mark.parametrize("name", LOSSES)
def test_each_builtin_loss_gives_freqtrades_value(name: str) -> None:
    trades = _trades(120, seed=len(name))
    loss = resolve_loss(name, _config())
    value = loss.value(trades, _window(), _config())
    assert loss.objective == f"loss:{name}"
    assert value == pytest.approx(_freqtrade_value(name, trades, {}), rel=1e-12, abs=1e-12)


def test_losses_rank_trades_as_freqtrade_does() -> None:
    """Lower is better: more profit gives a lower OnlyProfit loss."""
    loss = resolve_loss("OnlyProfitHyperOptLoss", _config())
    trades = _trades(50, seed=1)
    better = trades.assign(profit_abs=trades.profit_abs + 1.0)
    assert loss.value(better, _window(), _config()) < loss.value(trades, _window(), _config())


def test_a_users_loss_class_from_hyperopt_path(tmp_path: Path) -> None:
    (tmp_path / "winners_loss.py").write_text(USER_LOSS)
    trades = _trades(80, seed=5)
    loss = resolve_loss("WinnersLoss", _config(), hyperopt_path=tmp_path)
    expected = _freqtrade_value("WinnersLoss", trades, {"hyperopt_path": str(tmp_path)})
    assert loss.value(trades, _window(), _config()) == pytest.approx(expected)
    assert expected < 0


def test_an_unknown_loss_lists_the_builtin_ones() -> None:
    with pytest.raises(ConfigError, match="SharpeHyperOptLoss") as caught:
        resolve_loss("SharpLoss", _config())
    assert caught.value.where == "--hyperopt-loss"


def test_a_loss_that_raises_or_is_not_finite_fails_the_trial(tmp_path: Path) -> None:
    (tmp_path / "bad_loss.py").write_text(
        USER_LOSS.replace("WinnersLoss", "NanLoss").replace(
            'return -backtest_stats["results_per_pair"][0]["wins"] / trade_count',
            "return float('nan') if trade_count else 1 / 0",
        )
    )
    loss = resolve_loss("NanLoss", _config(), hyperopt_path=tmp_path)
    with pytest.raises(BacktestError, match="nan"):
        loss.value(_trades(10, seed=2), _window(), _config())
    with pytest.raises(StrategyError, match="ZeroDivisionError"):
        loss.value(_trades(0, seed=2), _window(), _config())


def test_results_frame_adds_freqtrades_derived_columns() -> None:
    trades = _trades(3, seed=9)
    results = results_frame(trades, fee=0.002)
    minutes = (trades.close_date - trades.open_date).dt.total_seconds() // 60
    assert results["trade_duration"].tolist() == minutes.astype(int).tolist()
    assert not results["is_open"].any()
    first = trades.iloc[0]
    assert results["orders"][0][1]["cost"] == pytest.approx(first.amount * first.close_rate * 1.002)
    assert results["open_timestamp"].tolist() == [
        int(t.timestamp() * 1000) for t in trades.open_date
    ]
