"""``donchian_breakout``: the turtle rule — buy new highs, sell new lows.

Long when the close breaks above the highest high of the *previous* ``entry_period``
bars (the channel up to ``t - 1``: the bar being decided on cannot be part of its own
threshold, or a close could never exceed it and any use of bar ``t``'s high would look
ahead); short on a break below the previous lowest low (with ``allow_short``). A long is
closed when the close breaks below the lowest low of the previous ``exit_period`` bars
(a shorter channel), a short in the mirror case. Optional stop-loss at
``atr_stop_mult`` ATRs. The first possible signal is at bar ``entry_period``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numba import njit

from genesis.engine.types import BoolArray, FloatArray, Signals
from genesis.features import Features
from genesis.strategy.base import ParamSpec, ParamValue
from genesis.strategy.builtin._rules import atr_distance, atr_specs, require_less, schema


@njit(cache=True, nogil=True)
def breakout_nb(
    close: FloatArray,
    entry_upper: FloatArray,
    entry_lower: FloatArray,
    exit_upper: FloatArray,
    exit_lower: FloatArray,
) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray]:
    """``(entry_long, exit_long, entry_short, exit_short)``: bar ``t``'s close against
    the channels of bar ``t - 1``."""
    n = close.shape[0]
    entry_long = np.zeros(n, dtype=np.bool_)
    exit_long = np.zeros(n, dtype=np.bool_)
    entry_short = np.zeros(n, dtype=np.bool_)
    exit_short = np.zeros(n, dtype=np.bool_)
    for t in range(1, n):
        c = close[t]
        entry_long[t] = c > entry_upper[t - 1]  # NaN (warm-up) compares False
        entry_short[t] = c < entry_lower[t - 1]
        exit_long[t] = c < exit_lower[t - 1]
        exit_short[t] = c > exit_upper[t - 1]
    return entry_long, exit_long, entry_short, exit_short


class DonchianBreakout:
    """Channel breakout entries, shorter-channel exits, optional ATR stop."""

    name = "donchian_breakout"
    version = "1"
    params: Mapping[str, ParamSpec] = schema(
        entry_period=ParamSpec("int", 20, 5, 200, help="breakout channel length in bars"),
        exit_period=ParamSpec(
            "int", 10, 2, 100, help="exit channel length (must be < entry_period)"
        ),
        allow_short=ParamSpec("bool", True, help="also trade downside breakouts"),
        **atr_specs(stop_mult=2.0),
    )

    def signals(self, features: Features, params: Mapping[str, ParamValue]) -> Signals:
        """Breakout entries and exits (see the module docstring).

        Raises:
            StrategyError: when ``exit_period >= entry_period``.
        """
        require_less(params, "exit_period", "entry_period", self.name)
        entry_upper, entry_lower = features.donchian(int(params["entry_period"]))
        exit_upper, exit_lower = features.donchian(int(params["exit_period"]))
        entry_long, exit_long, entry_short, exit_short = breakout_nb(
            features.close, entry_upper, entry_lower, exit_upper, exit_lower
        )
        short = bool(params["allow_short"])
        return Signals(
            entry_long=entry_long,
            exit_long=exit_long,
            entry_short=entry_short if short else None,
            exit_short=exit_short if short else None,
            stop_loss=atr_distance(
                features, int(params["atr_period"]), float(params["atr_stop_mult"])
            ),
        )
