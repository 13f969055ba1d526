"""The page ``genesis backtest --plot`` writes: one backtest against buy-and-hold.

Three panels over one time axis: the close price with every trade marked (entries as
triangles pointing the trade's way, exits as circles, green for a win, red for a loss),
equity beside buy-and-hold of the same bars, and both drawdowns below their running
peaks. Price and equity are on log scales: both can move by orders of magnitude. Built
from plain arrays, never from the engine, so any caller with a curve and trades (the report
too) can draw it.

The page is self-contained and opens offline: plotly.js is embedded once (the report's
partial bundle where it is vendored, else plotly's full one). Curves longer
than :data:`MAX_POINTS` are thinned to the first bar, and the highest and lowest bar of
each series, in every bucket of bars, so peaks and troughs (and so the drawdowns) survive
thinning while the page stays a few hundred kilobytes of data.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from genesis.artifacts import write_text_atomic

MAX_POINTS = 2_000
"""Buckets a curve is thinned to (each keeps up to five bars)."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BacktestCurves:
    """What the page draws; every array has one value per bar.

    Attributes:
        title: The page's heading (strategy, symbol, bars).
        ts_ms: Bar open times, epoch milliseconds UTC.
        close: Close prices.
        equity: Equity marked at each close.
        buy_hold: Buy-and-hold of the same bars, from the same capital.
        drawdown_pct: Percent below the running equity peak (>= 0).
        buy_hold_drawdown_pct: The same for buy-and-hold.
        trades: One mapping per trade with ``entry_idx``, ``exit_idx``, ``side``,
            ``entry_price``, ``exit_price``, ``return_pct`` and ``exit_reason``.
    """

    title: str
    ts_ms: IntArray
    close: FloatArray
    equity: FloatArray
    buy_hold: FloatArray
    drawdown_pct: FloatArray
    buy_hold_drawdown_pct: FloatArray
    trades: Sequence[Mapping[str, Any]]


def thinned_index(series: Sequence[FloatArray], max_points: int = MAX_POINTS) -> IntArray:
    """Bars to draw: all of them when few, else each bucket's first bar and extremes."""
    n = len(series[0])
    if n <= 2 * max_points:
        return np.arange(n, dtype=np.int64)
    edges = np.linspace(0, n, max_points + 1).astype(np.int64)
    keep = [*edges[:-1].tolist(), n - 1]
    for start, stop in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        for values in series:
            chunk = values[start:stop]
            keep += [start + int(np.argmax(chunk)), start + int(np.argmin(chunk))]
    return np.unique(np.asarray(keep, dtype=np.int64))


def backtest_figure(curves: BacktestCurves) -> Any:
    """The three-panel plotly figure (price and trades, equity, drawdown)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    idx = thinned_index([curves.close, curves.equity, curves.buy_hold])
    times = curves.ts_ms.astype("datetime64[ms]")
    x = times[idx]
    fig = make_subplots(
        rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.04, row_heights=[0.45, 0.35, 0.2],
        subplot_titles=("price and trades", "equity vs buy-and-hold", "drawdown %"),
    )  # fmt: skip
    fig.add_trace(_line(x, curves.close[idx], "close", "#555"), row=1, col=1)
    for trace in _trade_marks(curves, times):
        fig.add_trace(trace, row=1, col=1)
    fig.add_trace(_line(x, curves.equity[idx], "strategy", "#1f77b4"), row=2, col=1)
    fig.add_trace(_line(x, curves.buy_hold[idx], "buy-and-hold", "#ff7f0e"), row=2, col=1)
    drawdown = go.Scatter(
        x=x, y=-curves.drawdown_pct[idx], name="drawdown", mode="lines", fill="tozeroy",
        line={"color": "#d62728", "width": 1},
    )  # fmt: skip
    fig.add_trace(drawdown, row=3, col=1)
    held = _line(x, -curves.buy_hold_drawdown_pct[idx], "buy-and-hold drawdown", "#ff7f0e")
    fig.add_trace(held, row=3, col=1)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(type="log", row=2, col=1)
    fig.update_layout(
        title={"text": curves.title}, template="plotly_white", height=900,
        hovermode="x unified", margin={"l": 60, "r": 20, "t": 60, "b": 70},
        legend={"orientation": "h", "y": -0.05},
    )  # fmt: skip
    return fig


def _line(x: Any, y: FloatArray, name: str, color: str) -> Any:
    import plotly.graph_objects as go

    return go.Scatter(x=x, y=y, name=name, mode="lines", line={"color": color, "width": 1.2})


def _trade_marks(curves: BacktestCurves, times: Any) -> list[Any]:
    """Entries (triangles up for long, down for short) and exits (green win, red loss)."""
    import plotly.graph_objects as go

    trades = curves.trades
    if not trades:
        return []
    entry = np.array([t["entry_idx"] for t in trades], dtype=np.int64)
    exit_ = np.array([t["exit_idx"] for t in trades], dtype=np.int64)
    text = [
        f"{t['side']} {t['return_pct']:+.2f}% ({t['exit_reason']})" for t in trades
    ]  # fmt: skip
    win = ["#2ca02c" if t["return_pct"] > 0 else "#d62728" for t in trades]
    symbol = ["triangle-up" if t["side"] == "long" else "triangle-down" for t in trades]
    return [
        go.Scatter(
            x=times[entry], y=[t["entry_price"] for t in trades], name="entry", mode="markers",
            marker={"symbol": symbol, "size": 9, "color": "#1f77b4"}, text=text,
            hovertemplate="entry %{text}<extra></extra>",
        ),
        go.Scatter(
            x=times[exit_], y=[t["exit_price"] for t in trades], name="exit", mode="markers",
            marker={"symbol": "circle", "size": 7, "color": win}, text=text,
            hovertemplate="exit %{text}<extra></extra>",
        ),
    ]  # fmt: skip


def plotly_js() -> str:
    """plotly.js to inline: the report's vendored partial bundle when there is one, else the
    full bundle the ``plotly`` package ships (the page only uses scatter traces)."""
    vendored = files("genesis.report").joinpath("vendor/plotly-basic.min.js")
    if vendored.is_file():
        return vendored.read_text(encoding="utf-8")
    from plotly.offline import get_plotlyjs

    text: str = get_plotlyjs()
    return text


def backtest_html(curves: BacktestCurves) -> str:
    """The whole page: the figure with plotly.js embedded once (no network needed)."""
    fig = backtest_figure(curves)
    div = fig.to_html(
        include_plotlyjs=False, full_html=False, div_id="backtest", config={"responsive": True}
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(curves.title)}</title>"
        f'<script type="text/javascript">{plotly_js()}</script></head>'
        f"<body>{div}</body></html>\n"
    )


def write_backtest_plot(path: Path, curves: BacktestCurves) -> Path:
    """Write :func:`backtest_html` to ``path`` atomically."""
    write_text_atomic(path, backtest_html(curves))
    return path
