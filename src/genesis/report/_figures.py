"""The report's plotly figures, built from :class:`RunData` only.

Marks are the same in every figure: a computed trial is a filled circle, a score reused
from the in-run memory an open diamond, one from the result cache an open square, a
failed trial a red cross. Infeasible trials (a constraint violated) are drawn faded.
Hover texts are HTML-escaped because plotly renders a subset of HTML in them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genesis.artifacts import CacheSource
from genesis.report._load import ReportTrial, RunData
from genesis.report._sections import fmt, top_trials

N_PARALLEL = 25
"""Distinct trials shown in the parallel-coordinates plot."""

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


def _hover(trial: ReportTrial) -> str:
    params = "<br>".join(f"{html.escape(k)}={html.escape(fmt(v))}" for k, v in trial.params.items())
    head = f"#{trial.number} {html.escape(trial.state)} score={html.escape(fmt(trial.score))}"
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
        go.Scatter(x=xs, y=ys, mode="lines", name="running best (feasible)",
                   line={"shape": "hv", "color": "#222", "width": 2}, hoverinfo="skip")
    )  # fmt: skip
    title = f"{data.objectives[0] if data.objectives else 'score'} per trial"
    fig.update_layout(**_LAYOUT, title=title, height=430)
    fig.update_xaxes(title_text="trial")
    fig.update_yaxes(title_text="score")
    return fig


def _marks(
    trials: Sequence[ReportTrial], ys: Sequence[Any], name: str, symbol: str, color: str
) -> go.Scatter:
    return go.Scatter(
        x=[t.number for t in trials],
        y=list(ys),
        mode="markers",
        name=name,
        marker={
            "symbol": symbol,
            "color": color,
            "size": 8,
            "opacity": [0.35 if t.feasible is False else 0.9 for t in trials],
            "line": {"width": 1.5, "color": color},
        },
        hovertext=[_hover(t) for t in trials],
        hoverinfo="text",
    )


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
                trace = _marks(group, [t.score for t in group], label, symbol, color)
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


def parallel_figure(data: RunData) -> go.Figure | None:
    """Parallel coordinates of the best distinct trials: every searched param and the score."""
    top = top_trials(data, N_PARALLEL)
    names = [n for n in data.searched if all(n in t.params for t in top)]
    if len(top) < 2 or not names:
        return None
    dims = [_dimension(n, [t.params[n] for t in top]) for n in names]
    scores = [t.score for t in top]
    dims.append({"label": "score", "values": scores})
    scale = "Viridis" if data.maximize else "Viridis_r"
    fig = go.Figure(
        go.Parcoords(
            line={"color": scores, "colorscale": scale, "showscale": True},
            dimensions=dims,
        )
    )
    fig.update_layout(**_LAYOUT, title=f"top {len(top)} distinct trials", height=440)
    fig.update_layout(margin={"l": 80, "r": 80, "t": 90, "b": 40})
    return fig


def _dimension(name: str, values: list[Any]) -> dict[str, Any]:
    """A parcoords axis; non-numeric values get integer positions and their labels as ticks.

    Unlike hover texts and category axes, parcoords tick texts are set as plain text
    (entities would show literally); the JSON plotly embeds escapes ``<`` anyway.
    """
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return {"label": html.escape(name), "values": values}
    labels = sorted({fmt(v) for v in values})  # parcoords ticks are plain text: no escaping
    index = {label: i for i, label in enumerate(labels)}
    return {
        "label": html.escape(name),
        "values": [index[fmt(v)] for v in values],
        "tickvals": list(range(len(labels))),
        "ticktext": labels,
    }


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
