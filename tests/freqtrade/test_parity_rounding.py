"""The kernel's tick rounding against Freqtrade's own precision functions, and the refusals
of what the kernel does not follow (fast checks beside the slow trade-for-trade parity)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from genesis.errors import ConfigError, DataError, StrategyError
from genesis.freqtrade._kernels import to_tick_nb
from genesis.freqtrade.backtest import Layouts, PairFrame, _tick_parts, run_backtest
from genesis.freqtrade.rules import ExitRules, Wallet


def _values(seed: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    ticks = [1e-8, 1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.1, 0.5, 1.0, 0.25, 0.005]
    values: list[tuple[float, float]] = []
    for tick in ticks:
        base = rng.uniform(0.5, 5000.0, 300)
        on_grid = np.round(base / tick) * tick
        # Stops and ROI rates as Freqtrade computes them: grid prices times ratios.
        values += [(float(v), tick) for v in base]
        values += [
            (float(v * r), tick) for v, r in zip(on_grid, rng.uniform(0.8, 1.2, 300), strict=True)
        ]
        values += [(float(v) * 0.92, tick) for v in on_grid[:50]]
        values += [(float(v), tick) for v in on_grid[:50]]
    return values


@pytest.mark.parametrize("seed", [1, 2])
def test_to_tick_matches_freqtrade_price_and_amount_precision(seed: int) -> None:
    from ccxt import ROUND, ROUND_UP, TICK_SIZE
    from freqtrade.exchange.exchange_utils import amount_to_precision, price_to_precision

    wrong = []
    for value, tick in _values(seed):
        scale, units = _tick_parts(np.array([tick]))
        s, u = float(scale[0]), float(units[0])
        expected = {
            1: price_to_precision(value, tick, TICK_SIZE, rounding_mode=ROUND_UP),
            0: price_to_precision(value, tick, TICK_SIZE, rounding_mode=ROUND),
            -1: amount_to_precision(value, tick, TICK_SIZE),
        }
        for mode, want in expected.items():
            got = to_tick_nb(value, s, u, mode)
            if got != want:
                wrong.append((value, tick, mode, got, want))
    assert not wrong, wrong[:10]


def test_exit_rules_read_a_strategy_with_legacy_names() -> None:
    class Legacy:
        minimal_roi: ClassVar[dict[str, float]] = {"30": 0.01, "0": 0.04}
        stoploss = -0.1
        use_sell_signal = False
        sell_profit_only = True
        sell_profit_offset = 0.02

    rules = ExitRules.from_strategy(Legacy())
    assert rules.minimal_roi == ((0, 0.04), (30, 0.01))
    assert not rules.use_exit_signal
    assert rules.exit_profit_only
    assert rules.exit_profit_offset == 0.02


def test_shorting_and_position_adjustment_are_refused_by_name() -> None:
    class Short:
        minimal_roi: ClassVar[dict[str, float]] = {"0": 0.04}
        stoploss = -0.1
        can_short = True

    class Dca(Short):
        can_short = False
        position_adjustment_enable = True

    with pytest.raises(StrategyError, match="can_short"):
        ExitRules.from_strategy(Short())
    with pytest.raises(StrategyError, match="position_adjustment_enable"):
        ExitRules.from_strategy(Dca())


def test_wallet_refuses_unlimited_stake_with_unlimited_slots() -> None:
    with pytest.raises(ConfigError, match="unlimited"):
        Wallet(max_open_trades=-1, stake_amount=None)


def _frame(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))), 2)
    open_ = np.r_[100.0, close[:-1]]
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC"),
            "open": open_,
            "high": np.maximum(open_, close) + 0.5,
            "low": np.minimum(open_, close) - 0.5,
            "close": close,
            "volume": 1.0,
        }
    )
    frame["enter_long"] = (np.arange(n) % 7 == 0).astype(float)
    frame["exit_long"] = 0.0
    return frame


def test_entries_fill_at_the_next_open_and_equity_books_each_exit() -> None:
    frame = _frame()
    rules = ExitRules(minimal_roi=((0, -1.0),), stoploss=-0.5)  # exit at the entry's open
    result = run_backtest([PairFrame("A/USDT", frame)], rules, Wallet(1, 100.0))
    trades = result.trades
    signals = frame.index[frame["enter_long"] == 1]
    expected_opens = frame["date"].iloc[[i + 1 for i in signals if 0 < i + 1 < len(frame) - 1]]
    assert list(trades["open_date"]) == list(expected_opens)
    assert (trades["exit_reason"] == "roi").all()
    assert np.allclose(trades["open_rate"], frame.set_index("date").loc[expected_opens, "open"])
    closed = np.searchsorted(result.dates, trades["close_timestamp"].to_numpy())
    booked = np.zeros(len(result.dates))
    np.add.at(booked, closed, trades["profit_abs"].to_numpy())
    assert np.allclose(result.equity, 1000.0 + np.cumsum(booked))


def test_a_frame_without_prices_is_a_data_error() -> None:
    frame = _frame().drop(columns=["low"])
    with pytest.raises(DataError, match="low"):
        run_backtest([PairFrame("A/USDT", frame)], ExitRules(((0, 0.1),), -0.1), Wallet(1, 100.0))


def test_cached_layouts_give_the_trades_of_a_fresh_layout() -> None:
    frame = _frame()
    frame["enter_tag"] = np.where(frame["enter_long"] == 1, "seven", "")
    pairs = [PairFrame("A/USDT", frame), PairFrame("B/USDT", frame.iloc[50:].copy())]
    layouts = Layouts(size=1)
    for stoploss, slots in ((-0.02, 1), (-0.05, 2), (-0.02, 1)):
        rules = ExitRules(minimal_roi=((0, 0.03), (120, 0.0)), stoploss=stoploss)
        fresh = run_backtest(pairs, rules, Wallet(slots, 100.0))
        cached = run_backtest(pairs, rules, Wallet(slots, 100.0), layouts=layouts)
        assert len(fresh.trades) > 3
        pd.testing.assert_frame_equal(cached.trades, fresh.trades)
        assert np.array_equal(cached.equity, fresh.equity)
    assert list(fresh.trades["enter_tag"].dropna().unique()) == ["seven"]
    other = [PairFrame("A/USDT", frame.iloc[:200].copy())]  # other frames: laid out anew
    short = run_backtest(other, rules, Wallet(1, 100.0), layouts=layouts)
    assert len(short.dates) == 199
