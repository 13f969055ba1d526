"""One Freqtrade backtest: the strategy's frames in, Freqtrade's trades out.

:func:`run_backtest` takes the frames a strategy's ``populate_*`` methods left (one
:class:`PairFrame` per pair of the pairlist, signals not shifted), trims them to the
window, shifts the signals one candle as Freqtrade's ``_get_ohlcv_as_lists`` does, lays
the pairs on one date index and runs :func:`genesis.freqtrade._kernels.simulate_nb`
(or, for a strategy with ``custom_stoploss``/``custom_exit``, the same loop in Python with
its callbacks, :mod:`genesis.freqtrade._callbacks`). The trades come back with Freqtrade's
field names and exit reasons, plus the wallet's value per candle.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from genesis.errors import DataError
from genesis.freqtrade import _kernels as k
from genesis.freqtrade.rules import ExitRules, Market, Wallet, check_supported

__all__ = ["FtBacktest", "Layouts", "PairFrame", "price_ticks", "run_backtest"]

_REQUIRED = ("date", "open", "high", "low", "close")
_MAX_DECIMALS = 12


@dataclass(frozen=True)
class PairFrame:
    """One pair after the strategy's ``populate_*`` methods.

    Attributes:
        pair: The pair's name, e.g. ``"BTC/USDT"``.
        frame: ``date`` (UTC), ``open``, ``high``, ``low``, ``close``, ``volume``,
            ``enter_long``, ``exit_long`` (optional ``exit_tag``) as the strategy left them,
            startup candles included and signals NOT shifted.
        market: The pair's exchange rules.
        price_ticks: The price tick per row of ``frame`` as Freqtrade derives it from the
            candles (:func:`price_ticks`); computed when None (cache it for repeated runs).
    """

    pair: str
    frame: pd.DataFrame
    market: Market = field(default_factory=Market)
    price_ticks: np.ndarray | None = None


@dataclass(frozen=True)
class FtBacktest:
    """A backtest's result.

    Attributes:
        trades: One row per trade in Freqtrade's field names (``pair``, ``open_date``,
            ``close_date``, ``open_rate``, ``close_rate``, ``amount``, ``stake_amount``,
            ``exit_reason``, ``profit_abs``, ``profit_ratio``, ``is_short``, ``fee_open``,
            ``fee_close``, ``trade_duration`` in minutes, ...), in the order they closed.
        equity: The wallet's value after each candle of ``dates`` (open trades at the close,
            after exit fees).
        dates: The common date index (int64 ms since the epoch, UTC).
        starting_balance: The wallet's starting balance.
    """

    trades: pd.DataFrame
    equity: np.ndarray
    dates: np.ndarray
    starting_balance: float


def price_ticks(frame: pd.DataFrame) -> np.ndarray:
    """The price tick of each row as Freqtrade's backtest derives it (NaN = none).

    Freqtrade (``Backtesting.load_bt_data``) takes each month's largest number of decimals
    of the OHLC prices as that month's tick (``get_tick_size_over_time``) and rounds stop
    and exit prices to it. This calls that function, on each month's distinct prices only
    (the same monthly maxima, without formatting every candle's four prices).
    """
    from freqtrade.data.btanalysis.historic_precision import get_tick_size_over_time

    dates = pd.DatetimeIndex(frame["date"])
    dates = dates.tz_localize("UTC") if dates.tz is None else dates.tz_convert("UTC")
    months = dates.tz_localize(None).to_period("M").to_timestamp().tz_localize("UTC")
    prices = frame[["open", "high", "low", "close"]].to_numpy(np.float64)
    distinct = pd.DataFrame(
        {"month": np.repeat(months.as_unit("ns").asi8, 4), "price": prices.ravel()}
    ).drop_duplicates()
    # Four distinct prices of one month per row (padded with the row's first): Freqtrade
    # formats each price once, and the month's largest count is unchanged.
    month = distinct["month"].to_numpy()
    starts = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
    position = np.arange(len(month)) - np.repeat(starts, np.diff(np.r_[starts, len(month)]))
    new_row = (position % 4) == 0
    row = np.cumsum(new_row) - 1
    table = np.full((int(new_row.sum()), 4), np.nan)
    table[row, position % 4] = distinct["price"].to_numpy()
    table = np.where(np.isnan(table), table[:, :1], table)
    candles = pd.DataFrame(table, columns=["open", "high", "low", "close"])
    candles.insert(0, "date", pd.to_datetime(month[new_row], unit="ns", utc=True))
    monthly = get_tick_size_over_time(candles)
    return np.asarray(monthly.asof(dates), dtype=np.float64)


def run_backtest(
    pairs: Sequence[PairFrame],
    rules: ExitRules,
    wallet: Wallet,
    *,
    strategy: Any | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    startup_candles: int = 0,
    layouts: Layouts | None = None,
) -> FtBacktest:
    """Backtest the pairs' signals with Freqtrade's rules.

    Args:
        pairs: The pairlist's frames (see :class:`PairFrame`).
        rules: The exit rules (:meth:`ExitRules.from_strategy`, or hyperopt's).
        wallet: Slots, stake, balance and fee.
        strategy: The ``IStrategy``, needed only when it overrides ``custom_stoploss``
            (with ``use_custom_stoploss``) or ``custom_exit``; those run in Python.
        start: First candle of the window (Freqtrade's start after the startup candles);
            its signal is never traded, as in Freqtrade. None = the frames' first candle.
        end: Last candle of the window (inclusive). None = the frames' last candle.
        startup_candles: The strategy's ``startup_candle_count``. When positive, each
            pair's window starts after its own first ``startup_candles`` rows and
            ``start`` is not used, as Freqtrade trims them (``trim_dataframe``): a pair
            whose data begins later also loses its first rows.
        layouts: Where the kernel's arrays of these frames are kept between calls
            (:class:`Layouts`); laid out anew when None.

    Raises:
        DataError: no pair has candles in the window, or a frame lacks a column.
        StrategyError: the strategy uses what the backtest does not follow.
    """
    if strategy is not None:
        check_supported(strategy)
    laid = (layouts or Layouts(0)).get(pairs, start, end, startup_candles)
    dates, arrays, names = laid.dates, laid.arrays, laid.pairs
    params = _params(rules, wallet, _timeframe_min(strategy, dates))
    roi_minutes = np.array([m for m, _ in rules.minimal_roi], dtype=np.int64)
    roi_ratios = np.array([r for _, r in rules.minimal_roi], dtype=np.float64)
    if strategy is not None and _needs_callbacks(strategy):
        from genesis.freqtrade._callbacks import simulate_with_callbacks

        records, equity = simulate_with_callbacks(
            strategy, names, dates, laid.tags, laid.minutes, arrays, roi_minutes, roi_ratios,
            params,
        )  # fmt: skip
    else:
        records, equity = k.simulate_nb(laid.minutes, *arrays, roi_minutes, roi_ratios, params)
    enter_tags = _enter_tags(records, laid.enter_tags, dates)
    trades = _trades_frame(records, names, dates, laid.tags, wallet.fee, enter_tags)
    return FtBacktest(trades, equity, dates, wallet.dry_run_wallet)


class _Laid(NamedTuple):
    """The kernel's inputs of one set of frames and window (what no exit rule changes)."""

    source: tuple[PairFrame, ...]
    """The frames they were made of (held, so that their ids stay theirs while cached)."""
    pairs: list[str]
    dates: np.ndarray
    minutes: np.ndarray
    arrays: k.Layout
    tags: list[str]
    enter_tags: list[tuple[np.ndarray, np.ndarray] | None]
    """Per pair: its dates and each row's shifted ``enter_tag`` (None = no such column)."""


class Layouts:
    """The kernel's arrays of the last ``size`` sets of frames and windows.

    A hyperopt trial that changes only ROI, stoploss, trailing or the number of slots
    gets the same :class:`PairFrame` objects back from
    :meth:`~genesis.freqtrade.signals.SignalSource.pair_frames`; laying them out (trim,
    shift, the ``[T, P]`` arrays, the ticks' parts) again would cost more than the kernel.
    The frames are matched by identity, and kept with their arrays so that an id is not
    reused while cached. The kernel only reads these arrays.
    """

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], _Laid] = OrderedDict()

    def get(
        self,
        pairs: Sequence[PairFrame],
        start: pd.Timestamp | None,
        end: pd.Timestamp | None,
        startup: int,
    ) -> _Laid:
        """The arrays of ``pairs`` on the window (laid out when not cached)."""
        key = (tuple(id(pf) for pf in pairs), start, end, startup)
        laid = self._items.get(key)
        if laid is not None and all(a is b for a, b in zip(laid.source, pairs, strict=True)):
            self._items.move_to_end(key)
            return laid
        laid = _lay(pairs, start, end, startup)
        if self._size > 0:
            self._items[key] = laid
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return laid


def _lay(
    pairs: Sequence[PairFrame], start: pd.Timestamp | None, end: pd.Timestamp | None, startup: int
) -> _Laid:
    """Trim, shift and lay the pairs on their common dates (see :func:`run_backtest`)."""
    frames = [_window(pf, start, end, startup) for pf in pairs]
    kept = [i for i, f in enumerate(frames) if len(f.ms) > 0]
    if not kept:
        raise DataError("no candles left in the backtest window", where=_names(pairs))
    dates = _common_dates([frames[i].ms for i in kept])
    arrays, tags = _lay_out([frames[i] for i in kept], [pairs[i] for i in kept], dates)
    enter_tags = [_enter_tag_rows(frames[i]) for i in kept]
    names = [pairs[i].pair for i in kept]
    return _Laid(tuple(pairs), names, dates, dates // 60_000, arrays, tags, enter_tags)


def _enter_tag_rows(window: _Window) -> tuple[np.ndarray, np.ndarray] | None:
    """The window's dates and each row's ``enter_tag`` as the strategy left it."""
    if window.enter_tag is None:
        return None
    return window.ms, window.enter_tag.to_numpy(dtype=object)  # cleaned per trade, not row


def _enter_tags(
    records: np.ndarray,
    rows: list[tuple[np.ndarray, np.ndarray] | None],
    dates: np.ndarray,
) -> np.ndarray:
    """Each trade's ``enter_tag``: the shifted tag of its entry candle, as Freqtrade's."""
    result = np.full(len(records), None, dtype=object)
    pair_of = records[:, k.R_PAIR].astype(np.int64)
    opened = dates[records[:, k.R_T_OPEN].astype(np.int64)]
    for p, pair_rows in enumerate(rows):
        mine = np.flatnonzero(pair_of == p)
        if pair_rows is None or not len(mine):
            continue
        ms, tags = pair_rows
        chosen = tags[np.searchsorted(ms, opened[mine])]
        result[mine] = [t if isinstance(t, str) and t else None for t in chosen]
    return result


def _names(pairs: Sequence[PairFrame]) -> str:
    return ", ".join(pf.pair for pf in pairs) or "(no pairs)"


class _Window(NamedTuple):
    """One pair's arrays in the window, signals already shifted (row t: candle t-1's)."""

    ms: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    tick: np.ndarray
    enter: np.ndarray
    exit: np.ndarray
    exit_tag: pd.Series | None
    enter_tag: pd.Series | None


def _window(
    pf: PairFrame, start: pd.Timestamp | None, end: pd.Timestamp | None, startup: int
) -> _Window:
    """The pair's candles in the window with signals shifted one candle, first row dropped.

    Freqtrade trims first, then shifts: the window's first candle only gives its signal.
    """
    frame = pf.frame
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(f"the frame lacks the column(s) {', '.join(missing)}", where=pf.pair)
    ticks = pf.price_ticks if pf.price_ticks is not None else price_ticks(frame)
    if len(ticks) != len(frame):
        raise DataError(f"{len(ticks)} price ticks for {len(frame)} rows", where=pf.pair)
    if pf.market.price_step is not None:
        ticks = np.where(np.isnan(ticks), pf.market.price_step, ticks)
    ms = pd.DatetimeIndex(frame["date"]).as_unit("ms").asi8
    if startup > 0:
        lo = startup
    else:
        lo = 0 if start is None else int(np.searchsorted(ms, _to_ms(start), side="left"))
    hi = len(ms) if end is None else int(np.searchsorted(ms, _to_ms(end), side="right"))
    rows, signal_rows = slice(lo + 1, max(hi, lo + 1)), slice(lo, max(hi - 1, lo))

    def prices(column: str) -> np.ndarray:
        return np.ascontiguousarray(frame[column].to_numpy(np.float64)[rows])

    def signal(column: str) -> np.ndarray:
        if column not in frame.columns:
            return np.zeros(rows.stop - rows.start, dtype=np.bool_)
        return np.asarray(frame[column].to_numpy(np.float64)[signal_rows] == 1.0)

    tags = frame["exit_tag"].iloc[signal_rows] if "exit_tag" in frame.columns else None
    enter_tags = frame["enter_tag"].iloc[signal_rows] if "enter_tag" in frame.columns else None
    return _Window(
        ms[rows], prices("open"), prices("high"), prices("low"), prices("close"),
        np.asarray(ticks, dtype=np.float64)[rows], signal("enter_long"), signal("exit_long"),
        tags, enter_tags,
    )  # fmt: skip


def _common_dates(stamps: list[np.ndarray]) -> np.ndarray:
    """The sorted union of the pairs' dates (the usual case, all alike, without a sort)."""
    first = stamps[0]
    if all(len(s) == len(first) and np.array_equal(s, first) for s in stamps[1:]):
        return first
    return np.unique(np.concatenate(stamps))


def _to_ms(when: pd.Timestamp) -> int:
    """A timestamp as int64 ms since the epoch (naive = UTC)."""
    stamp = pd.Timestamp(when)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.value // 1_000_000)


def _tick_parts(ticks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each tick as ``units / scale`` with ``scale`` a power of ten (0, 0 = no tick)."""
    scale = np.zeros(ticks.shape)
    units = np.zeros(ticks.shape)
    flat = ticks.ravel()
    changes = flat[np.r_[True, flat[1:] != flat[:-1]]] if flat.size else flat
    for tick in np.unique(changes[np.isfinite(changes) & (changes > 0)]):
        for decimals in range(_MAX_DECIMALS + 1):
            whole = tick * 10.0**decimals
            if abs(whole - round(whole)) <= 1e-9 * max(whole, 1.0):
                break
        at = ticks == tick
        scale[at] = 10.0**decimals
        units[at] = float(round(whole))
    return scale, units


def _tag_codes(tags: pd.Series, codes: dict[str, int]) -> np.ndarray:
    """Each row's exit tag as a code of ``codes`` (extended), -1 for none or empty."""
    local, names = pd.factorize(tags, use_na_sentinel=True)
    known = [codes.setdefault(n, len(codes)) if isinstance(n, str) and n else -1 for n in names]
    mapping = np.asarray([*known, -1], dtype=np.int64)
    result: np.ndarray = mapping[np.asarray(local)]
    return result


def _lay_out(
    frames: list[_Window], pairs: list[PairFrame], dates: np.ndarray
) -> tuple[k.Layout, list[str]]:
    """The kernel's ``[T, P]`` arrays on the common dates, and the exit tags' names."""
    n_t, n_p = len(dates), len(frames)
    open_, high, low, close, ticks = (np.full((n_t, n_p), np.nan) for _ in range(5))
    valid, enter, exit_ = (np.zeros((n_t, n_p), dtype=np.bool_) for _ in range(3))
    exit_tag = np.full((n_t, n_p), -1, dtype=np.int64)
    last_row = np.zeros(n_p, dtype=np.int64)
    tag_codes: dict[str, int] = {}
    for p, w in enumerate(frames):
        same = len(w.ms) == n_t and w.ms[0] == dates[0] and w.ms[-1] == dates[-1]
        rows = np.arange(n_t) if same else np.searchsorted(dates, w.ms)
        for target, source in ((open_, w.open), (high, w.high), (low, w.low), (close, w.close)):
            target[rows, p] = source
        valid[rows, p] = True
        enter[rows, p] = w.enter
        exit_[rows, p] = w.exit
        ticks[rows, p] = w.tick
        last_row[p] = rows[-1]
        if w.exit_tag is not None:
            exit_tag[rows, p] = _tag_codes(w.exit_tag, tag_codes)
    price_scale, price_units = _tick_parts(ticks)
    markets = [pf.market for pf in pairs]
    steps = np.array([np.nan if m.amount_step is None else m.amount_step for m in markets])
    amount_scale, amount_units = _tick_parts(steps)
    min_cost = np.array([np.nan if m.min_stake is None else m.min_stake for m in markets])
    min_amount = np.array([np.nan if m.min_amount is None else m.min_amount for m in markets])
    arrays: k.Layout = (
        open_, high, low, close, valid, enter, exit_, exit_tag, price_scale, price_units,
        amount_scale, amount_units, min_cost, min_amount, last_row,
    )  # fmt: skip
    return arrays, list(tag_codes)


def _params(rules: ExitRules, wallet: Wallet, tf_min: int) -> np.ndarray:
    """The kernel's ``params`` array (see the ``P_*`` indices in _kernels)."""
    params = np.zeros(k.N_PARAMS)
    positive = rules.trailing_stop_positive
    params[k.P_STOPLOSS] = rules.stoploss
    params[k.P_TRAILING] = rules.trailing_stop
    params[k.P_TRAILING_POSITIVE] = np.nan if positive is None else positive
    params[k.P_TRAILING_OFFSET] = rules.trailing_stop_positive_offset
    params[k.P_ONLY_OFFSET] = rules.trailing_only_offset_is_reached
    params[k.P_USE_EXIT_SIGNAL] = rules.use_exit_signal
    params[k.P_EXIT_PROFIT_ONLY] = rules.exit_profit_only
    params[k.P_EXIT_PROFIT_OFFSET] = rules.exit_profit_offset
    params[k.P_IGNORE_ROI] = rules.ignore_roi_if_entry_signal
    params[k.P_FEE] = wallet.fee
    params[k.P_START_BALANCE] = wallet.dry_run_wallet
    params[k.P_TRADABLE_RATIO] = wallet.tradable_balance_ratio
    params[k.P_STAKE_AMOUNT] = np.nan if wallet.stake_amount is None else wallet.stake_amount
    params[k.P_MAX_OPEN_TRADES] = wallet.max_open_trades
    params[k.P_TF_MIN] = tf_min
    timeout = rules.exit_timeout_min
    params[k.P_EXIT_TIMEOUT] = np.nan if timeout is None else timeout
    return params


def _timeframe_min(strategy: Any | None, dates: np.ndarray) -> int:
    """The timeframe in minutes: the strategy's, else the smallest step between candles."""
    if strategy is not None and getattr(strategy, "timeframe", None):
        from freqtrade.exchange import timeframe_to_minutes

        return int(timeframe_to_minutes(strategy.timeframe))
    steps = np.diff(dates)
    return max(int(steps.min() // 60_000), 1) if len(steps) else 1


def _needs_callbacks(strategy: Any) -> bool:
    """Whether the strategy's custom_stoploss or custom_exit must be called per candle."""
    from genesis.freqtrade._callbacks import callback_flags

    custom_stop, _, custom_exit = callback_flags(strategy)
    return custom_stop or custom_exit


def reason_names(tags: Sequence[str]) -> dict[int, str]:
    """Exit reason codes of the kernel's records to Freqtrade's strings."""
    names = dict(k.REASON_NAMES)
    names.update({k.TAG_BASE + i: tag for i, tag in enumerate(tags)})
    return names


def _trades_frame(
    records: np.ndarray,
    pairs: list[str],
    dates: np.ndarray,
    tags: Sequence[str],
    fee: float,
    enter_tags: np.ndarray,
) -> pd.DataFrame:
    """The kernel's records as Freqtrade's trades DataFrame (``trade_list_to_dataframe``)."""
    names = reason_names(tags)
    t_open = records[:, k.R_T_OPEN].astype(np.int64)
    t_close = records[:, k.R_T_CLOSE].astype(np.int64)
    open_ms, close_ms = dates[t_open], dates[t_close]
    n = len(records)
    return pd.DataFrame(
        {
            "pair": [pairs[int(p)] for p in records[:, k.R_PAIR]],
            "stake_amount": records[:, k.R_STAKE],
            "max_stake_amount": records[:, k.R_STAKE],
            "amount": records[:, k.R_AMOUNT],
            "open_date": pd.to_datetime(open_ms, unit="ms", utc=True),
            "close_date": pd.to_datetime(close_ms, unit="ms", utc=True),
            "open_rate": records[:, k.R_OPEN_RATE],
            "close_rate": records[:, k.R_CLOSE_RATE],
            "fee_open": np.full(n, fee),
            "fee_close": np.full(n, fee),
            "trade_duration": (close_ms - open_ms) // 60_000,
            "profit_ratio": records[:, k.R_PROFIT_RATIO],
            "profit_abs": records[:, k.R_PROFIT_ABS],
            "exit_reason": [names[int(code)] for code in records[:, k.R_REASON]],
            "is_open": np.zeros(n, dtype=bool),
            "leverage": np.ones(n),
            "is_short": np.zeros(n, dtype=bool),
            "open_timestamp": open_ms,
            "close_timestamp": close_ms,
            "enter_tag": enter_tags,  # here, not set after: a column added costs ~0.5 ms
        }
    )
