"""``rsi_reversion``: fade RSI extremes and take profit back at the midline.

Long when the RSI crosses down into the oversold zone (below ``lower``), short when it
crosses up into the overbought zone (above ``upper``, with ``allow_short``). A long is
closed when the RSI is back at or above 50, a short at or below 50. Entering on the
crossing (not on every bar in the zone) means a stopped-out trade is not re-entered at
once while the RSI stays extreme. Optional stop-loss at ``atr_stop_mult`` ATRs. The first
possible entry is at bar ``rsi_period + 1`` (a crossing needs two RSI values), the first
exit at ``rsi_period``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numba import njit

from genesis.engine.types import BoolArray, FloatArray, Signals
from genesis.features import Features
from genesis.strategy.base import ParamSpec, ParamValue
from genesis.strategy.builtin._rules import atr_distance, atr_specs, require_less, schema

MIDLINE = 50.0


@njit(cache=True, nogil=True)
def reversion_nb(
    rsi: FloatArray, lower: float, upper: float
) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray]:
    """``(entry_long, exit_long, entry_short, exit_short)`` from the RSI at ``t``, ``t-1``."""
    n = rsi.shape[0]
    entry_long = np.zeros(n, dtype=np.bool_)
    exit_long = np.zeros(n, dtype=np.bool_)
    entry_short = np.zeros(n, dtype=np.bool_)
    exit_short = np.zeros(n, dtype=np.bool_)
    for t in range(1, n):
        now, before = rsi[t], rsi[t - 1]
        entry_long[t] = (now < lower) & (before >= lower)  # NaN compares False
        entry_short[t] = (now > upper) & (before <= upper)
        exit_long[t] = now >= MIDLINE
        exit_short[t] = now <= MIDLINE
    return entry_long, exit_long, entry_short, exit_short


class RsiReversion:
    """Mean reversion on RSI extremes, exit at the midline, optional ATR stop."""

    name = "rsi_reversion"
    version = "1"
    params: Mapping[str, ParamSpec] = schema(
        rsi_period=ParamSpec("int", 14, 2, 100, help="RSI period"),
        lower=ParamSpec("float", 30.0, 1.0, 50.0, help="go long when RSI drops below this"),
        upper=ParamSpec("float", 70.0, 50.0, 99.0, help="go short when RSI rises above this"),
        allow_short=ParamSpec("bool", True, help="also fade overbought readings"),
        **atr_specs(stop_mult=2.0),
    )

    def signals(self, features: Features, params: Mapping[str, ParamValue]) -> Signals:
        """RSI-zone entries and midline exits (see the module docstring).

        Raises:
            StrategyError: when ``lower >= upper``.
        """
        require_less(params, "lower", "upper", self.name)
        entry_long, exit_long, entry_short, exit_short = reversion_nb(
            features.rsi(int(params["rsi_period"])), float(params["lower"]), float(params["upper"])
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
