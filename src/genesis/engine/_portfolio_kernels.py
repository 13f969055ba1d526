"""The portfolio kernel: several markets, one wallet, a number of slots; arrays only.

Inputs are 2-d arrays of shape ``(rows, markets)`` on one common time index (the union of
the markets' bar times). A market without a bar on a row has ``has_bar`` False there; its
prices are not read and its signals are False. Each market follows the single-market
conventions of :mod:`genesis.engine._kernels` (fills at the open after the signal, costs,
gap and range rules of the stop-loss and take-profit, the stop-loss first), with "the
next bar" meaning *that market's* next bar: a market is never traded on a row where it
has no bar, and no candle is invented for it.

Wallet
    ``free`` is the balance not committed to a position. An entry takes its stake
    (notional plus entry fee) from ``free``; an exit returns ``units * entry + pnl
    before the entry fee`` (its value at the exit fill, less the exit fee). A position's
    value at price ``p`` is ``units * entry + pos * units * (p - entry)``; equity is
    ``free`` plus every position's value at its market's latest close (the last close
    it had, on rows where it has no bar).

Stake rules (``stake_mode``)
    ``FIXED``: ``stake_value`` in account currency. ``FRACTION``: ``stake_value`` times
    the equity at this row's open (positions valued at this row's open where their market
    has a bar, else at their latest close). ``FREE_SPLIT``: ``free / free slots``. The stake
    is capped at ``free`` (the wallet never borrows); none is placed when it is <= 0.
    ``units = stake / (fill * (1 + fee_rate))``.

Order of work on one row
    1. In market order, every market with a bar acts on its previous bar's signals:
       exits and the closing half of reversals fill at its open.
    2. Entries, in market order (**the first listed market gets a slot first**): a flat
       market with a bar, whose previous bar had a long xor a short entry (a reversal's
       opening half included), opens if fewer than ``max_open`` positions are open.
    3. In market order, every open position whose market has a bar is checked against its
       stops within the bar; on its market's last bar it closes at the close
       (``END_OF_DATA``).
    4. Equity is marked.

No look-ahead: row ``r``'s outputs depend only on prices of rows ``<= r`` and signals of
rows ``< r``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from genesis.engine._kernels import (
    END_OF_DATA,
    REVERSAL,
    SIGNAL,
    STOP_LOSS,
    TAKE_PROFIT,
    BoolArray,
    FloatArray,
    _close_nb,
    _level_nb,
    _stop_exit_nb,
    _trade_records_nb,
)

FIXED = 0
FRACTION = 1
FREE_SPLIT = 2
"""Stake rules; the same values as :class:`genesis.engine.portfolio.StakeRule`."""


@njit(inline="always")
def _signal_close_nb(pos: int, el: bool, xl: bool, es: bool, xs: bool) -> tuple[int, int]:
    """``(close reason or -1, direction wanted after the open)`` for one market."""
    if pos > 0:
        if es:
            return REVERSAL, -1
        if xl:
            return SIGNAL, 0
        return -1, pos
    if pos < 0:
        if el:
            return REVERSAL, 1
        if xs:
            return SIGNAL, 0
        return -1, pos
    if el != es:
        return -1, 1 if el else -1
    return -1, 0


@njit(inline="always")
def _close_market_nb(
    trades: tuple,  # type: ignore[type-arg]
    t_market: np.ndarray,
    k: int,
    market: int,
    row: int,
    pos: int,
    units: float,
    entry: float,
    entry_fee: float,
    entry_row: int,
    raw_price: float,
    reason: int,
    fee_rate: float,
    slip_rate: float,
) -> float:
    """Record trade ``k`` of ``market`` closed at ``raw_price``; return what ``free`` gains.

    :func:`_close_nb` returns the cash flow of the single-market convention (the short's
    proceeds were cash there); the wallet here gets the position's value back, which
    differs from it by ``(1 - pos) * units * entry``.
    """
    t_market[k] = market
    flow = _close_nb(
        trades, k, entry_row, row, pos, units, entry, entry_fee, raw_price, reason,
        fee_rate, slip_rate,
    )  # fmt: skip
    return flow + (1 - pos) * units * entry


@njit(inline="always")
def _stake_nb(
    mode: int, value: float, free: float, equity: float, n_open: int, max_open: int
) -> float:
    if mode == FIXED:
        stake = value
    elif mode == FRACTION:
        stake = value * equity
    else:
        stake = free / (max_open - n_open)
    return min(stake, free)


@njit(cache=True, nogil=True, error_model="numpy")
def simulate_portfolio_nb(  # the steps of the module docstring, one loop over the rows
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    has_bar: BoolArray,
    last_row: np.ndarray,
    entry_long: BoolArray,
    exit_long: BoolArray,
    entry_short: BoolArray,
    exit_short: BoolArray,
    sl_dist: FloatArray,
    tp_dist: FloatArray,
    fee_rate: float,
    slip_rate: float,
    capital: float,
    max_open: int,
    stake_mode: int,
    stake_value: float,
) -> tuple:  # type: ignore[type-arg]
    """Simulate one wallet over every market; see the module docstring for the rules.

    Returns:
        ``(equity, position, market, entry_row, exit_row, direction, entry_price,
        exit_price, size, pnl, return_pct, exit_reason)``; trade arrays trimmed.
    """
    n, m = close.shape
    equity = np.empty(n)
    position = np.zeros((n, m), dtype=np.int8)
    cap = int(entry_long.sum() + entry_short.sum())  # every trade starts with an entry
    trades = _trade_records_nb(cap)
    t_market = np.empty(cap, dtype=np.int64)

    pos = np.zeros(m, dtype=np.int64)
    want = np.zeros(m, dtype=np.int64)
    units = np.zeros(m)
    entry = np.zeros(m)
    entry_fee = np.zeros(m)
    entry_row = np.zeros(m, dtype=np.int64)
    sl_level = np.zeros(m)
    tp_level = np.zeros(m)
    mark = np.full(m, np.nan)
    prev = np.full(m, -1, dtype=np.int64)
    free = capital
    n_open = 0
    k = 0

    for r in range(n):
        # 1. Exits (and the closing half of reversals) at the open.
        for j in range(m):
            want[j] = 0
            if not has_bar[r, j]:
                continue
            t = prev[j]
            if t >= 0:
                reason, want[j] = _signal_close_nb(
                    pos[j], entry_long[t, j], exit_long[t, j], entry_short[t, j], exit_short[t, j]
                )
                if reason >= 0:
                    free += _close_market_nb(
                        trades, t_market, k, j, r, pos[j], units[j], entry[j], entry_fee[j],
                        entry_row[j], open_[r, j], reason, fee_rate, slip_rate,
                    )  # fmt: skip
                    k += 1
                    pos[j] = 0
                    n_open -= 1
            mark[j] = open_[r, j]
        # 2. Entries in market order, while slots are free.
        for j in range(m):
            if pos[j] != 0 or want[j] == 0 or n_open >= max_open:
                continue
            held = 0.0
            for q in range(m):
                if pos[q] != 0:
                    held += units[q] * entry[q] + pos[q] * units[q] * (mark[q] - entry[q])
            stake = _stake_nb(stake_mode, stake_value, free, free + held, n_open, max_open)
            if stake <= 0.0:
                continue
            t = prev[j]
            d = want[j]
            fill = open_[r, j] * (1.0 + d * slip_rate)
            units[j] = stake / (fill * (1.0 + fee_rate))
            entry[j] = fill
            entry_fee[j] = units[j] * fill * fee_rate
            free -= units[j] * fill + entry_fee[j]
            entry_row[j] = r
            pos[j] = d
            n_open += 1
            sl_level[j] = _level_nb(fill, sl_dist[t, j], -d)
            tp_level[j] = _level_nb(fill, tp_dist[t, j], d)
        for j in range(m):
            position[r, j] = pos[j]  # held during the row: after the fills at the open
        # 3. Stops inside the bar, then each market's end of data.
        for j in range(m):
            if not has_bar[r, j]:
                continue
            prev[j] = r
            mark[j] = close[r, j]
            if pos[j] == 0:
                continue
            price, reason = _stop_exit_nb(
                pos[j], open_[r, j], high[r, j], low[r, j],
                sl_level[j], STOP_LOSS, tp_level[j], TAKE_PROFIT,
            )  # fmt: skip
            if reason < 0 and r == last_row[j]:
                price, reason = close[r, j], END_OF_DATA
            if reason >= 0:
                free += _close_market_nb(
                    trades, t_market, k, j, r, pos[j], units[j], entry[j], entry_fee[j],
                    entry_row[j], price, reason, fee_rate, slip_rate,
                )  # fmt: skip
                k += 1
                pos[j] = 0
                n_open -= 1
        # 4. Mark to market.
        value = free
        for j in range(m):
            if pos[j] != 0:
                value += units[j] * entry[j] + pos[j] * units[j] * (mark[j] - entry[j])
        equity[r] = value

    t_entry, t_exit, t_dir, t_entry_price, t_exit_price, t_size, t_pnl, t_ret, t_reason = trades
    return (
        equity, position, t_market[:k], t_entry[:k], t_exit[:k], t_dir[:k],
        t_entry_price[:k], t_exit_price[:k], t_size[:k], t_pnl[:k], t_ret[:k], t_reason[:k],
    )  # fmt: skip
