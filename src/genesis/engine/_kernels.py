"""The backtest kernel: one numba pass over the bars, arrays in, arrays out.

Conventions (every one of them is part of :data:`~genesis.engine.types.ENGINE_VERSION`):

Fills
    A signal is decided on bar ``t``'s close and fills at bar ``t + 1``'s open. Every
    fill pays slippage against the trader (a buy fills at ``price * (1 + slip_rate)``,
    a sell at ``price * (1 - slip_rate)``) and a fee of ``fee_rate`` times the traded
    notional (``units * fill price``), on entry and on exit alike.

Positions
    Long and short, one position at a time. While flat, a long entry (without a short
    entry on the same bar) opens a long, and vice versa; both at once is ambiguous and
    ignored. While in a position, an opposite entry reverses it (close, then open, at
    the same next open; the close is recorded with ``REVERSAL``); otherwise an exit
    signal of the held direction closes it (``SIGNAL``). An entry in the held direction
    is ignored. Signals on the last bar are never filled; a position still open on the
    last bar is closed at its close, with slippage and fee (``END_OF_DATA``).

Sizing
    An entry buys (or sells short) ``units = fraction * equity / (fill * (1 + fee_rate))``
    units, fractional units allowed: notional plus entry fee is ``fraction`` of the
    equity at the fill, so ``fraction = 1`` never borrows. No entry while equity <= 0.

Stops
    Distances are absolute prices taken from the signal bar ``t`` and anchored at the
    fill price: stop-loss ``entry -/+ sl``, take-profit ``entry +/- tp`` (long/short).
    The trailing stop is the highest high (long) / lowest low (short) since entry,
    starting at the fill price, minus/plus the trail distance; a bar's extreme updates
    it only *after* that bar was checked (no intrabar look-ahead). When both the fixed
    and the trailing stop are set, the tighter one applies (reason ``TRAILING_STOP``
    only when the trailing level is strictly tighter). Every bar with a position is
    checked, the entry bar too (from its open onwards): if the open is already beyond
    a stop, the exit fills at the open (a gap); otherwise, if the bar's range reaches a
    stop, it fills at the stop price. Slippage applies to stop fills too. **A bar whose
    range reaches both the stop-loss and the take-profit is assumed to hit the
    stop-loss first** (we cannot know the intrabar path; this is the conservative
    choice). NaN distance = that stop is off; a zero distance triggers at once; a
    negative one makes :func:`genesis.engine.run_backtest` raise StrategyError for the
    trade it was used on.

Exit rules (:class:`~genesis.engine.types.ExitRules`, fractions of the entry fill ``e``)
    Stop-loss fraction ``f``: level ``e * (1 - f)`` long, ``e * (1 + f)`` short; it joins
    the distance stop-loss and the tighter of the two applies (reason ``STOP_LOSS``).
    Take-profit fraction: ``e * (1 +/- f)``; the nearer of it and the distance
    take-profit applies (``TAKE_PROFIT``). Trailing fraction ``f`` with offset ``o``:
    once the best price since entry (as above: the extreme of the bars *before* this
    one, starting at ``e``) is at least ``o`` beyond the entry (``best >= e * (1 + o)``
    long, ``best <= e * (1 - o)`` short), the level is ``best * (1 -/+ f)``; it joins
    the distance trailing stop, the tighter applies, and then competes with the
    stop-loss as above (``TRAILING_STOP`` when strictly tighter). ROI table: a trade's
    age on bar ``i`` is ``i - entry bar`` (0 on the entry bar); the row with the largest
    ``age_bars <= age`` gives ``r`` and the level ``e * (1 +/- r)``; it competes with
    the take-profit (reason ``ROI`` when strictly nearer). Returns are of the price
    only (fees are not counted in them). Profit-only exits: an exit signal, or an
    opposite entry, of the held direction is acted on at bar ``i``'s open only when
    ``pos * (open[i] / e - 1) > offset``; otherwise the position is kept (and the
    opposite entry ignored). Stops, take-profits, ROI and the end of the data are
    never held back.

Order of checks within bar ``i`` (written once, here; every rule above follows it)
    1. At the open, the signals of bar ``i - 1``: reversal, else exit of the held
       direction (both subject to profit-only), else an entry while flat.
    2. An entry fills at the open; its stop-loss and take-profit levels are fixed now.
    3. The bar's levels: stop = tighter of the stop-loss and the trailing levels (from
       the best price before this bar); take = nearer of the take-profit and the ROI
       level at this bar's age.
    4. The open beyond the stop exits at the open, else the open beyond the take exits
       at the open; else the range reaching the stop exits at the stop, else the range
       reaching the take exits at the take.
    5. No exit: the best price takes this bar's high (long) / low (short); on the last
       bar the position closes at the close (``END_OF_DATA``).

Absent arrays
    A signal or distance array of length 0 means "not given" (no short entries, no
    such stop); otherwise every array has one entry per bar.

Outputs
    ``equity[i]`` is marked to market at bar ``i``'s close (after any exit in that
    bar); ``position[i]`` is the direction held during bar ``i``, i.e. after the fills
    at its open (a position stopped out inside the bar still counts for that bar).
    Trades are returned as parallel arrays trimmed to the number of closed trades.

No look-ahead: everything written for bar ``i`` depends only on prices of bars
``<= i`` and signals of bars ``< i``.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt
from numba import njit, types

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
IntArray: TypeAlias = npt.NDArray[np.int64]
Int8Array: TypeAlias = npt.NDArray[np.int8]
KernelOutput: TypeAlias = tuple[
    FloatArray,
    Int8Array,
    IntArray,
    IntArray,
    Int8Array,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    FloatArray,
    Int8Array,
]

SIGNAL = 0
STOP_LOSS = 1
TAKE_PROFIT = 2
TRAILING_STOP = 3
REVERSAL = 4
END_OF_DATA = 5
ROI = 6
"""Exit reasons; the same values as :class:`genesis.engine.types.ExitReason`."""

_F8 = types.Array(types.float64, 1, "C")
_I8 = types.Array(types.int64, 1, "C")
_I1 = types.Array(types.int8, 1, "C")
_RO_F8 = types.Array(types.float64, 1, "C", readonly=True)
_RO_B1 = types.Array(types.boolean, 1, "C", readonly=True)
_RO_I8 = types.Array(types.int64, 1, "A", readonly=True)
_RO_CI8 = types.Array(types.int64, 1, "C", readonly=True)
_OUTPUT = types.Tuple((_F8, _I1, _I8, _I8, _I1, _F8, _F8, _F8, _F8, _F8, _I1))  # type: ignore[no-untyped-call]
_SIGNATURE = _OUTPUT(
    *([_RO_F8] * 4 + [_RO_B1] * 4 + [_RO_F8] * 3 + [_RO_CI8, _RO_F8])
    + [types.float64] * 9
    + [types.boolean]
)
"""One explicit signature with read-only array types: writable arrays convert to it
safely, so every mix of read-only candles and fresh signal arrays shares one compiled
(and disk-cached) kernel instead of one specialization per mix."""


@njit(inline="always")
def _stop_exit_nb(
    direction: int,
    bar_open: float,
    bar_high: float,
    bar_low: float,
    stop_level: float,
    stop_reason: int,
    take_level: float,
    take_reason: int,
) -> tuple[float, int]:
    """Raw exit price and reason if a stop fires in this bar, else ``(nan, -1)``.

    Absent stops are passed as infinite levels. The stop (loss or trailing) is tested
    before the take (profit or ROI), so a bar reaching both exits at the stop.
    """
    if direction > 0:
        if bar_open <= stop_level:
            return bar_open, stop_reason
        if bar_open >= take_level:
            return bar_open, take_reason
        if bar_low <= stop_level:
            return stop_level, stop_reason
        if bar_high >= take_level:
            return take_level, take_reason
    else:
        if bar_open >= stop_level:
            return bar_open, stop_reason
        if bar_open <= take_level:
            return bar_open, take_reason
        if bar_high >= stop_level:
            return stop_level, stop_reason
        if bar_low <= take_level:
            return take_level, take_reason
    return np.nan, -1


@njit(inline="always")
def _level_nb(anchor: float, distance: float, sign: int) -> float:
    """``anchor + sign * distance``, or ``sign * inf`` (never reached) when distance is NaN."""
    if distance != distance:
        return sign * np.inf
    return anchor + sign * distance


@njit(inline="always")
def _frac_level_nb(anchor: float, frac: float, sign: int) -> float:
    """``anchor * (1 + sign * frac)``, or ``sign * inf`` (never reached) when frac is NaN."""
    if frac != frac:
        return sign * np.inf
    return anchor * (1.0 + sign * frac)


@njit(inline="always")
def _tighter_nb(a: float, b: float, side: int) -> float:
    """The larger of two levels when ``side > 0`` (a long's stop), else the smaller."""
    return max(a, b) if side > 0 else min(a, b)


@njit(inline="always")
def _trail_level_nb(
    pos: int, best: float, entry_fill: float, trail: float, trail_frac: float, offset: float
) -> float:
    """The trailing level: the distance trail, tightened by the fraction trail once the
    best price is ``offset`` beyond the entry (``-pos * inf`` when neither is on)."""
    level = _level_nb(best, trail, -pos)
    if trail_frac == trail_frac and pos * (best / entry_fill - 1.0) >= offset:
        level = _tighter_nb(level, best * (1.0 - pos * trail_frac), pos)
    return level


@njit(inline="always")
def _roi_level_nb(
    pos: int, age: int, entry_fill: float, roi_age: IntArray, roi_return: FloatArray
) -> float:
    """The ROI level for a trade ``age`` bars old (``pos * inf`` before the table starts)."""
    for k in range(roi_age.shape[0] - 1, -1, -1):
        if roi_age[k] <= age:
            return entry_fill * (1.0 + pos * float(roi_return[k]))
    return pos * np.inf


@njit(inline="always")
def _count_entries_nb(entry_long: BoolArray, entry_short: BoolArray) -> int:
    """How many bars before the last carry an entry signal (an upper bound on trades)."""
    count = 0
    for t in range(entry_long.shape[0] - 1):
        count += entry_long[t]
    for t in range(entry_short.shape[0] - 1):
        count += entry_short[t]
    return count


@njit(inline="always")
def _close_nb(
    trades: tuple,  # type: ignore[type-arg]
    k: int,
    entry_bar: int,
    exit_bar: int,
    pos: int,
    units: float,
    entry_fill: float,
    entry_fee: float,
    raw_price: float,
    reason: int,
    fee_rate: float,
    slip_rate: float,
) -> float:
    """Record the closing of ``pos`` at ``raw_price`` as trade ``k``; return the cash flow."""
    fill = raw_price * (1.0 - pos * slip_rate)
    fee = units * fill * fee_rate
    pnl = pos * units * (fill - entry_fill) - entry_fee - fee
    t_entry, t_exit, t_dir, t_entry_price, t_exit_price, t_size, t_pnl, t_ret, t_reason = trades
    t_entry[k] = entry_bar
    t_exit[k] = exit_bar
    t_dir[k] = pos
    t_entry_price[k] = entry_fill
    t_exit_price[k] = fill
    t_size[k] = units
    t_pnl[k] = pnl
    t_ret[k] = 100.0 * pnl / (units * entry_fill + entry_fee)
    t_reason[k] = reason
    return pos * units * fill - fee


@njit(inline="always")
def _trade_records_nb(m: int) -> tuple:  # type: ignore[type-arg]
    """Empty trade records for at most ``m`` trades (see :func:`_close_nb`)."""
    return (
        np.empty(m, dtype=np.int64),  # entry bar
        np.empty(m, dtype=np.int64),  # exit bar
        np.empty(m, dtype=np.int8),  # direction
        np.empty(m, dtype=np.float64),  # entry fill
        np.empty(m, dtype=np.float64),  # exit fill
        np.empty(m, dtype=np.float64),  # units
        np.empty(m, dtype=np.float64),  # pnl
        np.empty(m, dtype=np.float64),  # return in percent
        np.empty(m, dtype=np.int8),  # exit reason
    )


@njit(_SIGNATURE, cache=True, nogil=True, error_model="numpy")
def simulate_nb(  # the loop follows the module docstring's order of checks, step by step
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    entry_long: BoolArray,
    exit_long: BoolArray,
    entry_short: BoolArray,
    exit_short: BoolArray,
    sl_dist: FloatArray,
    tp_dist: FloatArray,
    trail_dist: FloatArray,
    roi_age: IntArray,
    roi_return: FloatArray,
    fee_rate: float,
    slip_rate: float,
    fraction: float,
    capital: float,
    sl_frac: float,
    tp_frac: float,
    trail_frac: float,
    trail_offset: float,
    profit_offset: float,
    profit_only: bool,
) -> KernelOutput:
    """Simulate one account over the bars; see the module docstring for the rules.

    The ``*_frac`` and offset arguments are NaN when off; ``roi_age``/``roi_return`` are
    of length 0 when there is no ROI table.

    Returns:
        ``(equity, position, entry_idx, exit_idx, direction, entry_price, exit_price,
        size, pnl, return_pct, exit_reason)``; the trade arrays are trimmed views.
    """
    n = close.shape[0]
    has_entry_short = entry_short.shape[0] > 0
    has_exit_short = exit_short.shape[0] > 0
    has_sl = sl_dist.shape[0] > 0
    has_tp = tp_dist.shape[0] > 0
    has_trail = trail_dist.shape[0] > 0
    has_roi = roi_age.shape[0] > 0

    equity = np.empty(n, dtype=np.float64)
    position = np.empty(n, dtype=np.int8)
    # Every trade starts with a filled entry signal, so their count bounds the trades.
    # Sizing the records by it (not by n) keeps a 50k-bar call from allocating ~3 MB of
    # mostly unused pages, which costs more than the simulation itself.
    trades = _trade_records_nb(_count_entries_nb(entry_long, entry_short))

    k = 0  # closed trades so far
    cash = capital
    pos = 0
    units = entry_fill = entry_fee = extreme = sl_level = tp_level = 0.0
    trail = np.nan
    entry_bar = 0

    for i in range(n):
        # 1. At the open: the signals of the previous bar's close.
        reason, open_dir = -1, 0
        if i > 0:
            # (kept in the loop: as a helper returning a tuple it made the kernel 40x slower)
            t = i - 1
            if pos > 0:
                if has_entry_short and entry_short[t]:
                    reason, open_dir = REVERSAL, -1
                elif exit_long[t]:
                    reason = SIGNAL
            elif pos < 0:
                if entry_long[t]:
                    reason, open_dir = REVERSAL, 1
                elif has_exit_short and exit_short[t]:
                    reason = SIGNAL
            else:
                go_long = entry_long[t]
                go_short = has_entry_short and entry_short[t]
                if go_long != go_short:
                    open_dir = 1 if go_long else -1
            if reason >= 0 and profit_only and pos * (open_[i] / entry_fill - 1.0) <= profit_offset:
                reason, open_dir = -1, 0  # not in profit: keep the position
        if reason >= 0:
            cash += _close_nb(
                trades, k, entry_bar, i, pos, units, entry_fill, entry_fee,
                open_[i], reason, fee_rate, slip_rate,
            )  # fmt: skip
            k += 1
            pos = 0
        # 2. An entry fills at the open; its fixed levels are set now.
        if open_dir != 0 and cash > 0.0:
            t = i - 1
            pos = open_dir
            entry_fill = open_[i] * (1.0 + pos * slip_rate)
            units = fraction * cash / (entry_fill * (1.0 + fee_rate))
            entry_fee = units * entry_fill * fee_rate
            cash -= pos * units * entry_fill + entry_fee
            entry_bar = i
            sl_level = _tighter_nb(
                _level_nb(entry_fill, sl_dist[t] if has_sl else np.nan, -pos),
                _frac_level_nb(entry_fill, sl_frac, -pos),
                pos,
            )
            tp_level = _tighter_nb(
                _level_nb(entry_fill, tp_dist[t] if has_tp else np.nan, pos),
                _frac_level_nb(entry_fill, tp_frac, pos),
                -pos,
            )
            trail = trail_dist[t] if has_trail else np.nan
            extreme = entry_fill
        position[i] = pos

        # 3.-5. The bar's levels, its exits, then the best price and the end of the data.
        if pos != 0:
            trail_level = _trail_level_nb(pos, extreme, entry_fill, trail, trail_frac, trail_offset)
            stop_level, stop_reason = sl_level, STOP_LOSS
            if pos * (trail_level - sl_level) > 0.0:
                stop_level, stop_reason = trail_level, TRAILING_STOP
            take_level, take_reason = tp_level, TAKE_PROFIT
            if has_roi:
                roi_level = _roi_level_nb(pos, i - entry_bar, entry_fill, roi_age, roi_return)
                if pos * (tp_level - roi_level) > 0.0:
                    take_level, take_reason = roi_level, ROI
            exit_price, reason = _stop_exit_nb(
                pos, open_[i], high[i], low[i], stop_level, stop_reason, take_level, take_reason
            )
            if reason < 0:
                extreme = max(extreme, high[i]) if pos > 0 else min(extreme, low[i])
                if i == n - 1:
                    exit_price, reason = close[i], END_OF_DATA
            if reason >= 0:
                cash += _close_nb(
                    trades, k, entry_bar, i, pos, units, entry_fill, entry_fee,
                    exit_price, reason, fee_rate, slip_rate,
                )  # fmt: skip
                k += 1
                pos = 0
        equity[i] = cash + pos * units * close[i]

    t_entry, t_exit, t_dir, t_entry_price, t_exit_price, t_size, t_pnl, t_ret, t_reason = trades
    return (
        equity,
        position,
        t_entry[:k],
        t_exit[:k],
        t_dir[:k],
        t_entry_price[:k],
        t_exit_price[:k],
        t_size[:k],
        t_pnl[:k],
        t_ret[:k],
        t_reason[:k],
    )


@njit(types.int64(_RO_F8, _RO_I8), cache=True, nogil=True)  # type: ignore[misc]
def first_negative_before_nb(values: FloatArray, bars: IntArray) -> int:
    """The first ``k`` with ``values[bars[k] - 1] < 0`` (NaN is not negative), else -1.

    ``bars`` are entry bars; ``bars[k] - 1`` is the signal bar whose distances they used.
    """
    for k in range(bars.shape[0]):
        if values[bars[k] - 1] < 0.0:
            return k
    return -1
