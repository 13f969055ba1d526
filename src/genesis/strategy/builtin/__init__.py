"""The strategies that ship with genesis, one module each; the registry finds them here."""

from __future__ import annotations

from genesis.strategy.builtin.donchian_breakout import DonchianBreakout
from genesis.strategy.builtin.ema_cross import EmaCross
from genesis.strategy.builtin.genesis_trend import GenesisTrend
from genesis.strategy.builtin.rsi_reversion import RsiReversion

__all__ = ["DonchianBreakout", "EmaCross", "GenesisTrend", "RsiReversion"]
