"""A Freqtrade backtest's result as Freqtrade names it: the trades and the summary metrics.

Owns :func:`summary` and :func:`result_document`. The summary is computed by Freqtrade's
own report code (``_generate_result_line``: profit, win rate, drawdown, CAGR, Sharpe, ...)
on genesis's trades, under Freqtrade's key names (``total_trades``, ``profit_total_abs``,
``profit_total``, ``winrate``, ``max_drawdown_account``, ...). Where Freqtrade writes a
stand-in number for an undefined metric (0 for the win rate of no trades, -100 for a
ratio or SQN over a zero deviation, 0 for the profit factor and 100 for the expectancy
ratio without a losing trade) the summary says ``None``. The document mirrors
Freqtrade's backtest-result JSON (``{"strategy": {<Name>: {"trades": [...], <metrics>}}}``)
so tools reading Freqtrade's results read it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from genesis.freqtrade.backtest import FtBacktest

_RATIOS = ("sharpe", "sortino", "calmar", "sqn")
_UNDEFINED_WITHOUT_TRADES = (
    "profit_mean",
    "profit_mean_pct",
    "winrate",
    "expectancy",
    "expectancy_ratio",
    "sqn",
    "p_value",
    "profit_factor",
    "cagr",
    *_RATIOS,
)
_FREQTRADE_UNDEFINED_RATIO = -100.0


def summary(
    result: FtBacktest, start: pd.Timestamp, end: pd.Timestamp, *, stake_currency: str = ""
) -> dict[str, Any]:
    """Freqtrade's summary metrics of ``result`` over the window ``start``..``end``.

    Returns:
        A JSON-ready dict (plain floats/ints/strings, None for undefined).
    """
    from freqtrade.optimize.optimize_reports.optimize_reports import _generate_result_line

    trades = result.trades
    line = _generate_result_line(
        trades, start.to_pydatetime(), end.to_pydatetime(), result.starting_balance, "TOTAL"
    )
    line.pop("key", None)
    line["total_trades"] = line.pop("trades")
    if line["total_trades"] == 0:
        line.update(dict.fromkeys(_UNDEFINED_WITHOUT_TRADES))
    else:
        for name in _RATIOS:
            if line[name] == _FREQTRADE_UNDEFINED_RATIO:
                line[name] = None
        if not (trades["profit_abs"] < 0).any():  # no loss to divide by
            line["profit_factor"] = line["expectancy_ratio"] = None
    line.update(
        starting_balance=result.starting_balance,
        final_balance=result.starting_balance + float(trades["profit_abs"].sum()),
        stake_currency=stake_currency,
        backtest_start=str(start),
        backtest_end=str(end),
        exit_reasons=_exit_reasons(trades),
    )
    return {name: _plain(value) for name, value in line.items()}


def _exit_reasons(trades: pd.DataFrame) -> dict[str, int]:
    counts = trades["exit_reason"].value_counts() if len(trades) else pd.Series(dtype=int)
    return {str(reason): int(n) for reason, n in counts.items()}


def trade_records(trades: pd.DataFrame) -> list[dict[str, Any]]:
    """The trades as Freqtrade exports them: its field names, dates as ``str`` in UTC."""
    return [
        {str(name): _plain(value) for name, value in row.items()}
        for row in trades.to_dict(orient="records")
    ]


def result_document(
    strategy_name: str,
    result: FtBacktest,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    stake_currency: str = "",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``--json`` document: Freqtrade's layout, genesis's provenance under ``genesis``."""
    stats = summary(result, start, end, stake_currency=stake_currency)
    body = {"trades": trade_records(result.trades), **stats}
    document: dict[str, Any] = {"strategy": {strategy_name: body}}
    if extra:
        document["genesis"] = {str(k): _plain(v) for k, v in extra.items()}
    return document


def _plain(value: Any) -> Any:
    """A JSON value: numpy scalars as Python ones, timestamps as Freqtrade's strings."""
    if isinstance(value, pd.Timestamp):
        return str(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is not None and not isinstance(value, bool | int | float | str):
        return str(value)
    return value
