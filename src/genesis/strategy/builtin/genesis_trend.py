"""``genesis_trend`` (the default): buy pullbacks in a confirmed trend, with ATR exits.

Trend filter, on bar ``t``'s close:
    *up* when the close and the fast EMA are above the slow EMA, the slow EMA is rising
    (``slow[t] > slow[t-1]``) and ADX > ``adx_min``; *down* is the mirror image.
Pullback entry:
    long when the trend is up and the RSI crosses back up through ``pullback`` (it dipped
    below and recovers); short when the trend is down and the RSI crosses back down
    through ``100 - pullback`` (only with ``allow_short``).
Exit:
    a long is closed when the close or the fast EMA falls below the slow EMA (the trend
    is broken), a short in the mirror case; and by the engine's ATR stops: stop-loss
    ``sl_atr``, take-profit ``tp_atr`` and trailing stop ``trail_atr`` ATRs from the
    entry (0 = that stop is off).

Every input is NaN until its indicator warms up, so no entry fires before bar
``max(ema_slow, 2 * adx_period - 1, rsi_period + 1)`` and no exit before ``ema_slow - 1``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numba import njit

from genesis.engine.types import BoolArray, FloatArray, Signals
from genesis.features import Features
from genesis.strategy.base import ParamSpec, ParamValue
from genesis.strategy.builtin._rules import atr_distance, require_less, schema


@njit(cache=True, nogil=True)
def trend_pullback_nb(
    close: FloatArray,
    fast: FloatArray,
    slow: FloatArray,
    adx: FloatArray,
    rsi: FloatArray,
    adx_min: float,
    pullback: float,
) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray]:
    """One pass over the bars: ``(entry_long, exit_long, entry_short, exit_short)``.

    Bar ``t`` reads values at ``t`` and ``t - 1`` only; every comparison with a NaN is
    False, so warm-up bars never signal.
    """
    n = close.shape[0]
    entry_long = np.zeros(n, dtype=np.bool_)
    exit_long = np.zeros(n, dtype=np.bool_)
    entry_short = np.zeros(n, dtype=np.bool_)
    exit_short = np.zeros(n, dtype=np.bool_)
    ceiling = 100.0 - pullback
    for t in range(1, n):  # `&` / `|`, not `and` / `or`: branch-free, ~3x faster
        c, f, s, s_before = close[t], fast[t], slow[t], slow[t - 1]
        strong = adx[t] > adx_min
        up = strong & (s > s_before) & (c > s) & (f > s)
        down = strong & (s < s_before) & (c < s) & (f < s)
        r, r_before = rsi[t], rsi[t - 1]
        entry_long[t] = up & (r_before < pullback) & (r >= pullback)
        entry_short[t] = down & (r_before > ceiling) & (r <= ceiling)
        exit_long[t] = (c < s) | (f < s)
        exit_short[t] = (c > s) | (f > s)
    return entry_long, exit_long, entry_short, exit_short


class GenesisTrend:
    """Trend filter (EMAs + ADX) with RSI pullback entries and ATR stop/target/trail."""

    name = "genesis_trend"
    version = "1"
    params: Mapping[str, ParamSpec] = schema(
        ema_fast=ParamSpec("int", 20, 5, 100, help="fast EMA period (must be < ema_slow)"),
        ema_slow=ParamSpec("int", 100, 20, 400, help="slow EMA period: the trend"),
        adx_period=ParamSpec("int", 14, 5, 50, help="ADX period"),
        adx_min=ParamSpec("float", 20.0, 0.0, 50.0, help="trade only when ADX is above this"),
        rsi_period=ParamSpec("int", 14, 2, 50, help="RSI period of the pullback"),
        pullback=ParamSpec(
            "float", 40.0, 10.0, 50.0, help="long when RSI recovers above this (short: 100 - it)"
        ),
        atr_period=ParamSpec("int", 14, 5, 50, help="ATR period of the stops"),
        sl_atr=ParamSpec("float", 2.0, 0.0, 10.0, help="stop-loss in ATRs; 0 = off"),
        tp_atr=ParamSpec("float", 4.0, 0.0, 20.0, help="take-profit in ATRs; 0 = off"),
        trail_atr=ParamSpec("float", 0.0, 0.0, 10.0, help="trailing stop in ATRs; 0 = off"),
        allow_short=ParamSpec("bool", True, help="trade down-trends short too"),
    )

    def signals(self, features: Features, params: Mapping[str, ParamValue]) -> Signals:
        """Trend-pullback entries, trend-break exits and ATR stops (see module docstring).

        Raises:
            StrategyError: when ``ema_fast >= ema_slow``.
        """
        require_less(params, "ema_fast", "ema_slow", self.name)
        entry_long, exit_long, entry_short, exit_short = trend_pullback_nb(
            features.close,
            features.ema(int(params["ema_fast"])),
            features.ema(int(params["ema_slow"])),
            features.adx(int(params["adx_period"])),
            features.rsi(int(params["rsi_period"])),
            float(params["adx_min"]),
            float(params["pullback"]),
        )
        short = bool(params["allow_short"])
        atr_period = int(params["atr_period"])
        return Signals(
            entry_long=entry_long,
            exit_long=exit_long,
            entry_short=entry_short if short else None,
            exit_short=exit_short if short else None,
            stop_loss=atr_distance(features, atr_period, float(params["sl_atr"])),
            take_profit=atr_distance(features, atr_period, float(params["tp_atr"])),
            trailing_stop=atr_distance(features, atr_period, float(params["trail_atr"])),
        )
