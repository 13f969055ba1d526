"""Hand-computed fills, costs, sizing, reversals and input checks of run_backtest."""

from __future__ import annotations

import numpy as np
import pytest

from genesis import engine
from genesis.data import Candles
from genesis.engine import BacktestSettings, ExitReason, Signals, run_backtest
from genesis.errors import BacktestError, ConfigError

HOUR_MS = 3_600_000
FEE = 10e-4  # 10 bps
SLIP = 5e-4  # 5 bps
SETTINGS = BacktestSettings(initial_capital=10_000.0, fee_bps=10.0, slippage_bps=5.0)


def make_candles(open_: list[float], high=None, low=None, close=None) -> Candles:  # type: ignore[no-untyped-def]
    """Candles with the given opens; high/low/close default to a flat bar at the open."""
    o = np.asarray(open_, dtype=float)
    return Candles.from_arrays(
        ts_ms=np.arange(o.size) * HOUR_MS,
        open=o,
        high=o if high is None else high,
        low=o if low is None else low,
        close=o if close is None else close,
        volume=np.ones(o.size),
    )


def flags(n: int, *bars: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[list(bars)] = True
    return out


def test_exports_are_the_documented_surface() -> None:
    assert set(engine.__all__) == {
        "ENGINE_VERSION",
        "BacktestResult",
        "BacktestSettings",
        "ExitReason",
        "ExitRules",
        "Signals",
        "Trades",
        "run_backtest",
    }


def test_long_fills_at_next_open_with_fee_and_slippage() -> None:
    candles = make_candles([100, 101, 102, 103, 104], close=[100.5, 101.5, 102.5, 103.5, 104.5])
    signals = Signals(entry_long=flags(5, 0), exit_long=flags(5, 2))
    result = run_backtest(candles, signals, SETTINGS)

    entry = 101 * (1 + SLIP)  # bar 0's signal fills at bar 1's open, slipped up
    units = 10_000 / (entry * (1 + FEE))  # notional + fee = all equity
    entry_fee = units * entry * FEE
    exit_ = 103 * (1 - SLIP)  # bar 2's exit fills at bar 3's open, slipped down
    exit_fee = units * exit_ * FEE
    pnl = units * (exit_ - entry) - entry_fee - exit_fee

    trades = result.trades
    assert len(trades) == 1
    assert (trades.entry_idx[0], trades.exit_idx[0], trades.direction[0]) == (1, 3, 1)
    assert trades.entry_price[0] == pytest.approx(entry, rel=1e-12)
    assert trades.exit_price[0] == pytest.approx(exit_, rel=1e-12)
    assert trades.size[0] == pytest.approx(units, rel=1e-12)
    assert trades.pnl[0] == pytest.approx(pnl, rel=1e-12)
    assert trades.return_pct[0] == pytest.approx(100 * pnl / 10_000, rel=1e-12)
    assert trades.exit_reason[0] == ExitReason.SIGNAL
    assert result.position.tolist() == [0, 1, 1, 0, 0]
    # Marked at each close: bar 1 holds units bought for 10_000 (fee included).
    assert result.equity[0] == 10_000
    assert result.equity[1] == pytest.approx(units * 101.5, rel=1e-12)
    assert result.equity[4] == pytest.approx(10_000 + pnl, rel=1e-12)


def test_short_trade_profits_from_a_fall() -> None:
    candles = make_candles([100, 100, 90, 80, 80])
    signals = Signals(
        entry_long=flags(5), exit_long=flags(5), entry_short=flags(5, 0), exit_short=flags(5, 2)
    )
    result = run_backtest(candles, signals, SETTINGS)

    entry = 100 * (1 - SLIP)  # a sell fills lower
    units = 10_000 / (entry * (1 + FEE))
    exit_ = 80 * (1 + SLIP)  # the buy-back fills higher
    pnl = units * (entry - exit_) - units * entry * FEE - units * exit_ * FEE
    assert len(result.trades) == 1
    assert result.trades.direction[0] == -1
    assert result.trades.pnl[0] == pytest.approx(pnl, rel=1e-12)
    assert result.position.tolist() == [0, -1, -1, 0, 0]
    assert result.equity[-1] == pytest.approx(10_000 + pnl, rel=1e-12)


def test_opposite_entry_reverses_at_the_same_open() -> None:
    candles = make_candles([100, 100, 110, 120, 120])
    signals = Signals(
        entry_long=flags(5, 0), exit_long=flags(5), entry_short=flags(5, 1), exit_short=flags(5, 2)
    )
    result = run_backtest(candles, signals, BacktestSettings(fee_bps=0, slippage_bps=0))
    trades = result.trades
    assert trades.direction.tolist() == [1, -1]
    assert trades.entry_idx.tolist() == [1, 2]
    assert trades.exit_idx.tolist() == [2, 3]
    assert trades.exit_reason.tolist() == [ExitReason.REVERSAL, ExitReason.SIGNAL]
    long_units = 10_000 / 100
    assert trades.pnl[0] == pytest.approx(long_units * 10)
    short_units = 11_000 / 110  # sized on the equity after the long closed
    assert trades.size[1] == pytest.approx(short_units)
    assert trades.pnl[1] == pytest.approx(-short_units * 10)
    assert result.position.tolist() == [0, 1, -1, 0, 0]


def test_same_direction_entry_is_ignored_and_both_entries_cancel() -> None:
    candles = make_candles([100] * 6)
    signals = Signals(
        entry_long=flags(6, 0, 1, 3),
        exit_long=flags(6, 2),
        entry_short=flags(6, 3),
    )
    result = run_backtest(candles, signals, BacktestSettings(fee_bps=0, slippage_bps=0))
    assert result.trades.entry_idx.tolist() == [1]  # bar 1's long entry changes nothing
    assert result.position.tolist() == [0, 1, 1, 0, 0, 0]  # bar 3: long and short = no entry


def test_open_position_closes_at_last_close_and_last_signal_is_not_filled() -> None:
    candles = make_candles([100, 100, 100, 100], close=[100, 100, 100, 120])
    signals = Signals(entry_long=flags(4, 0), exit_long=flags(4, 3))
    result = run_backtest(candles, signals, BacktestSettings(fee_bps=0, slippage_bps=0))
    assert len(result.trades) == 1
    assert result.trades.exit_idx[0] == 3
    assert result.trades.exit_price[0] == 120
    assert result.trades.exit_reason[0] == ExitReason.END_OF_DATA
    assert result.equity[-1] == pytest.approx(12_000)
    # An entry on the last bar is never filled.
    late = run_backtest(candles, Signals(flags(4, 3), flags(4)), SETTINGS)
    assert len(late.trades) == 0
    assert np.all(late.equity == 10_000)


def test_position_fraction_sizes_on_current_equity() -> None:
    candles = make_candles([100, 100, 200, 200, 100, 50])
    signals = Signals(entry_long=flags(6, 0, 3), exit_long=flags(6, 1, 4))
    settings = BacktestSettings(fee_bps=0, slippage_bps=0, position_fraction=0.5)
    result = run_backtest(candles, signals, settings)
    # Half of 10_000 at 100, then half of 15_000 at 100.
    assert result.trades.size.tolist() == pytest.approx([50.0, 75.0])
    assert result.trades.pnl.tolist() == pytest.approx([5_000.0, -3_750.0])
    assert result.equity[-1] == pytest.approx(11_250.0)


def test_flat_at_end_equity_equals_capital_plus_pnl() -> None:
    rng = np.random.default_rng(7)
    n = 2_000
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.r_[100.0, close[:-1]]
    high, low = np.maximum(open_, close) * 1.01, np.minimum(open_, close) * 0.99
    candles = make_candles(open_, high=high, low=low, close=close)
    signals = Signals(
        entry_long=rng.random(n) < 0.05,
        exit_long=rng.random(n) < 0.05,
        entry_short=rng.random(n) < 0.05,
        exit_short=rng.random(n) < 0.05,
        stop_loss=np.full(n, 2.0),
        take_profit=np.full(n, 3.0),
        trailing_stop=np.full(n, 2.5),
    )
    result = run_backtest(candles, signals, SETTINGS)
    assert len(result.trades) > 50
    assert result.position[-1] != 0 or result.trades.exit_idx[-1] < n - 1
    assert result.equity[-1] == pytest.approx(10_000 + result.trades.pnl.sum(), rel=1e-9)
    assert np.all(result.trades.entry_idx[1:] >= result.trades.exit_idx[:-1])
    assert set(np.unique(result.trades.exit_reason)) >= {1, 2, 3}


@pytest.mark.parametrize("field", ["entry_long", "exit_long", "entry_short", "stop_loss"])
def test_wrong_length_raises_backtest_error_naming_the_field(field: str) -> None:
    candles = make_candles([100] * 5)
    short = np.zeros(4, dtype=float if field == "stop_loss" else bool)
    base = {"entry_long": flags(5), "exit_long": flags(5), field: short}
    with pytest.raises(BacktestError, match=rf"signals\.{field} must be .* of 5 values"):
        run_backtest(candles, Signals(**base), SETTINGS)


def test_wrong_dtype_and_type_raise_backtest_error() -> None:
    candles = make_candles([100] * 5)
    with pytest.raises(BacktestError, match="entry_long must be a 1-d bool"):
        run_backtest(candles, Signals(np.zeros(5, dtype=np.int64), flags(5)), SETTINGS)  # type: ignore[arg-type]
    with pytest.raises(BacktestError, match="must be a numpy array, got list"):
        run_backtest(candles, Signals([False] * 5, flags(5)), SETTINGS)  # type: ignore[arg-type]
    with pytest.raises(BacktestError, match="zero candles"):
        run_backtest(make_candles([]), Signals(flags(0), flags(0)), SETTINGS)


def test_non_contiguous_arrays_are_accepted() -> None:
    candles = make_candles([100, 100, 110, 110])
    entries = np.zeros(8, dtype=bool)
    entries[0] = True
    result = run_backtest(candles, Signals(entries[::2], flags(4)), SETTINGS)
    assert result.trades.entry_idx.tolist() == [1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_capital": 0.0},
        {"fee_bps": -1.0},
        {"slippage_bps": float("nan")},
        {"position_fraction": 0.0},
    ],
)
def test_settings_out_of_range_raise_config_error(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="backtest setting"):
        BacktestSettings(**kwargs)
