"""``ema_cross``: trade the crossings of a fast and a slow EMA of the close.

Long when the fast EMA crosses above the slow one, out (or short, when ``allow_short``)
when it crosses below. Decided on the crossing bar's close; the first possible signal is
at bar ``slow`` (both EMAs must be defined on the bar before). An optional stop-loss sits
``atr_stop_mult`` ATRs from the entry.
"""

from __future__ import annotations

from collections.abc import Mapping

from genesis.engine.types import Signals
from genesis.features import Features
from genesis.strategy.base import ParamSpec, ParamValue
from genesis.strategy.builtin._rules import atr_distance, atr_specs, cross_nb, require_less, schema


class EmaCross:
    """Fast/slow EMA crossover, long and optionally short, with an optional ATR stop."""

    name = "ema_cross"
    version = "1"
    params: Mapping[str, ParamSpec] = schema(
        fast=ParamSpec("int", 12, 2, 200, help="fast EMA period (must be < slow)"),
        slow=ParamSpec("int", 26, 3, 400, help="slow EMA period"),
        allow_short=ParamSpec("bool", False, help="go short on a downward crossing"),
        **atr_specs(stop_mult=0.0),
    )

    def signals(self, features: Features, params: Mapping[str, ParamValue]) -> Signals:
        """Entries and exits at the EMA crossings (see the module docstring).

        Raises:
            StrategyError: when ``fast >= slow``.
        """
        require_less(params, "fast", "slow", self.name)
        up, down = cross_nb(features.ema(int(params["fast"])), features.ema(int(params["slow"])))
        short = bool(params["allow_short"])
        return Signals(
            entry_long=up,
            exit_long=down,
            entry_short=down if short else None,
            exit_short=up if short else None,
            stop_loss=atr_distance(
                features, int(params["atr_period"]), float(params["atr_stop_mult"])
            ),
        )
