"""One backtest as people and files see it: timestamped equity, buy-and-hold, trades.

The engine speaks in bar indices and int8 exit codes; this module puts times on them
(each bar's *open* time, UTC, from the candles' ``ts_ms``) and names on the codes, for
``genesis backtest`` (its table, ``--json`` and ``--plot``) and for
:class:`genesis.api.BacktestReport` (``trades`` as a DataFrame, ``equity`` as a Series).

Conventions:
    * ``entry_time`` is the open of the bar the entry filled at; ``exit_time`` the open of
      the bar the exit filled in (a stop fills inside that bar, an end-of-data exit at
      its close).
    * Buy-and-hold is the initial capital invested at the first bar's open and marked at
      every close, without costs (the benchmark of
      :attr:`~genesis.metrics.Metrics.buy_hold_return_pct`).
    * Drawdown is a positive percentage below the running peak, the initial capital
      included (as :mod:`genesis.metrics`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from genesis.engine import BacktestResult, ExitReason
from genesis.errors import BacktestError

if TYPE_CHECKING:
    import pandas as pd

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

TRADE_COLUMNS = (
    "entry_time", "exit_time", "side", "entry_price", "exit_price", "size", "pnl",
    "return_pct", "exit_reason", "bars", "entry_idx", "exit_idx",
)  # fmt: skip
"""The columns of :func:`trades_frame`, in order (also the keys of each JSON trade)."""

_REASONS = {int(reason): reason.name.lower() for reason in ExitReason}


def iso_times(ts_ms: IntArray) -> list[str]:
    """Epoch milliseconds as ISO 8601 UTC strings (``2019-01-01T00:00:00Z``)."""
    text = np.datetime_as_string(np.asarray(ts_ms).astype("datetime64[ms]"), unit="s")
    return [f"{t}Z" for t in text.tolist()]


def exit_reason_name(code: int) -> str:
    """The name of an engine exit code (``1`` → ``"stop_loss"``)."""
    return _REASONS.get(int(code), f"unknown_{int(code)}")


def buy_hold_curve(result: BacktestResult) -> FloatArray:
    """The initial capital held in the asset from the first open on, at every close.

    Raises:
        BacktestError: the result was made without prices (not by the engine).
    """
    if result.close is None or result.first_open is None:
        raise BacktestError("this backtest result has no prices to compare buy-and-hold with")
    curve: FloatArray = result.initial_capital * result.close / result.first_open
    return curve


def drawdown_curve(equity: FloatArray, capital: float) -> FloatArray:
    """Percent below the running peak (the initial capital included) at each bar."""
    peak = np.maximum.accumulate(np.concatenate([[capital], equity]))[1:]
    return 100.0 * (1.0 - equity / peak)


def trade_rows(result: BacktestResult, ts_ms: IntArray) -> dict[str, list[Any]]:
    """The closed trades column by column, JSON-ready, keyed by :data:`TRADE_COLUMNS`."""
    t = result.trades
    entry, exit_ = t.entry_idx.astype(np.int64), t.exit_idx.astype(np.int64)
    return {
        "entry_time": iso_times(ts_ms[entry]),
        "exit_time": iso_times(ts_ms[exit_]),
        "side": ["long" if d > 0 else "short" for d in t.direction.tolist()],
        "entry_price": t.entry_price.tolist(),
        "exit_price": t.exit_price.tolist(),
        "size": t.size.tolist(),
        "pnl": t.pnl.tolist(),
        "return_pct": t.return_pct.tolist(),
        "exit_reason": [exit_reason_name(c) for c in t.exit_reason.tolist()],
        "bars": (exit_ - entry + 1).tolist(),
        "entry_idx": entry.tolist(),
        "exit_idx": exit_.tolist(),
    }


def trades_json(result: BacktestResult, ts_ms: IntArray) -> list[dict[str, Any]]:
    """One JSON object per closed trade (ISO times, side and exit reason by name)."""
    columns = trade_rows(result, ts_ms)
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def equity_json(result: BacktestResult, ts_ms: IntArray) -> dict[str, Any]:
    """The equity summary and its timestamped curve, with buy-and-hold and drawdown."""
    equity = result.equity
    return {
        "initial": result.initial_capital,
        "final": float(equity[-1]),
        "min": float(equity.min()),
        "max": float(equity.max()),
        "n_bars": len(equity),
        "start": iso_times(ts_ms[:1])[0],
        "end": iso_times(ts_ms[-1:])[0],
        "curve": {
            "time": iso_times(ts_ms),
            "equity": equity.tolist(),
            "buy_hold": buy_hold_curve(result).tolist(),
            "drawdown_pct": drawdown_curve(equity, result.initial_capital).tolist(),
        },
    }


def bar_index(ts_ms: IntArray) -> pd.DatetimeIndex:
    """The bars' open times as a UTC DatetimeIndex named ``time``."""
    import pandas as pd

    return pd.DatetimeIndex(pd.to_datetime(np.asarray(ts_ms), unit="ms", utc=True), name="time")


def equity_series(result: BacktestResult, ts_ms: IntArray) -> pd.Series:
    """Equity marked at each close, indexed by the bar's open time."""
    import pandas as pd

    return pd.Series(result.equity, index=bar_index(ts_ms), name="equity")


def buy_hold_series(result: BacktestResult, ts_ms: IntArray) -> pd.Series:
    """Buy-and-hold of the same bars (see :func:`buy_hold_curve`), like :func:`equity_series`."""
    import pandas as pd

    return pd.Series(buy_hold_curve(result), index=bar_index(ts_ms), name="buy_hold")


def trades_frame(result: BacktestResult, ts_ms: IntArray) -> pd.DataFrame:
    """The closed trades, one row each, with UTC times and the exit reason by name."""
    import pandas as pd

    t = result.trades
    rows: dict[str, Any] = trade_rows(result, ts_ms)
    rows["entry_time"] = pd.to_datetime(ts_ms[t.entry_idx], unit="ms", utc=True)
    rows["exit_time"] = pd.to_datetime(ts_ms[t.exit_idx], unit="ms", utc=True)
    frame = pd.DataFrame(rows, columns=list(TRADE_COLUMNS))
    frame["exit_reason"] = frame["exit_reason"].astype("category")
    return frame
