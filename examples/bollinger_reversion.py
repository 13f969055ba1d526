"""A complete user strategy for genesis: mean reversion to the Bollinger middle band.

Long when the close falls below the lower band, short when it rises above the upper
band (if ``allow_short``), out when the close crosses back to the middle band; an ATR
stop-loss guards each position. Run it with::

    genesis optimize examples/bollinger_reversion.yaml

The rules of a strategy (see docs/tutorials/own-strategy.md):

* ``name`` and ``version``: the version is part of every cache key; bump it when you
  change the logic, and old cached results stop matching by themselves.
* ``params``: one :class:`~genesis.strategy.ParamSpec` per tunable, with a default and
  bounds; genesis checks every value against it.
* ``signals(features, params)``: pure, vectorized, and decided on each bar's close
  using only that bar and earlier ones (the engine fills at the next bar's open).
  Indicators come from ``features`` (computed once per process and shared).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from genesis.engine.types import Signals
from genesis.features import Features
from genesis.strategy import ParamSpec, ParamValue


class BollingerReversion:
    """Buy below the lower band, sell above the upper band, exit at the middle."""

    name = "bollinger_reversion"
    version = "1"
    params: Mapping[str, ParamSpec] = {
        "period": ParamSpec("int", 20, 5, 200, help="Bollinger period"),
        "k": ParamSpec("float", 2.0, 0.5, 4.0, help="band width in standard deviations"),
        "allow_short": ParamSpec("bool", True, help="also fade moves above the upper band"),
        "atr_period": ParamSpec("int", 14, 2, 100, help="ATR period of the stop"),
        "stop_atr": ParamSpec("float", 2.0, 0.0, 10.0, help="stop-loss in ATRs; 0 = off"),
    }

    def signals(self, features: Features, params: Mapping[str, ParamValue]) -> Signals:
        """Entries outside the bands, exits back at the middle band."""
        middle, upper, lower = features.bbands(int(params["period"]), float(params["k"]))
        close = features.close
        with np.errstate(invalid="ignore"):  # NaN during the warm-up compares False
            entry_long = close < lower
            entry_short = close > upper
            above_middle = close >= middle
        stop_atr = float(params["stop_atr"])
        stop = features.atr(int(params["atr_period"])) * stop_atr if stop_atr > 0 else None
        short = bool(params["allow_short"])
        return Signals(
            entry_long=entry_long,
            exit_long=above_middle,
            entry_short=entry_short if short else None,
            exit_short=~above_middle & ~np.isnan(middle) if short else None,
            stop_loss=stop,
        )
