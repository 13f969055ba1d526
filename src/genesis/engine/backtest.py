"""``run_backtest``: check the inputs, call the kernel, wrap its arrays.

This is the engine's one entry point. Its Python overhead is kept to a few
microseconds because the optimizer calls it thousands of times on warm features:
no copies of valid arrays, no per-call allocation besides the kernel's outputs, and no
per-bar Python objects. Absent optional arrays are passed to the kernel as shared,
read-only, zero-length arrays (the kernel reads "length 0" as "not given"), so no
all-False or all-NaN array is ever built. The trading rules live in
:mod:`genesis.engine._kernels`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import numpy as np
import numpy.typing as npt

from genesis.engine._kernels import first_negative_before_nb, simulate_nb
from genesis.engine.types import BacktestResult, BacktestSettings, ExitRules, Signals, Trades
from genesis.errors import BacktestError, StrategyError

if TYPE_CHECKING:
    from genesis.data import Candles

_ABSENT_BOOL = np.zeros(0, dtype=np.bool_)
_ABSENT_BOOL.setflags(write=False)
_ABSENT_FLOAT = np.zeros(0, dtype=np.float64)
_ABSENT_FLOAT.setflags(write=False)
_NO_RULES = ExitRules()
_BPS = 1e-4
_G = TypeVar("_G", bound=np.generic)
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def _checked(
    values: npt.NDArray[_G] | None,
    name: str,
    n_bars: int,
    dtype: type[_G],
    absent: npt.NDArray[_G],
) -> npt.NDArray[_G]:
    """Return ``values`` ready for the kernel, or raise BacktestError saying what is wrong.

    Args:
        values: The strategy's array, or None when not given.
        name: The Signals field name, for the error message.
        n_bars: The number of candles every array must match.
        dtype: The required numpy dtype (bool for signals, float64 for distances).
        absent: What to pass instead of None.

    Returns:
        ``values`` itself when valid and contiguous (no copy), a contiguous copy when
        only the memory layout differs, or ``absent`` for None.
    """
    if values is None:
        return absent
    if not isinstance(values, np.ndarray):
        raise BacktestError(
            f"signals.{name} must be a numpy array, got {type(values).__name__}",
            hint="strategies return numpy arrays, one value per bar",
        )
    if values.dtype != dtype or values.ndim != 1 or values.shape[0] != n_bars:
        raise BacktestError(
            f"signals.{name} must be a 1-d {np.dtype(dtype).name} array of {n_bars} values "
            f"(one per candle), got {values.ndim}-d {values.dtype.name} of shape {values.shape}",
            hint="check the strategy's output against the candles it was given",
        )
    if not values.flags.c_contiguous:
        return np.ascontiguousarray(values)
    return values


def signal_arrays(
    signals: Signals, n_bars: int
) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray, FloatArray, FloatArray, FloatArray]:
    """The per-bar arrays of ``signals`` checked for the kernels (length 0 when absent):
    entry/exit long, entry/exit short, stop-loss, take-profit and trailing distances."""
    b, f = np.bool_, np.float64
    return (
        _checked(signals.entry_long, "entry_long", n_bars, b, _ABSENT_BOOL),
        _checked(signals.exit_long, "exit_long", n_bars, b, _ABSENT_BOOL),
        _checked(signals.entry_short, "entry_short", n_bars, b, _ABSENT_BOOL),
        _checked(signals.exit_short, "exit_short", n_bars, b, _ABSENT_BOOL),
        _checked(signals.stop_loss, "stop_loss", n_bars, f, _ABSENT_FLOAT),
        _checked(signals.take_profit, "take_profit", n_bars, f, _ABSENT_FLOAT),
        _checked(signals.trailing_stop, "trailing_stop", n_bars, f, _ABSENT_FLOAT),
    )


def _exit_rules(rules: object) -> ExitRules:
    """``rules`` when it is an :class:`ExitRules`, the all-off rules for None."""
    if rules is None:
        return _NO_RULES
    if not isinstance(rules, ExitRules):
        raise BacktestError(
            f"signals.exit_rules must be a genesis.engine.ExitRules, got {type(rules).__name__}",
            hint="build it as ExitRules(roi=((0, 0.05), (24, 0.0)), stop_loss_frac=0.1, ...)",
        )
    return rules


def _nan_if_none(value: float | None) -> float:
    return np.nan if value is None else float(value)


def _check_stop_distances(signals: Signals, entry_idx: npt.NDArray[np.int64]) -> None:
    """Raise StrategyError if a trade was opened with a negative stop distance.

    Only the distances the kernel used are checked (those of each entry's signal bar,
    ``entry_idx - 1``), in one numba pass over the trades, not over every bar. A
    negative distance would put the stop on the wrong side of the fill and close the
    trade at once, which is a bug in the strategy, not a result.
    """
    for name in ("stop_loss", "take_profit", "trailing_stop"):
        distances = getattr(signals, name)
        if distances is None:
            continue
        first = first_negative_before_nb(distances, entry_idx)
        if first >= 0:
            bar = int(entry_idx[first]) - 1
            raise StrategyError(
                f"signals.{name} is negative ({float(distances[bar]):g}) at bar {bar}, "
                f"where a trade was entered",
                hint="stop distances are absolute price distances, >= 0 (NaN for no stop)",
            )


def run_backtest(candles: Candles, signals: Signals, settings: BacktestSettings) -> BacktestResult:
    """Simulate ``signals`` on ``candles`` under ``settings``.

    Args:
        candles: The bars; their OHLC arrays are passed to the kernel as they are.
        signals: Entry/exit booleans and optional stop distances, one value per bar,
            and optional exit rules for every trade.
        settings: Capital, costs and position size (validated when constructed).

    Returns:
        Equity (marked at each close) and position per bar, and the closed trades.

    Raises:
        BacktestError: If there are no candles, a signal array has the wrong type,
            dtype, dimension or length, or the exit rules are not ExitRules.
        StrategyError: If a trade was entered with a negative stop distance.
    """
    n_bars = candles.close.shape[0]
    if n_bars == 0:
        raise BacktestError("cannot backtest zero candles")
    el, xl, es, xs, sl, tp, trail = signal_arrays(signals, n_bars)
    rules = _exit_rules(signals.exit_rules)
    out = simulate_nb(
        candles.open,
        candles.high,
        candles.low,
        candles.close,
        el,
        xl,
        es,
        xs,
        sl,
        tp,
        trail,
        rules.roi_age_bars,
        rules.roi_return,
        settings.fee_bps * _BPS,
        settings.slippage_bps * _BPS,
        settings.position_fraction,
        settings.initial_capital,
        _nan_if_none(rules.stop_loss_frac),
        _nan_if_none(rules.take_profit_frac),
        _nan_if_none(rules.trailing_frac),
        rules.trailing_offset_frac,
        rules.exit_profit_offset,
        rules.exit_profit_only,
    )
    trades = Trades(*out[2:])
    if len(trades):
        _check_stop_distances(signals, trades.entry_idx)
    return BacktestResult(
        equity=out[0],
        trades=trades,
        position=out[1],
        bars_per_year=candles.bars_per_year,
        initial_capital=settings.initial_capital,
        close=candles.close,
        first_open=float(candles.open[0]),
    )
