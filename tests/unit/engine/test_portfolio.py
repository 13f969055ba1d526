"""The portfolio kernel: one wallet over several markets, slots, stake rules, alignment.

Hand-made candles without costs unless a test says otherwise; ``row`` is an index into
the common time index of the markets.
"""

from __future__ import annotations

import numpy as np
import pytest

from genesis.data import Candles
from genesis.engine import BacktestSettings, ExitReason, ExitRules, Signals, run_backtest
from genesis.engine.portfolio import (
    PortfolioSettings,
    StakeRule,
    align_markets,
    run_portfolio,
)
from genesis.errors import BacktestError, ConfigError

HOUR_MS = 3_600_000


def market(symbol: str, closes: list[float], hours: list[int] | None = None) -> Candles:
    """Flat bars (open = high = low = close) at ``hours`` (default 0, 1, …)."""
    prices = np.array(closes, dtype=float)
    ts = np.array(hours if hours is not None else range(len(closes))) * HOUR_MS
    return Candles.from_arrays(
        ts, prices, prices, prices, prices, np.ones(len(prices)), symbol=symbol
    )


def longs(n: int, entries: tuple[int, ...], exits: tuple[int, ...] = ()) -> Signals:
    entry, exit_ = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    entry[list(entries)] = True
    exit_[list(exits)] = True
    return Signals(entry_long=entry, exit_long=exit_)


def settings(**overrides: object) -> PortfolioSettings:
    base: dict[str, object] = {"fee_bps": 0.0, "slippage_bps": 0.0, "max_open_positions": 2}
    return PortfolioSettings(**{**base, **overrides})  # type: ignore[arg-type]


def test_one_market_one_slot_all_equity_is_the_single_market_engine() -> None:
    rng = np.random.default_rng(4)
    n = 800
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.r_[100.0, close[:-1]] * np.exp(rng.normal(0, 0.003, n))
    high = np.maximum(open_, close) * (1 + rng.random(n) * 0.01)
    low = np.minimum(open_, close) * (1 - rng.random(n) * 0.01)
    candles = Candles.from_arrays(np.arange(n) * HOUR_MS, open_, high, low, close, np.ones(n))
    signals = Signals(
        rng.random(n) < 0.05, rng.random(n) < 0.05, rng.random(n) < 0.05, rng.random(n) < 0.05,
        stop_loss=np.where(rng.random(n) < 0.7, close * 0.01, np.nan),
        take_profit=np.where(rng.random(n) < 0.7, close * 0.02, np.nan),
    )  # fmt: skip
    single = run_backtest(candles, signals, BacktestSettings(fee_bps=7, slippage_bps=3))
    wallet = PortfolioSettings(
        fee_bps=7, slippage_bps=3, max_open_positions=1,
        stake_rule=StakeRule.FRACTION, stake_value=1.0,
    )  # fmt: skip
    many = run_portfolio([candles], [signals], wallet)
    assert len(single.trades) > 30
    for name in ("entry_idx", "exit_idx", "direction", "exit_reason"):
        np.testing.assert_array_equal(getattr(many.trades, name), getattr(single.trades, name))
    for name in ("entry_price", "exit_price", "size", "pnl"):
        np.testing.assert_allclose(
            getattr(many.trades, name), getattr(single.trades, name), rtol=1e-9
        )
    np.testing.assert_allclose(many.equity, single.equity, rtol=1e-9)
    np.testing.assert_array_equal(many.position[:, 0], single.position)


def test_markets_are_aligned_without_invented_bars() -> None:
    a = market("A", [100] * 6)
    b = market("B", [50, 50, 60, 60, 60], hours=[0, 1, 3, 4, 5])  # no bar at hour 2
    grid = align_markets([a, b])
    assert grid.ts_ms.tolist() == [h * HOUR_MS for h in range(6)]
    assert grid.rows[1].tolist() == [0, 1, 3, 4, 5]
    # B's entry on its bar at hour 1 fills at its next bar: hour 3, not at the missing 2
    result = run_portfolio([a, b], [longs(6, ()), longs(5, (1,))], settings())
    assert result.market.tolist() == [1] and result.trades.entry_idx.tolist() == [3]
    assert result.trades.entry_price.tolist() == [60.0]
    assert result.position[:, 1].tolist() == [0, 0, 0, 1, 1, 1]


def test_the_first_listed_market_gets_a_slot_first_and_a_freed_slot_is_reused() -> None:
    markets = [market(s, [100] * 8) for s in ("A", "B", "C")]
    signals = [longs(8, (0,), exits=(2,)), longs(8, (0,)), longs(8, (0, 4))]
    result = run_portfolio(markets, signals, settings(max_open_positions=2))
    opened = sorted(zip(result.trades.entry_idx.tolist(), result.market.tolist(), strict=True))
    # row 1: A and B take both slots, C is refused; A exits at row 3; C enters at row 5
    assert opened == [(1, 0), (1, 1), (5, 2)]
    assert result.position[1].tolist() == [1, 1, 0]


def test_free_split_stakes_the_free_balance_over_the_free_slots() -> None:
    markets = [market("A", [100, 100, 110, 110]), market("B", [20, 20, 20, 20])]
    result = run_portfolio(markets, [longs(4, (0,)), longs(4, (0,))], settings())
    sizes = dict(zip(result.market.tolist(), result.trades.size.tolist(), strict=True))
    assert sizes == {0: 5_000 / 100, 1: 5_000 / 20}  # 10,000 over 2 slots, then 5,000 over 1
    # equity: A's 50 units gain 10 each from row 2 on; both close at the end of their data
    assert result.equity.tolist() == [10_000.0, 10_000.0, 10_500.0, 10_500.0]
    assert set(result.trades.exit_reason.tolist()) == {ExitReason.END_OF_DATA}


def test_fixed_stake_is_capped_at_the_free_balance() -> None:
    markets = [market("A", [100] * 4), market("B", [100] * 4)]
    wallet = settings(stake_rule=StakeRule.FIXED, stake_value=8_000.0)
    result = run_portfolio(markets, [longs(4, (0,)), longs(4, (0,))], wallet)
    assert result.trades.size.tolist() == [80.0, 20.0]  # 8,000 then the 2,000 left


def test_fraction_stakes_a_share_of_the_equity_at_the_open() -> None:
    markets = [market("A", [100, 100, 200, 200, 200]), market("B", [10] * 5)]
    wallet = settings(stake_rule=StakeRule.FRACTION, stake_value=0.5)
    result = run_portfolio(markets, [longs(5, (0,)), longs(5, (2,))], wallet)
    # A: 5,000 at row 1 (50 units); at row 3 A is worth 10,000: equity 15,000, B gets 7,500
    # but only 5,000 is free
    sizes = dict(zip(result.market.tolist(), result.trades.size.tolist(), strict=True))
    assert sizes == {0: 50.0, 1: 500.0}
    wallet = settings(stake_rule=StakeRule.FRACTION, stake_value=0.25)
    result = run_portfolio(markets, [longs(5, (0,)), longs(5, (2,))], wallet)
    sizes = dict(zip(result.market.tolist(), result.trades.size.tolist(), strict=True))
    assert sizes == {0: 25.0, 1: (0.25 * 12_500) / 10}  # 7,500 free + 25 * 200


def test_a_market_ending_early_closes_at_its_own_last_bar() -> None:
    a = market("A", [100] * 6)
    b = market("B", [10, 10, 12], hours=[0, 1, 2])
    result = run_portfolio([a, b], [longs(6, ()), longs(3, (0,))], settings())
    assert result.trades.exit_idx.tolist() == [2]
    assert result.trades.exit_reason.tolist() == [ExitReason.END_OF_DATA]
    assert result.equity[-1] == 10_000 + 500 * 2  # 5,000 / 10 units, +2 each


def test_unsupported_fields_and_mixed_timeframes_are_refused_by_market() -> None:
    a = market("A", [100] * 4)
    plain = longs(4, (0,))
    with_rules = Signals(plain.entry_long, plain.exit_long, exit_rules=ExitRules())
    with pytest.raises(BacktestError, match=r"market 'A': signals\.exit_rules is not supported"):
        run_portfolio([a], [with_rules], settings())
    daily = Candles.from_arrays(
        np.arange(4) * 86_400_000, *([np.ones(4) * 100] * 4), np.ones(4), symbol="D", timeframe="1d"
    )
    with pytest.raises(BacktestError, match="market 'D' is on 1d"):
        align_markets([a, daily])


@pytest.mark.parametrize(
    "overrides",
    [
        {"max_open_positions": 0},
        {"stake_rule": StakeRule.FIXED, "stake_value": 0.0},
        {"stake_rule": StakeRule.FRACTION, "stake_value": 1.5},
    ],
)
def test_settings_out_of_range_are_config_errors(overrides: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="portfolio setting"):
        settings(**overrides)


def random_market(
    rng: np.random.Generator, symbol: str, hours: np.ndarray
) -> tuple[Candles, Signals]:
    n = len(hours)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = np.r_[100.0, close[:-1]] * np.exp(rng.normal(0, 0.005, n))
    high = np.maximum(open_, close) * (1 + rng.random(n) * 0.02)
    low = np.minimum(open_, close) * (1 - rng.random(n) * 0.02)
    candles = Candles.from_arrays(
        hours * HOUR_MS, open_, high, low, close, np.ones(n), symbol=symbol
    )
    signals = Signals(
        rng.random(n) < 0.1, rng.random(n) < 0.05, rng.random(n) < 0.1, rng.random(n) < 0.05,
        stop_loss=close * rng.uniform(0.005, 0.05, n), take_profit=close * 0.04,
    )  # fmt: skip
    return candles, signals


@pytest.mark.parametrize("seed", range(3))
def test_changing_every_row_after_t_changes_nothing_up_to_t(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hours = [np.sort(rng.choice(400, size=340, replace=False)) for _ in range(3)]
    wallet = settings(fee_bps=5.0, slippage_bps=2.0, stake_rule=StakeRule.FRACTION, stake_value=0.4)
    base = [random_market(rng, s, h) for s, h in zip("ABC", hours, strict=True)]
    other = [random_market(rng, s, h) for s, h in zip("ABC", hours, strict=True)]
    result = run_portfolio([m for m, _ in base], [s for _, s in base], wallet)
    assert len(result.trades) > 30
    for t in rng.integers(0, 399, size=5):
        spliced = [_splice(a, b, h, int(t)) for a, b, h in zip(base, other, hours, strict=True)]
        changed = run_portfolio([m for m, _ in spliced], [s for _, s in spliced], wallet)
        rows = int(np.searchsorted(result.ts_ms, t * HOUR_MS, side="right"))  # hours <= t
        np.testing.assert_array_equal(result.equity[:rows], changed.equity[:rows])
        np.testing.assert_array_equal(result.position[:rows], changed.position[:rows])
        assert not np.array_equal(result.equity[rows:], changed.equity[rows:])


def _splice(
    a: tuple[Candles, Signals], b: tuple[Candles, Signals], hours: np.ndarray, t: int
) -> tuple[Candles, Signals]:
    """Market ``a`` up to and including hour ``t``, ``b`` after it (bars and signals)."""
    keep = int(np.searchsorted(hours, t, side="right"))

    def join(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.concatenate([x[:keep], y[keep:]])

    (ca, sa), (cb, sb) = a, b
    cols = (join(getattr(ca, f), getattr(cb, f)) for f in ("open", "high", "low", "close"))
    candles = Candles.from_arrays(ca.ts_ms, *cols, ca.volume, symbol=ca.symbol)
    names = ("entry_long", "exit_long", "entry_short", "exit_short", "stop_loss", "take_profit")
    return candles, Signals(**{n: join(getattr(sa, n), getattr(sb, n)) for n in names})
