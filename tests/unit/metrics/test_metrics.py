"""Each metric against a hand computation on small equity curves and trade lists."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from genesis import metrics as metrics_package
from genesis.engine import BacktestResult, Trades
from genesis.errors import BacktestError
from genesis.metrics import METRIC_DIRECTIONS, METRIC_NAMES, Metrics, compute_metrics

BARS_PER_YEAR = 4.0  # small, so annualizing is easy to do by hand


def make_result(
    equity: list[float],
    pnl: list[float] = (),  # type: ignore[assignment]
    position: list[int] | None = None,
    close: list[float] | None = None,
    first_open: float = 50.0,
) -> BacktestResult:
    n_trades = len(pnl)
    pnl_array = np.asarray(pnl, dtype=float)
    trades = Trades(
        entry_idx=np.zeros(n_trades, dtype=np.int64),
        exit_idx=np.zeros(n_trades, dtype=np.int64),
        direction=np.ones(n_trades, dtype=np.int8),
        entry_price=np.ones(n_trades),
        exit_price=np.ones(n_trades),
        size=np.ones(n_trades),
        pnl=pnl_array,
        return_pct=pnl_array / 10.0,  # as if 1000 were committed per trade
        exit_reason=np.zeros(n_trades, dtype=np.int8),
    )
    eq = np.asarray(equity, dtype=float)
    pos = np.zeros(eq.size, np.int8) if position is None else np.asarray(position, np.int8)
    closes = np.full(eq.size, 50.0) if close is None else np.asarray(close, dtype=float)
    return BacktestResult(
        eq, trades, pos, BARS_PER_YEAR, initial_capital=100.0, close=closes, first_open=first_open
    )


def test_names_and_directions_cover_every_field() -> None:
    assert tuple(Metrics.__dataclass_fields__) == METRIC_NAMES
    assert set(METRIC_DIRECTIONS) == set(METRIC_NAMES)
    assert METRIC_DIRECTIONS["max_drawdown_pct"] == "minimize"
    assert set(metrics_package.__all__) >= {"compute_metrics", "Metrics", "ScoreSpec", "Score"}


def test_returns_based_metrics_by_hand() -> None:
    # Capital 100 -> 110 -> 99 -> 121: returns +10 %, -10 %, +22.2 %.
    result = make_result([110.0, 99.0, 121.0], position=[1, 1, 0])
    m = compute_metrics(result)
    r = np.array([0.1, -0.1, 121 / 99 - 1])
    mean, std = r.mean(), r.std(ddof=1)
    assert m.total_return_pct == pytest.approx(21.0)
    assert m.final_equity == 121.0
    assert m.sharpe == pytest.approx(mean / std * 2.0)  # sqrt(4 bars per year)
    downside = math.sqrt(0.01 / 3)  # only -10 % is below zero, averaged over 3 bars
    assert m.sortino == pytest.approx(mean / downside * 2.0)
    assert m.max_drawdown_pct == pytest.approx(10.0)  # 110 -> 99
    years = 3 / BARS_PER_YEAR
    assert m.cagr_pct == pytest.approx((1.21 ** (1 / years) - 1) * 100)
    assert m.calmar == pytest.approx(m.cagr_pct / 10.0)
    assert m.exposure_pct == pytest.approx(200 / 3)


def test_drawdown_counts_a_fall_below_the_initial_capital() -> None:
    m = compute_metrics(make_result([90.0, 95.0, 80.0, 120.0]))
    assert m.max_drawdown_pct == pytest.approx(20.0)


def test_trade_metrics_by_hand() -> None:
    m = compute_metrics(make_result([100.0, 101.0], pnl=[30.0, -10.0, -5.0, 20.0]))
    assert m.n_trades == 4
    assert m.profit_factor == pytest.approx(50 / 15)
    assert m.win_rate_pct == pytest.approx(50.0)
    assert m.avg_trade_pct == pytest.approx((3.0 - 1.0 - 0.5 + 2.0) / 4)


def test_flat_curve_without_trades_leaves_ratios_undefined() -> None:
    m = compute_metrics(make_result([100.0] * 5))
    assert m.sharpe is None
    assert m.sortino is None
    assert m.calmar is None  # zero drawdown
    assert m.profit_factor is None
    assert m.win_rate_pct is None
    assert m.avg_trade_pct is None
    assert m.n_trades == 0
    assert m.max_drawdown_pct == 0.0
    assert m.total_return_pct == 0.0
    assert m.cagr_pct == 0.0


def test_no_losing_trade_means_no_profit_factor_and_no_negative_return_no_sortino() -> None:
    m = compute_metrics(make_result([101.0, 103.0, 106.0], pnl=[1.0, 2.0, 3.0]))
    assert m.profit_factor is None
    assert m.sortino is None
    assert m.sharpe is not None and m.sharpe > 0
    assert m.calmar is None


def test_ruined_account_has_no_return_ratios() -> None:
    m = compute_metrics(make_result([50.0, 0.0, -5.0], pnl=[-105.0]))
    assert m.sharpe is None and m.sortino is None and m.cagr_pct is None
    assert m.max_drawdown_pct == pytest.approx(105.0)
    assert m.total_return_pct == pytest.approx(-105.0)


def test_single_bar_has_no_sharpe() -> None:
    assert compute_metrics(make_result([105.0])).sharpe is None


def test_zero_bars_raise() -> None:
    with pytest.raises(BacktestError, match="zero bars"):
        compute_metrics(make_result([]))


def test_as_dict_is_json_ready_and_ordered() -> None:
    d = compute_metrics(make_result([110.0, 99.0, 121.0])).as_dict()
    assert tuple(d) == METRIC_NAMES
    assert all(v is None or type(v) in (int, float) for v in d.values())


def test_drawdown_duration_counts_bars_under_water() -> None:
    # Peaks at 110 (bar 0) and 130 (bar 5): under water on bars 1-4 (4 bars), then on 6-7.
    m = compute_metrics(make_result([110.0, 100.0, 105.0, 90.0, 109.0, 130.0, 120.0, 125.0]))
    assert m.max_drawdown_duration_bars == 4
    assert compute_metrics(make_result([100.0, 101.0, 102.0])).max_drawdown_duration_bars == 0
    # Below the initial capital from the first bar and never recovered: every bar counts.
    assert compute_metrics(make_result([99.0, 98.0, 99.5])).max_drawdown_duration_bars == 3
    # Back exactly at the peak ends the drawdown.
    assert compute_metrics(make_result([90.0, 100.0, 95.0])).max_drawdown_duration_bars == 1


def test_drawdown_duration_matches_a_pandas_reference() -> None:
    rng = np.random.default_rng(3)
    equity = 100.0 * np.cumprod(1.0 + rng.normal(0.0, 0.01, 2_000))
    series = pd.Series(np.concatenate([[100.0], equity]))
    under = series < series.cummax()
    runs = under.groupby((~under).cumsum()).sum()
    assert compute_metrics(make_result(list(equity))).max_drawdown_duration_bars == runs.max()


def test_buy_hold_exposure_adjusted_and_sqn_by_hand() -> None:
    result = make_result(
        [110.0, 99.0, 121.0],
        pnl=[10.0, -5.0, 16.0],
        position=[1, 0, 0],
        close=[41.0, 45, 50],
        first_open=40.0,
    )
    m = compute_metrics(result)
    assert m.buy_hold_return_pct == pytest.approx(25.0)  # bought at the first open, 40
    assert m.exposure_adjusted_return_pct == pytest.approx(21.0 * 3)  # 1 bar in 3 at risk
    pnl = np.array([10.0, -5.0, 16.0])
    assert m.sqn == pytest.approx(math.sqrt(3) * pnl.mean() / pnl.std(ddof=1))


def test_new_metrics_undefined_without_exposure_or_trades() -> None:
    m = compute_metrics(make_result([100.0] * 4, pnl=[2.0]))
    assert m.exposure_adjusted_return_pct is None  # never in a position
    assert m.sqn is None  # one trade has no spread


def test_a_result_without_prices_has_no_buy_and_hold() -> None:
    bare = BacktestResult(np.array([101.0, 102.0]), make_result([1.0]).trades, np.zeros(2, np.int8),
                          BARS_PER_YEAR, 100.0)  # fmt: skip
    assert compute_metrics(bare).buy_hold_return_pct is None
