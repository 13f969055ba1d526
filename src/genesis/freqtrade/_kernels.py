"""Freqtrade's backtest loop as numba kernels: arrays in, arrays out.

The kernels follow ``freqtrade/optimize/backtesting.py`` (2026.9) for long-only spot trades;
:mod:`genesis.freqtrade.backtest` prepares the arrays and names the results.

Layout
    Prices and signals are ``[T, P]`` arrays on one date index shared by the ``P`` pairs
    (``valid[t, p]`` is False where a pair has no candle). ``enter``/``exit_`` are already
    shifted one candle: row ``t`` holds the signal of candle ``t - 1``. The state of a
    pair's open trade is one row of ``state[P, N_STATE]`` (columns ``S_*``).

Each candle ``t`` (``current_time = dates[t]``)
    1. Pairs with an open trade are handled first, then the others in pairlist order; each
       pair once per candle (so a pair whose trade closed in this candle does not re-enter).
    2. Entry: a pair without a trade enters at the open when ``enter`` and not ``exit_``,
       ``t`` is not the last candle, and a slot is free. Stake: fixed, or ``"unlimited"``
       = ``min((available + tied_up) / max_open_trades, available)`` with available =
       ``min((tied_up + free) * tradable_balance_ratio - tied_up, free)``; no entry when the
       available balance is below the stake; the market's minimum stake (its cost and amount
       limits with Freqtrade's reserves) may raise it by at most 30 %. The amount is
       truncated to the market's amount step and the stake recomputed from it. The stop
       starts at ``open * (1 - |stoploss|)`` rounded up to the price tick.
    3. Exit, for every open trade, the entry candle included (age in whole minutes):
       a. the stop is adjusted when it is below the low: ``custom_stoploss`` (from the high,
          with the profit at the high), then the trailing stop (raised from the high:
          ``trailing_stop_positive`` once the profit at the high passed its offset; nothing
          before the offset with ``trailing_only_offset_is_reached``); the stop rounds up to
          the price tick and only moves up; a stop moved this way marks the trade trailing;
       b. the first that fires wins: the exit signal (``exit_`` and not ``enter``; with
          ``exit_profit_only`` only when the profit at the open exceeds the offset) or, when
          there is no exit signal, ``custom_exit``; the stoploss (stop >= low) unless it
          trails; ROI (profit at the high above the table entry for the age, unless
          ``enter`` holds with ``ignore_roi_if_entry_signal``); the trailing stop;
       c. the exit rate: the open for signals; for stops the stop price, or the open when
          the stop is above the high (gap), or on the entry candle of a trailing exit the
          worst case ``open * (1 + offset - positive)`` / ``open * (1 - |stop_pct|)``
          (not below the low); for ROI the rate whose profit after both fees equals the
          entry (the open when a new step starts at this open and the open is beyond it, or
          when the entry is -1 on a candle boundary), clamped to the candle; then rounded
          to the nearest price tick.
    4. After the last candle, open trades exit at the open of their pair's last candle
       (``force_exit``).

Profit as ``LocalTrade``: open value ``amount * open_rate * (1 + fee)``, close value
``amount * close_rate * (1 - fee)``, profit ratio ``close / open - 1`` (both rounded to 8
decimals as Freqtrade rounds them). The wallet is the starting balance plus the closed
profits; ``equity[t]`` adds the open trades valued at candle ``t``'s close after exit fees.

Callbacks: :func:`simulate_nb` takes ``custom_stop`` and ``custom_exit`` functions; the
jitted path passes no-ops with the flags off, :mod:`genesis.freqtrade._callbacks` runs the
same loop as Python (``simulate_nb.py_func``) with the strategy's methods.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

# The kernel's [T, P] and [P] inputs, in simulate_nb's order (open_ .. last_row).
_A = np.ndarray
Layout = tuple[_A, _A, _A, _A, _A, _A, _A, _A, _A, _A, _A, _A, _A, _A, _A]
# Exit reason codes; codes >= TAG_BASE index the caller's list of tag/custom strings.
ROI, STOP_LOSS, TRAILING_STOP_LOSS, EXIT_SIGNAL, FORCE_EXIT, CUSTOM_EXIT = 1, 2, 3, 4, 5, 6
TAG_BASE = 100
REASON_NAMES = {
    ROI: "roi",
    STOP_LOSS: "stop_loss",
    TRAILING_STOP_LOSS: "trailing_stop_loss",
    EXIT_SIGNAL: "exit_signal",
    FORCE_EXIT: "force_exit",
    CUSTOM_EXIT: "custom_exit",
}

# Columns of the per-pair trade state.
S_OPEN, S_T_OPEN, S_RATE, S_AMOUNT, S_STAKE, S_VALUE, S_STOP, S_STOP_PCT, S_TRAILING = range(9)
N_STATE = 9
# Columns of the trade records.
(
    R_PAIR,
    R_T_OPEN,
    R_T_CLOSE,
    R_OPEN_RATE,
    R_CLOSE_RATE,
    R_AMOUNT,
    R_STAKE,
    R_REASON,
    R_PROFIT_ABS,
    R_PROFIT_RATIO,
) = range(10)
N_RECORD = 10
# Indices into the ``params`` array of :func:`simulate_nb` (rules, wallet, timeframe, flags).
(
    P_STOPLOSS,
    P_TRAILING,
    P_TRAILING_POSITIVE,
    P_TRAILING_OFFSET,
    P_ONLY_OFFSET,
    P_USE_EXIT_SIGNAL,
    P_EXIT_PROFIT_ONLY,
    P_EXIT_PROFIT_OFFSET,
    P_IGNORE_ROI,
    P_FEE,
    P_START_BALANCE,
    P_TRADABLE_RATIO,
    P_STAKE_AMOUNT,
    P_MAX_OPEN_TRADES,
    P_TF_MIN,
    P_CUSTOM_STOP,
    P_CUSTOM_STOP_AFTER_FILL,
    P_CUSTOM_EXIT,
) = range(18)
N_PARAMS = 18

# Freqtrade's reserves on the market's minimum stake (exchange._get_stake_amount_limit with
# the backtest's stoploss of -0.05 and the default amount_reserve_percent of 0.05).
_AMOUNT_RESERVE = 1.05
_COST_RESERVE = min(max(1.05 / 0.95, 1.0), 1.5)


@njit(cache=True)
def to_tick_nb(value: float, scale: float, units: float, mode: int) -> float:
    """Round ``value`` to a tick of ``units / scale`` (mode 0 nearest, 1 up, -1 truncate).

    As Freqtrade's ``price_to_precision``/``amount_to_precision`` (ccxt TICK_SIZE): the
    float is taken as its shortest decimal, which is a whole number of ticks only when it
    equals the double nearest to that decimal (``n * units / scale``, one exact division);
    a half tick rounds up. ``scale == 0`` means no tick: the value is returned unchanged.
    """
    if scale == 0.0 or math.isnan(value):
        return value
    n = math.floor(value * scale / units)
    lower = n * units / scale
    if lower > value:
        n -= 1
        lower = n * units / scale
    upper = (n + 1) * units / scale
    if upper <= value:
        n += 1
        lower, upper = upper, (n + 1) * units / scale
    if lower == value or mode == -1:
        return float(lower)
    if mode == 1:
        return float(upper)
    middle = (2 * n + 1) * units / (2.0 * scale)
    return float(upper if value >= middle else lower)


@njit(cache=True)
def profit_ratio_nb(state: np.ndarray, p: int, rate: float, fee: float) -> float:
    """The trade's profit ratio at ``rate`` after both fees (LocalTrade.calc_profit_ratio)."""
    close_value = state[p, S_AMOUNT] * rate * (1.0 - fee)
    return float(np.round(close_value / state[p, S_VALUE] - 1.0, 8))


@njit(cache=True)
def raise_stop_nb(
    state: np.ndarray, p: int, price: float, ratio: float, scale: float, units: float
) -> None:
    """Move the stop to ``price * (1 - |ratio|)`` (rounded up) if that is higher."""
    new_stop = to_tick_nb(price * (1.0 - abs(ratio)), scale, units, 1)
    if new_stop > state[p, S_STOP]:
        state[p, S_STOP] = new_stop
        state[p, S_STOP_PCT] = -abs(ratio)
        state[p, S_TRAILING] = 1.0


@njit(cache=True)
def trail_stop_nb(
    state: np.ndarray,
    p: int,
    high: float,
    bound_profit: float,
    params: np.ndarray,
    scale: float,
    units: float,
) -> None:
    """The trailing part of ``IStrategy.ft_stoploss_adjust`` (NaN positive = not set)."""
    offset = params[P_TRAILING_OFFSET]
    if params[P_ONLY_OFFSET] != 0.0 and bound_profit < offset:
        return
    ratio = params[P_STOPLOSS]
    positive = params[P_TRAILING_POSITIVE]
    if not math.isnan(positive) and bound_profit > offset:
        ratio = positive
    raise_stop_nb(state, p, high, ratio, scale, units)


@njit(cache=True)
def roi_entry_nb(roi_minutes: np.ndarray, age_min: int) -> int:
    """Index of the ``minimal_roi`` step with the largest minutes <= ``age_min`` (-1: none)."""
    found = -1
    for i in range(roi_minutes.shape[0]):
        if roi_minutes[i] <= age_min:
            found = i
    return found


@njit(cache=True)
def roi_rate_nb(
    state: np.ndarray,
    p: int,
    o: float,
    h: float,
    lo: float,
    age_min: int,
    step_min: int,
    roi: float,
    fee: float,
    tf_min: int,
) -> float:
    """The ROI exit rate (Backtesting._get_close_rate_for_roi), before price rounding."""
    if roi == -1.0 and step_min % tf_min == 0:
        return o
    rate = (1.0 + roi) * state[p, S_VALUE] / (state[p, S_AMOUNT] * (1.0 - fee))
    if age_min > 0 and age_min == step_min and step_min % tf_min == 0 and o > rate:
        return o
    return float(min(max(rate, lo), h))


@njit(cache=True)
def stop_rate_nb(
    state: np.ndarray,
    p: int,
    o: float,
    h: float,
    lo: float,
    reason: int,
    age_min: int,
    worst_case_offset: bool,
    trailing_positive: float,
    trailing_offset: float,
) -> float:
    """The stop exit rate (Backtesting._get_close_rate_for_stoploss), before rounding."""
    stop = state[p, S_STOP]
    if stop > h:
        return o
    if reason == TRAILING_STOP_LOSS and age_min == 0:
        if worst_case_offset:
            rate = o * (1.0 + abs(trailing_offset) - abs(trailing_positive))
        else:
            rate = o * (1.0 - abs(state[p, S_STOP_PCT]))
        return max(lo, rate)
    return float(stop)


@njit(cache=True)
def stake_nb(
    realized: float,
    tied_up: float,
    start_balance: float,
    ratio: float,
    stake_amount: float,
    max_open_trades: int,
) -> tuple[float, float]:
    """Freqtrade's stake (wallets.get_trade_stake_amount) and the available balance.

    ``stake_amount`` NaN = "unlimited". Returns ``(0, available)`` when the balance cannot
    pay the stake (Freqtrade's DependencyException).
    """
    free = start_balance + realized - tied_up
    available = min((tied_up + free) * ratio - tied_up, free)
    if math.isnan(stake_amount):
        stake = min((available + tied_up) / max_open_trades, available)
    else:
        stake = stake_amount
    if available < stake:
        return 0.0, available
    return max(stake, 0.0), available


@njit(cache=True)
def min_stake_nb(min_cost: float, min_amount: float, rate: float) -> float:
    """The market's minimum stake with Freqtrade's reserves (NaN limits are absent)."""
    result = 0.0
    if not math.isnan(min_cost):
        result = max(result, min_cost * _COST_RESERVE)
    if not math.isnan(min_amount):
        result = max(result, min_amount * rate * _AMOUNT_RESERVE)
    return result


@njit(cache=True)
def validate_stake_nb(stake: float, min_stake: float, available: float) -> float:
    """Freqtrade's wallets.validate_stake_amount without a max limit (0 = no trade)."""
    if stake <= 0.0 or min_stake > available:
        return 0.0
    if stake < min_stake:
        if stake * 1.3 < min_stake:
            return 0.0
        stake = min_stake
    return float(min(stake, available))


@njit(cache=True)
def no_custom_stop_nb(
    p: int, t: int, rate: float, profit: float, after_fill: bool, state: np.ndarray
) -> float:
    """The jitted path's ``custom_stoploss``: none (NaN)."""
    return np.nan


@njit(cache=True)
def no_custom_exit_nb(p: int, t: int, rate: float, profit: float, state: np.ndarray) -> int:
    """The jitted path's ``custom_exit``: none (0)."""
    return 0


@njit(cache=True)
def open_trade_nb(
    state: np.ndarray,
    p: int,
    t: int,
    rate: float,
    amount: float,
    params: np.ndarray,
    scale: float,
    units: float,
) -> None:
    """Open a trade on pair ``p`` at ``rate`` with its initial stop (LocalTrade + adjust)."""
    stoploss = params[P_STOPLOSS]
    state[p, S_OPEN] = 1.0
    state[p, S_T_OPEN] = t
    state[p, S_RATE] = rate
    state[p, S_AMOUNT] = amount
    state[p, S_STAKE] = amount * rate
    state[p, S_VALUE] = amount * rate * (1.0 + params[P_FEE])
    state[p, S_STOP] = to_tick_nb(rate * (1.0 - abs(stoploss)), scale, units, 1)
    state[p, S_STOP_PCT] = -abs(stoploss)
    state[p, S_TRAILING] = 0.0


@njit(cache=True)
def exit_reason_nb(
    state: np.ndarray,
    p: int,
    o: float,
    h: float,
    lo: float,
    enter: bool,
    exit_: bool,
    custom_code: int,
    age_min: int,
    dir_ok: bool,
    roi_minutes: np.ndarray,
    roi_ratios: np.ndarray,
    params: np.ndarray,
    scale: float,
    units: float,
) -> int:
    """The first exit that fires on this candle (IStrategy.should_exit), 0 for none.

    The custom stop is already applied; this raises the trailing stop, then checks the
    exit signal (or ``custom_code``), the stoploss, ROI and the trailing stop in that order.
    """
    fee = params[P_FEE]
    bound_profit = profit_ratio_nb(state, p, h, fee)
    if params[P_TRAILING] != 0.0 and dir_ok:
        trail_stop_nb(state, p, h, bound_profit, params, scale, units)
    if params[P_USE_EXIT_SIGNAL] != 0.0:
        if exit_ and not enter:
            profit = profit_ratio_nb(state, p, o, fee)
            if params[P_EXIT_PROFIT_ONLY] == 0.0 or profit > params[P_EXIT_PROFIT_OFFSET]:
                return EXIT_SIGNAL
        elif custom_code != 0:
            return custom_code
    stop_hit = state[p, S_STOP] >= lo
    if stop_hit and state[p, S_TRAILING] == 0.0:
        return STOP_LOSS
    if not (enter and params[P_IGNORE_ROI] != 0.0):
        step = roi_entry_nb(roi_minutes, age_min)
        if step >= 0 and bound_profit > roi_ratios[step]:
            return ROI
    if stop_hit:
        return TRAILING_STOP_LOSS
    return 0


@njit(cache=True)
def exit_rate_nb(
    state: np.ndarray,
    p: int,
    o: float,
    h: float,
    lo: float,
    reason: int,
    age_min: int,
    roi_minutes: np.ndarray,
    roi_ratios: np.ndarray,
    params: np.ndarray,
    scale: float,
    units: float,
) -> float:
    """The fill rate of an exit (Backtesting._get_close_rate), rounded to the price tick."""
    if reason == ROI:
        step = roi_entry_nb(roi_minutes, age_min)
        rate = roi_rate_nb(
            state,
            p,
            o,
            h,
            lo,
            age_min,
            roi_minutes[step],
            roi_ratios[step],
            params[P_FEE],
            int(params[P_TF_MIN]),
        )
    elif reason in (STOP_LOSS, TRAILING_STOP_LOSS):
        positive = params[P_TRAILING_POSITIVE]
        worst_case_offset = (
            params[P_CUSTOM_STOP] == 0.0
            and params[P_TRAILING] != 0.0
            and params[P_ONLY_OFFSET] != 0.0
            and not math.isnan(positive)
            and positive != 0.0
        )
        rate = stop_rate_nb(
            state,
            p,
            o,
            h,
            lo,
            reason,
            age_min,
            worst_case_offset,
            positive,
            params[P_TRAILING_OFFSET],
        )
    else:
        rate = o
    return to_tick_nb(rate, scale, units, 0)


@njit(cache=True)
def close_trade_nb(
    state: np.ndarray,
    p: int,
    t: int,
    rate: float,
    reason: int,
    fee: float,
    records: np.ndarray,
    n: int,
) -> tuple[np.ndarray, float]:
    """Record the trade's exit as row ``n`` (growing ``records``); returns its profit."""
    if n == records.shape[0]:
        grown = np.empty((2 * n, N_RECORD))
        grown[:n] = records
        records = grown
    close_value = state[p, S_AMOUNT] * rate * (1.0 - fee)
    profit_abs = np.round(close_value - state[p, S_VALUE], 8)
    row = records[n]
    row[R_PAIR] = p
    row[R_T_OPEN] = state[p, S_T_OPEN]
    row[R_T_CLOSE] = t
    row[R_OPEN_RATE] = state[p, S_RATE]
    row[R_CLOSE_RATE] = rate
    row[R_AMOUNT] = state[p, S_AMOUNT]
    row[R_STAKE] = state[p, S_STAKE]
    row[R_REASON] = reason
    row[R_PROFIT_ABS] = profit_abs
    row[R_PROFIT_RATIO] = profit_abs / state[p, S_VALUE]
    state[p, S_OPEN] = 0.0
    return records, profit_abs


# The wallet between candles: closed profit, stake tied up in open trades, open trades.
W_REALIZED, W_TIED_UP, W_N_OPEN = range(3)


@njit(cache=True)
def enter_nb(
    state: np.ndarray,
    p: int,
    t: int,
    o: float,
    wallet: np.ndarray,
    params: np.ndarray,
    min_cost: float,
    min_amount: float,
    amount_scale: float,
    amount_units: float,
    scale: float,
    units: float,
) -> bool:
    """Open a trade on pair ``p`` at the open if a slot and the stake allow (_enter_trade)."""
    max_open = int(params[P_MAX_OPEN_TRADES])
    if max_open > 0 and wallet[W_N_OPEN] >= max_open:
        return False
    stake, available = stake_nb(
        wallet[W_REALIZED],
        wallet[W_TIED_UP],
        params[P_START_BALANCE],
        params[P_TRADABLE_RATIO],
        params[P_STAKE_AMOUNT],
        max_open,
    )
    stake = validate_stake_nb(stake, min_stake_nb(min_cost, min_amount, o), available)
    if stake <= 0.0:
        return False
    amount = to_tick_nb(stake / o, amount_scale, amount_units, -1)
    if amount <= 0.0:
        return False
    open_trade_nb(state, p, t, o, amount, params, scale, units)
    wallet[W_TIED_UP] += state[p, S_STAKE]
    wallet[W_N_OPEN] += 1.0
    return True


@njit(cache=True)
def candle_order_nb(state: np.ndarray, order: np.ndarray) -> None:
    """Pairs with an open trade first, then the others, each in pairlist order."""
    k = 0
    for want in (1.0, 0.0):
        for p in range(state.shape[0]):
            if state[p, S_OPEN] == want:
                order[k] = p
                k += 1


@njit(cache=True)
def mark_equity_nb(
    state: np.ndarray, wallet: np.ndarray, last_close: np.ndarray, params: np.ndarray
) -> float:
    """The wallet's value: balance plus open trades at the last close after exit fees."""
    value = params[P_START_BALANCE] + wallet[W_REALIZED]
    fee = params[P_FEE]
    for p in range(state.shape[0]):
        if state[p, S_OPEN] != 0.0:
            value += state[p, S_AMOUNT] * last_close[p] * (1.0 - fee) - state[p, S_VALUE]
    return float(value)


@njit(cache=True)
def settle_nb(
    state: np.ndarray,
    p: int,
    t: int,
    rate: float,
    reason: int,
    wallet: np.ndarray,
    fee: float,
    records: np.ndarray,
    n: int,
) -> np.ndarray:
    """Close pair ``p``'s trade at ``rate`` and book it in the wallet."""
    stake = state[p, S_STAKE]
    records, profit = close_trade_nb(state, p, t, rate, reason, fee, records, n)
    wallet[W_REALIZED] += profit
    wallet[W_TIED_UP] -= stake
    wallet[W_N_OPEN] -= 1.0
    return records


@njit(cache=True)
def after_fill_nb(
    state: np.ndarray,
    p: int,
    o: float,
    ratio: float,
    dir_ok: bool,
    params: np.ndarray,
    scale: float,
    units: float,
) -> None:
    """The stop after the entry fill (ft_stoploss_adjust with after_fill=True)."""
    if not math.isnan(ratio) and ratio != 0.0:
        state[p, S_STOP] = to_tick_nb(o * (1.0 - abs(ratio)), scale, units, 1)
        state[p, S_STOP_PCT] = -abs(ratio)
    if params[P_TRAILING] != 0.0 and dir_ok:
        trail_stop_nb(
            state, p, o, profit_ratio_nb(state, p, o, params[P_FEE]), params, scale, units
        )


@njit(cache=True)
def simulate_nb(
    minutes: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    valid: np.ndarray,
    enter: np.ndarray,
    exit_: np.ndarray,
    exit_tag: np.ndarray,
    price_scale: np.ndarray,
    price_units: np.ndarray,
    amount_scale: np.ndarray,
    amount_units: np.ndarray,
    min_cost: np.ndarray,
    min_amount: np.ndarray,
    last_row: np.ndarray,
    roi_minutes: np.ndarray,
    roi_ratios: np.ndarray,
    params: np.ndarray,
    custom_stop: Any,
    custom_exit: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the backtest; returns ``(records[:n], equity)`` (see the module docstring)."""
    n_t, n_p = open_.shape
    state = np.zeros((n_p, N_STATE))
    wallet = np.zeros(3)
    records = np.empty((64, N_RECORD))
    n = 0
    equity = np.empty(n_t)
    last_close = np.full(n_p, np.nan)
    order = np.empty(n_p, dtype=np.int64)
    fee = params[P_FEE]
    for t in range(n_t):
        candle_order_nb(state, order)
        for j in range(n_p):
            p = int(order[j])
            if not valid[t, p]:
                continue
            o, h, lo = open_[t, p], high[t, p], low[t, p]
            sc, un = price_scale[t, p], price_units[t, p]
            if state[p, S_OPEN] == 0.0:
                if not (enter[t, p] and not exit_[t, p] and t < n_t - 1):
                    continue
                if not enter_nb(
                    state,
                    p,
                    t,
                    o,
                    wallet,
                    params,
                    min_cost[p],
                    min_amount[p],
                    amount_scale[p],
                    amount_units[p],
                    sc,
                    un,
                ):
                    continue
                if params[P_CUSTOM_STOP_AFTER_FILL] != 0.0:
                    dir_ok = state[p, S_STOP] < o
                    ratio = custom_stop(p, t, o, profit_ratio_nb(state, p, o, fee), True, state)
                    after_fill_nb(state, p, o, ratio, dir_ok, params, sc, un)
            age = int(minutes[t] - minutes[int(state[p, S_T_OPEN])])
            dir_ok = state[p, S_STOP] < lo
            if params[P_CUSTOM_STOP] != 0.0 and dir_ok:
                ratio = custom_stop(p, t, h, profit_ratio_nb(state, p, h, fee), False, state)
                if not math.isnan(ratio) and ratio != 0.0:
                    raise_stop_nb(state, p, h, ratio, sc, un)
            code = 0
            no_signal = not (exit_[t, p] and not enter[t, p])
            if params[P_CUSTOM_EXIT] != 0.0 and params[P_USE_EXIT_SIGNAL] != 0.0 and no_signal:
                code = custom_exit(p, t, o, profit_ratio_nb(state, p, o, fee), state)
            reason = exit_reason_nb(
                state,
                p,
                o,
                h,
                lo,
                enter[t, p],
                exit_[t, p],
                code,
                age,
                dir_ok,
                roi_minutes,
                roi_ratios,
                params,
                sc,
                un,
            )
            if reason == 0:
                continue
            rate = exit_rate_nb(
                state, p, o, h, lo, reason, age, roi_minutes, roi_ratios, params, sc, un
            )
            if reason == EXIT_SIGNAL and exit_tag[t, p] >= 0:
                reason = TAG_BASE + exit_tag[t, p]
            records = settle_nb(state, p, t, rate, reason, wallet, fee, records, n)
            n += 1
        for p in range(n_p):
            if valid[t, p]:
                last_close[p] = close[t, p]
        equity[t] = mark_equity_nb(state, wallet, last_close, params)
    for p in range(n_p):
        if state[p, S_OPEN] != 0.0:
            r = last_row[p]
            rate = to_tick_nb(open_[r, p], price_scale[r, p], price_units[r, p], 0)
            records = settle_nb(state, p, r, rate, FORCE_EXIT, wallet, fee, records, n)
            n += 1
    return records[:n], equity
