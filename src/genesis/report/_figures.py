"""The report's plotly figures, built from :class:`RunData` only.

Marks are the same in every figure: a computed trial is a filled circle, a score reused
from the in-run memory an open diamond, one from the result cache an open square, a
failed trial a red cross. Infeasible trials (a constraint violated) are drawn faded.
Hover texts are HTML-escaped because plotly renders a subset of HTML in them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genesis.artifacts import CacheSource
from genesis.report._backtest import Replay, thin, underwater_pct
from genesis.report._load import ReportTrial, RunData
from genesis.report._sections import fmt

_MARKS: dict[CacheSource | None, tuple[str, str, str]] = {
    CacheSource.COMPUTED: ("computed", "circle", "#1f77b4"),
    CacheSource.MEMORY: ("memory (reused)", "diamond-open", "#ff7f0e"),
    CacheSource.CACHE: ("cache (reused)", "square-open", "#2ca02c"),
    None: ("unknown source", "circle-open", "#7f7f7f"),
}
_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "legend": {"orientation": "h", "y": -0.18},
}


FULL_HOVERS = 300
"""Above this many trials, only the best ones (and the failed) hover with every param."""


def _hover(trial: ReportTrial, full: bool = True) -> str:
    head = f"#{trial.number} {html.escape(trial.state)} score={html.escape(fmt(trial.score))}"
    if not full:
        return head
    params = "<br>".join(f"{html.escape(k)}={html.escape(fmt(v))}" for k, v in trial.params.items())
    if trial.error:
        head += f"<br>error: {html.escape(trial.error[:200])}"
    return f"{head}<br>source={trial.source or '–'} feasible={fmt(trial.feasible)}<br>{params}"


def score_figure(data: RunData) -> go.Figure:
    """Score per trial with the running best; marks by score source; failed trials at the floor."""
    scored = [t for t in data.trials if t.score is not None]
    fig = go.Figure()
    for source, (label, symbol, color) in _MARKS.items():
        group = [t for t in scored if t.source == source]
        if group:
            fig.add_trace(_marks(group, [t.score for t in group], label, symbol, color))
    floor = min((t.score for t in scored), default=0.0)  # type: ignore[type-var]
    failed = [t for t in data.trials if t.score is None]
    if failed:
        fig.add_trace(_marks(failed, [floor] * len(failed), "failed", "x", "#d62728"))
    best = [t for t in scored if t.number == (data.best or {}).get("trial")]
    if best:
        star = _marks(best, [best[0].score], "best trial", "star", "#d4a017")
        fig.add_trace(star.update(marker_size=16))
    xs, ys = _running_best(data)
    fig.add_trace(
        go.Scatter(x=xs, y=[_round(y) for y in ys], mode="lines", name="running best (feasible)",
                   line={"shape": "hv", "color": "#222", "width": 2}, hoverinfo="skip")
    )  # fmt: skip
    title = f"{data.objectives[0] if data.objectives else 'score'} per trial"
    fig.update_layout(**_LAYOUT, title=title, height=430)
    fig.update_xaxes(title_text="trial")
    fig.update_yaxes(title_text="score")
    return fig


def _marks(
    trials: Sequence[ReportTrial],
    ys: Sequence[Any],
    name: str,
    symbol: str,
    color: str,
    *,
    short: bool = False,
) -> go.Scatter:
    """Markers of ``trials``; ``short`` hovers show the trial and score only.

    Scores are rounded to 6 significant digits and the full hover (every param) is kept
    for the score figure: repeated in each param's subplot it was most of the page's
    weight at 2,000 trials.
    """
    trace = go.Scatter(
        x=[t.number for t in trials],
        y=[_round(y) for y in ys],
        mode="markers",
        name=name,
        marker={
            "symbol": symbol,
            "color": color,
            "size": 8 if len(trials) < 500 else 6,
            "opacity": [0.35 if t.feasible is False else 0.9 for t in trials],
            "line": {"width": 1.5, "color": color},
        },
    )
    if short:
        trace.update(customdata=[t.number for t in trials],
                     hovertemplate="#%{customdata} score=%{y}<extra></extra>")  # fmt: skip
    else:
        full = _full_hovers(trials)
        trace.update(hovertext=[_hover(t, t.number in full) for t in trials], hoverinfo="text")
    return trace


def _full_hovers(trials: Sequence[ReportTrial]) -> set[int]:
    """Trial numbers that get the full hover: all of a small run, else the best and failed.

    Hovers with every param were most of the page's weight at 2,000 trials.
    """
    if len(trials) <= FULL_HOVERS:
        return {t.number for t in trials}
    scored = sorted((t for t in trials if t.score is not None), key=lambda t: t.score or 0.0)
    ends = scored[: FULL_HOVERS // 2] + scored[-(FULL_HOVERS // 2) :]  # either direction
    return {t.number for t in ends} | {t.number for t in trials if t.score is None}


def _round(value: Any) -> Any:
    return float(f"{value:.6g}") if isinstance(value, float) else value


def _running_best(data: RunData) -> tuple[list[int], list[float]]:
    """The best feasible score so far after each trial (all trials if none is feasible)."""
    scored = [t for t in data.trials if t.score is not None]
    pool = [t for t in scored if t.feasible is not False] or scored
    xs: list[int] = []
    ys: list[float] = []
    best: float | None = None
    for trial in pool:
        score = trial.score
        assert score is not None
        if best is None or (score > best if data.maximize else score < best):
            best = score
        xs.append(trial.number)
        ys.append(best)
    if xs and data.trials[-1].number > xs[-1]:
        xs.append(data.trials[-1].number)
        ys.append(ys[-1])
    return xs, ys


def params_figure(data: RunData) -> go.Figure | None:
    """One scatter of score against each searched param (no importance model: just data)."""
    names = data.searched
    scored = [t for t in data.trials if t.score is not None]
    if not names or not scored:
        return None
    n_cols = min(3, len(names))
    n_rows = -(-len(names) // n_cols)
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=[html.escape(n) for n in names],
        vertical_spacing=min(0.12, 0.3 / n_rows),
        horizontal_spacing=0.06,
    )
    best_number = (data.best or {}).get("trial")
    for i, name in enumerate(names):
        row, col = divmod(i, n_cols)
        has = [t for t in scored if name in t.params]
        for source, (label, symbol, color) in _MARKS.items():
            group = [t for t in has if t.source == source and t.number != best_number]
            if group:
                trace = _marks(group, [t.score for t in group], label, symbol, color, short=True)
                trace.update(x=[_axis_value(t.params[name]) for t in group],
                             legendgroup=label, showlegend=i == 0)  # fmt: skip
                fig.add_trace(trace, row=row + 1, col=col + 1)
        best = [t for t in has if t.number == best_number]
        if best:
            star = _marks(best, [best[0].score], "best trial", "star", "#d4a017")
            star.update(x=[_axis_value(best[0].params[name])], marker_size=16,
                        legendgroup="best", showlegend=i == 0)  # fmt: skip
            fig.add_trace(star, row=row + 1, col=col + 1)
    fig.update_layout(**_LAYOUT, title="score vs each searched param", height=280 * n_rows + 140)
    fig.update_layout(legend={"orientation": "h", "y": -40 / (280 * n_rows)})
    return fig


def _axis_value(value: Any) -> Any:
    """Booleans and strings become (escaped) category labels; numbers stay numbers."""
    return html.escape(fmt(value)) if isinstance(value, bool | str) else value


def sources_figure(data: RunData) -> go.Figure:
    """How many trials got their score from each source (and how many failed)."""
    counts: dict[str, int] = {}
    for trial in data.trials:
        label = "failed" if trial.score is None else _MARKS[trial.source][0]
        counts[label] = counts.get(label, 0) + 1
    colors = {label: color for label, _, color in _MARKS.values()} | {"failed": "#d62728"}
    labels = list(counts)
    fig = go.Figure(
        go.Bar(x=labels, y=[counts[k] for k in labels], text=[counts[k] for k in labels],
               marker_color=[colors[k] for k in labels], textposition="outside")
    )  # fmt: skip
    fig.update_layout(**_LAYOUT, title="where each trial's score came from", height=320)
    fig.update_layout(bargap=0.55)
    fig.update_yaxes(title_text="trials")
    return fig


def equity_figure(replay: Replay) -> go.Figure:
    """Equity and drawdown of the best trial against buy-and-hold of the same bars."""
    ts = np.asarray(replay.candles.ts_ms)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32],
                        vertical_spacing=0.05)  # fmt: skip
    curves = (("buy and hold", replay.buy_and_hold, "#a8a8a8"),
              ("best trial", replay.equity, "#1f77b4"))  # fmt: skip  # the strategy on top
    for name, curve, color in curves:
        for row, values in ((1, curve), (2, underwater_pct(curve, replay.initial_capital))):
            keep = thin(values)
            fig.add_trace(
                go.Scatter(
                    x=ts[keep].tolist(), y=np.round(values[keep], 2).tolist(), mode="lines",
                    name=name, legendgroup=name, showlegend=row == 1,
                    line={"color": color, "width": 1.6},
                    hovertemplate=f"{name}: %{{y:,.2f}}{'%' if row == 2 else ''}<extra></extra>",
                ),
                row=row, col=1,
            )  # fmt: skip
    lows = min(float(replay.equity.min()), float(replay.buy_and_hold.min()))
    highs = max(float(replay.equity.max()), float(replay.buy_and_hold.max()))
    log = lows > 0 and highs / lows > 20  # a 75x buy-and-hold would flatten the strategy
    fig.update_layout(**_LAYOUT, title="equity of the best trial vs buy-and-hold", height=520)
    fig.update_layout(hovermode="x unified", legend={"orientation": "h", "y": -0.12})
    fig.update_xaxes(type="date")
    fig.update_yaxes(title_text="equity" + (" (log)" if log else ""),
                     type="log" if log else "linear", row=1, col=1)  # fmt: skip
    fig.update_yaxes(title_text="drawdown %", row=2, col=1)
    return fig


def importance_figure(importances: Mapping[str, float], method: str) -> go.Figure:
    """A bar per searched param, the most important on top."""
    names = list(importances)[::-1]
    fig = go.Figure(
        go.Bar(x=[round(importances[n], 4) for n in names], y=[html.escape(n) for n in names],
               orientation="h", marker_color="#1f77b4",
               text=[f"{importances[n]:.2f}" for n in names], textposition="outside")
    )  # fmt: skip
    fig.update_layout(**_LAYOUT, title=f"param importance ({method})",
                      height=120 + 34 * len(names))  # fmt: skip
    fig.update_xaxes(title_text="importance (sums to 1)", rangemode="tozero")
    return fig
