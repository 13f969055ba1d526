"""A strategy whose signals take 50 ms longer: an expensive backtest, for bench/loop.py."""

from __future__ import annotations

import time
from collections.abc import Mapping

from genesis.engine.types import Signals
from genesis.features import Features
from genesis.strategy import ParamValue
from genesis.strategy.builtin.genesis_trend import GenesisTrend

SLEEP_S = 0.05


class SlowTrend(GenesisTrend):
    """genesis_trend plus a 50 ms sleep per backtest."""

    name = "slow_trend"

    def signals(self, features: Features, params: Mapping[str, ParamValue]) -> Signals:
        time.sleep(SLEEP_S)
        return super().signals(features, params)
