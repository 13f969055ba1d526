"""No look-ahead: nothing the engine reports up to bar t depends on data after t."""

from __future__ import annotations

import numpy as np
import pytest

from genesis.data import Candles
from genesis.engine import BacktestSettings, ExitRules, Signals, run_backtest

N_BARS = 600


def random_market(rng: np.random.Generator, n: int) -> tuple[Candles, Signals]:
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = np.r_[100.0, close[:-1]] * np.exp(rng.normal(0, 0.005, n))  # gaps too
    high = np.maximum(open_, close) * (1 + rng.random(n) * 0.02)
    low = np.minimum(open_, close) * (1 - rng.random(n) * 0.02)
    candles = Candles.from_arrays(np.arange(n) * 3_600_000, open_, high, low, close, np.ones(n))
    signals = Signals(
        entry_long=rng.random(n) < 0.08,
        exit_long=rng.random(n) < 0.05,
        entry_short=rng.random(n) < 0.08,
        exit_short=rng.random(n) < 0.05,
        stop_loss=np.where(rng.random(n) < 0.8, close * rng.uniform(0.005, 0.05, n), np.nan),
        take_profit=np.where(rng.random(n) < 0.8, close * rng.uniform(0.01, 0.08, n), np.nan),
        trailing_stop=np.where(rng.random(n) < 0.5, close * rng.uniform(0.01, 0.05, n), np.nan),
    )
    return candles, signals


def splice(a: Candles, b: Candles, t: int) -> Candles:
    """``a`` up to and including bar t, ``b`` after it."""

    def join(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.concatenate([x[: t + 1], y[t + 1 :]])

    return Candles.from_arrays(
        a.ts_ms, *(join(getattr(a, f), getattr(b, f)) for f in ("open", "high", "low", "close")),
        a.volume,
    )  # fmt: skip


def splice_signals(a: Signals, b: Signals, t: int) -> Signals:
    fields = {}
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        is_array = isinstance(x, np.ndarray)
        fields[name] = np.concatenate([x[: t + 1], y[t + 1 :]]) if is_array else x
    return Signals(**fields)


RULES = ExitRules(
    roi=((0, 0.06), (5, 0.02), (30, -0.01)),
    stop_loss_frac=0.03,
    take_profit_frac=0.05,
    trailing_frac=0.01,
    trailing_offset_frac=0.015,
    exit_profit_only=True,
    exit_profit_offset=0.001,
)


@pytest.mark.parametrize("rules", [None, RULES], ids=["distances", "exit_rules"])
@pytest.mark.parametrize("seed", range(8))
def test_changing_every_bar_after_t_changes_nothing_up_to_t(
    seed: int, rules: ExitRules | None
) -> None:
    rng = np.random.default_rng(seed)
    candles, signals = random_market(rng, N_BARS)
    signals = Signals(**{**signals.__dict__, "exit_rules": rules})
    other_candles, other_signals = random_market(rng, N_BARS)
    settings = BacktestSettings(fee_bps=7.5, slippage_bps=3.0, position_fraction=0.9)
    base = run_backtest(candles, signals, settings)
    assert len(base.trades) > 20
    for t in rng.integers(0, N_BARS - 1, size=10):
        changed = run_backtest(
            splice(candles, other_candles, t), splice_signals(signals, other_signals, t), settings
        )
        np.testing.assert_array_equal(base.equity[: t + 1], changed.equity[: t + 1])
        np.testing.assert_array_equal(base.position[: t + 1], changed.position[: t + 1])
        # Trades closed by bar t are identical, field by field.
        done = base.trades.exit_idx <= t
        done_changed = changed.trades.exit_idx <= t
        for name in base.trades.__dataclass_fields__:
            np.testing.assert_array_equal(
                getattr(base.trades, name)[done], getattr(changed.trades, name)[done_changed]
            )
