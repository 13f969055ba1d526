"""The per-candle Python path for strategies with ``custom_stoploss`` or ``custom_exit``.

A strategy's callbacks are Python methods that read a trade, so they cannot run inside the
jitted kernel. This module runs the very same loop, :func:`~genesis.freqtrade._kernels.
simulate_nb` as Python (its ``py_func``, which still calls the jitted helpers), and hands it
two functions that call the strategy the way Freqtrade's ``IStrategy.ft_stoploss_adjust``
and ``should_exit`` do: with a Freqtrade ``LocalTrade`` built once per trade (so
``trade.open_rate``, ``open_date_utc``, ``amount``, ``stake_amount``, ``stop_loss``,
``calc_profit_ratio()`` behave as in Freqtrade), ``current_time``, ``current_rate``,
``current_profit`` and ``after_fill``. The stop a callback returns moves only up for a long
(except right after the entry fill, as Freqtrade allows there).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from genesis.freqtrade import _kernels as k
from genesis.freqtrade.rules import overrides


class _Trades:
    """One Freqtrade ``LocalTrade`` per open trade of the loop, kept in step with its state."""

    def __init__(self, pairs: Sequence[str], times: Sequence[datetime], params: np.ndarray):
        from freqtrade.persistence import LocalTrade

        self._local_trade = LocalTrade
        self._pairs = pairs
        self._times = times
        self._fee = float(params[k.P_FEE])
        self._timeframe = int(params[k.P_TF_MIN])
        self._open: dict[int, tuple[int, Any]] = {}

    def get(self, p: int, state: np.ndarray) -> Any:
        """The trade open on pair ``p``, its stop copied from the kernel's state."""
        row = state[p]
        t_open = int(row[k.S_T_OPEN])
        known = self._open.get(p)
        if known is None or known[0] != t_open:
            known = (t_open, self._new(p, row, t_open))
            self._open[p] = known
        trade = known[1]
        trade.stop_loss = float(row[k.S_STOP])
        trade.stop_loss_pct = float(row[k.S_STOP_PCT])
        trade.is_stop_loss_trailing = bool(row[k.S_TRAILING])
        return trade

    def _new(self, p: int, row: np.ndarray, t_open: int) -> Any:
        base, _, quote = self._pairs[p].partition("/")
        trade = self._local_trade(
            pair=self._pairs[p],
            base_currency=base,
            stake_currency=quote.split(":")[0],
            open_rate=float(row[k.S_RATE]),
            open_rate_requested=float(row[k.S_RATE]),
            open_date=self._times[t_open],
            stake_amount=float(row[k.S_STAKE]),
            amount=float(row[k.S_AMOUNT]),
            amount_requested=float(row[k.S_AMOUNT]),
            fee_open=self._fee,
            fee_close=self._fee,
            is_open=True,
            is_short=False,
            leverage=1.0,
            timeframe=self._timeframe,
            exchange="backtest",
            orders=[],
        )
        trade.recalc_open_trade_value()
        trade.initial_stop_loss = float(row[k.S_STOP])
        trade.initial_stop_loss_pct = float(row[k.S_STOP_PCT])
        trade.max_rate = trade.min_rate = float(row[k.S_RATE])
        return trade


def _hooks(
    strategy: Any, trades: _Trades, times: Sequence[datetime], tags: list[str]
) -> tuple[Any, Any]:
    """The ``custom_stop`` and ``custom_exit`` functions the loop calls."""
    from freqtrade.constants import CUSTOM_TAG_MAX_LENGTH
    from freqtrade.strategy.strategy_wrapper import strategy_safe_wrapper

    stoploss = strategy_safe_wrapper(
        strategy.custom_stoploss, default_retval=None, supress_error=True
    )
    exit_ = strategy_safe_wrapper(strategy.custom_exit, default_retval=False)

    def custom_stop(
        p: int, t: int, rate: float, profit: float, after_fill: bool, state: np.ndarray
    ) -> float:
        trade = trades.get(p, state)
        value = stoploss(
            pair=trade.pair,
            trade=trade,
            current_time=times[t],
            current_rate=float(rate),
            current_profit=float(profit),
            after_fill=bool(after_fill),
        )
        if value is None or math.isnan(value) or math.isinf(value):
            return math.nan
        return float(value)

    def custom_exit(p: int, t: int, rate: float, profit: float, state: np.ndarray) -> int:
        trade = trades.get(p, state)
        reason = exit_(
            pair=trade.pair,
            trade=trade,
            current_time=times[t],
            current_rate=float(rate),
            current_profit=float(profit),
        )
        if not reason:
            return 0
        if not isinstance(reason, str):
            return k.CUSTOM_EXIT
        name = reason[:CUSTOM_TAG_MAX_LENGTH]
        if name not in tags:
            tags.append(name)
        return k.TAG_BASE + tags.index(name)

    return custom_stop, custom_exit


def callback_flags(strategy: Any) -> tuple[bool, bool, bool]:
    """Whether Freqtrade calls (custom_stoploss, custom_stoploss after fills, custom_exit)."""
    custom_stop = bool(getattr(strategy, "use_custom_stoploss", False)) and overrides(
        strategy, "custom_stoploss"
    )
    declared = getattr(strategy, "_ft_stop_uses_after_fill", None)  # set by Freqtrade's loader
    if declared is None:
        declared = "after_fill" in inspect.signature(strategy.custom_stoploss).parameters
    after_fill = custom_stop and bool(declared)
    return custom_stop, after_fill, overrides(strategy, "custom_exit")


def simulate_with_callbacks(
    strategy: Any,
    pairs: Sequence[str],
    dates: np.ndarray,
    tags: list[str],
    minutes: np.ndarray,
    arrays: k.Layout,
    roi_minutes: np.ndarray,
    roi_ratios: np.ndarray,
    params: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the kernel's loop in Python with the strategy's callbacks.

    ``tags`` is extended in place with the names ``custom_exit`` returns, so the records'
    reason codes resolve as for exit tags. Returns ``(records, equity)`` as the kernel.
    """
    params = params.copy()
    custom_stop, after_fill, custom_exit = callback_flags(strategy)
    params[k.P_CUSTOM_STOP] = custom_stop
    params[k.P_CUSTOM_STOP_AFTER_FILL] = after_fill
    params[k.P_CUSTOM_EXIT] = custom_exit
    times = list(pd.to_datetime(dates, unit="ms", utc=True).to_pydatetime())
    trades = _Trades(pairs, times, params)
    stop_hook, exit_hook = _hooks(strategy, trades, times, tags)
    records, equity = k.simulate_nb.py_func(
        minutes, *arrays, roi_minutes, roi_ratios, params, stop_hook, exit_hook
    )
    return np.asarray(records), np.asarray(equity)
