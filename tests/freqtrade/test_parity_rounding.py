"""The kernel's tick rounding against Freqtrade's own precision functions, and the refusals
of what the kernel does not follow (fast checks beside the slow trade-for-trade parity)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from genesis.errors import ConfigError, StrategyError
from genesis.freqtrade._kernels import to_tick_nb
from genesis.freqtrade.backtest import _tick_parts
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
