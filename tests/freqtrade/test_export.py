"""export: the summary is Freqtrade's own numbers on genesis's trades, undefined ones None."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from genesis.freqtrade.backtest import FtBacktest
from genesis.freqtrade.export import result_document, summary

START = pd.Timestamp("2020-01-01", tz="UTC")
END = pd.Timestamp("2020-03-01", tz="UTC")


def result(profits: list[float]) -> FtBacktest:
    n = len(profits)
    opened = pd.date_range("2020-01-02", periods=n, freq="D", tz="UTC")
    trades = pd.DataFrame(
        {
            "pair": ["BTC/USDT"] * n,
            "open_date": opened,
            "close_date": opened + pd.Timedelta(hours=5),
            "open_rate": np.full(n, 100.0),
            "close_rate": np.full(n, 101.0),
            "amount": np.ones(n),
            "stake_amount": np.full(n, 100.0),
            "profit_abs": np.array(profits, dtype=float),
            "profit_ratio": np.array(profits, dtype=float) / 100.0,
            "trade_duration": np.full(n, 300),
            "exit_reason": ["roi"] * (n - 1) + ["stop_loss"] if n else [],
            "is_short": np.zeros(n, dtype=bool),
        }
    )
    return FtBacktest(trades, np.zeros(0), np.zeros(0, dtype=np.int64), 1000.0)


def test_summary_counts_and_totals() -> None:
    stats = summary(result([10.0, -4.0, 6.0, 0.0]), START, END, stake_currency="USDT")
    assert stats["total_trades"] == 4
    assert stats["profit_total_abs"] == pytest.approx(12.0)
    assert stats["profit_total"] == pytest.approx(0.012)
    assert (stats["wins"], stats["draws"], stats["losses"]) == (2, 1, 1)
    assert stats["winrate"] == pytest.approx(0.5)
    assert stats["final_balance"] == pytest.approx(1012.0)
    assert stats["max_drawdown_abs"] == pytest.approx(4.0)
    assert stats["max_drawdown_account"] == pytest.approx(4.0 / 1010.0)
    assert stats["profit_factor"] == pytest.approx(16.0 / 4.0)
    assert stats["exit_reasons"] == {"roi": 3, "stop_loss": 1}
    assert stats["sharpe"] is not None and stats["sharpe"] > 0


def test_undefined_metrics_are_none_not_freqtrades_stand_ins() -> None:
    empty = summary(result([]), START, END)
    assert empty["total_trades"] == 0
    assert empty["winrate"] is None and empty["profit_mean"] is None
    assert empty["sharpe"] is None and empty["profit_factor"] is None
    no_loss = summary(result([5.0, 5.0]), START, END)
    assert no_loss["sortino"] is None  # Freqtrade says -100 (no downside deviation)
    assert no_loss["profit_factor"] is None and no_loss["expectancy_ratio"] is None
    assert no_loss["winrate"] == 1.0


def test_document_is_freqtrades_layout_and_plain_json() -> None:
    document = result_document(
        "MyStrategy", result([3.0, -1.0]), START, END, extra={"data_fingerprint": "abc"}
    )
    text = json.dumps(document, allow_nan=False)
    back = json.loads(text)
    body = back["strategy"]["MyStrategy"]
    assert body["total_trades"] == len(body["trades"]) == 2
    assert body["trades"][0]["open_date"] == "2020-01-02 00:00:00+00:00"
    assert body["trades"][1]["profit_abs"] == -1.0
    assert back["genesis"] == {"data_fingerprint": "abc"}
