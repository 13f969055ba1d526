"""The report's validation section, from ``validation.json``.

It shows what the search's best is worth out of sample: in-sample beside out-of-sample
metrics and buy-and-hold of the same bars, the Deflated Sharpe Ratio and the Probability
of Backtest Overfitting with a line each on what they mean, the in-sample vs out-of-sample
scatter of the re-evaluated trials, and the out-of-sample equity (stitched, for a
walk-forward) against buy-and-hold.

A walk-forward's run directory holds its folds as runs of their own (``folds/``); its
page (:func:`walk_forward_page`) is this section and a link to each fold's report.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from genesis.artifacts import RunDir
from genesis.artifacts.validation import comparison_columns
from genesis.errors import ArtifactError
from genesis.report._assets import plotly_script
from genesis.report._sections import esc, fmt

_METRICS = (
    ("sharpe", "Sharpe"), ("total_return_pct", "return %"), ("cagr_pct", "CAGR %"),
    ("max_drawdown_pct", "max drawdown %"), ("n_trades", "trades"),
)  # fmt: skip
_DSR_MEANS = (
    "The probability that the best trial's Sharpe ratio is above the best that as many "
    "trials of pure noise would show, given the skew and fat tails of its returns "
    "(Bailey & López de Prado, 2014). Below 0.95: not significant."
)
_PBO_MEANS = (
    "The share of in-sample/out-of-sample splits of the bars (CSCV) in which the trial best "
    "in sample ranks below the median out of sample (Bailey, Borwein, López de Prado & Zhu, "
    "2015). Above 0.5: the search picks noise."
)


_RATING_CSS = {"do not trade": "dnt", "weak": "weak", "candidate": "cand"}


def verdict_html(verdict: Mapping[str, Any] | None) -> str:
    """The verdict line as the page's first words (nothing for a run made before verdicts)."""
    if not verdict:
        return ""
    css = _RATING_CSS.get(str(verdict.get("rating")), "weak")
    return f'<p id="verdict" class="verdict {css}">{esc(verdict.get("line"))}</p>'


def read_validation(run: RunDir) -> dict[str, Any] | None:
    """``validation.json`` of ``run``, or None for a run without one (older runs)."""
    if not run.validation.exists():
        return None
    try:
        data = json.loads(run.validation.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ArtifactError(f"cannot read: {error}", where=str(run.validation)) from None
    return data if isinstance(data, dict) else None


def validation_section(v: Mapping[str, Any], *, include_plotlyjs: bool) -> str:
    """The section's HTML; the first figure carries plotly.js when ``include_plotlyjs``."""
    parts = [f"<section><h2>Validation · {esc(str(v.get('method')).replace('_', '-'))}</h2>"]
    windows = v.get("windows") or {}
    if windows:
        parts.append(
            '<p class="sub">'
            + " · ".join(f"{esc(k.replace('_', ' '))}: {esc(w)}" for k, w in windows.items())
            + "</p>"
        )
    parts.append(_table(v))
    parts.append(_statistics(v))
    for warning in v.get("warnings") or []:
        parts.append(f'<p class="warn">{esc(warning)}</p>')
    parts.append(_figures(v, include_plotlyjs))
    parts.append("</section>")
    return "".join(parts)


def _table(v: Mapping[str, Any]) -> str:
    columns = comparison_columns(v)
    if not columns:
        return ""
    head = "".join(f"<th>{esc(name)}</th>" for name, _ in columns)
    rows = "".join(
        f"<tr><th>{esc(label)}</th>"
        + "".join(f"<td>{esc(m.get(metric))}</td>" for _, m in columns)
        + "</tr>"
        for metric, label in _METRICS
    )
    what = (v.get("expected") or {}).get("what")
    note = f'<p class="note">What to expect: {esc(what)}.</p>' if what else ""
    return f'<table class="grid"><tr><th></th>{head}</tr>{rows}</table>{note}'


def _statistics(v: Mapping[str, Any]) -> str:
    dsr, pbo = v.get("deflated_sharpe"), v.get("pbo")
    n = v.get("n_trials_counted")
    efficiency = v.get("walk_forward_efficiency")
    rows = [
        ("Deflated Sharpe Ratio", fmt(dsr["probability"]) if dsr else "undefined", _DSR_MEANS),
        ("Probability of Backtest Overfitting", fmt(pbo["probability"]) if pbo else "undefined",
         _PBO_MEANS),
        ("distinct backtests counted", fmt(n), "Repeated trials count once."),
    ]  # fmt: skip
    if v.get("method") == "walk_forward":
        rows.append(
            ("walk-forward efficiency", fmt(efficiency),
             "Annualized out-of-sample return over in-sample return (Pardo, 2008).")
        )  # fmt: skip
    body = "".join(
        f"<tr><th>{esc(k)}</th><td style='white-space:nowrap'>{esc(val)}</td>"
        f"<td class='note'>{esc(means)}</td></tr>"
        for k, val, means in rows
    )
    return f'<table class="kv">{body}</table>'


def _figures(v: Mapping[str, Any], include_plotlyjs: bool) -> str:
    import plotly.graph_objects as go  # heavy: import on use

    figures = []
    pairs = list(v.get("tested") or [])
    for fold in v.get("folds") or []:
        pairs.extend({**t, "fold": fold.get("fold")} for t in fold.get("tested") or [])
    points = [p for p in pairs if p.get("in_sample_score") and p.get("score")]
    if points:
        scatter = go.Figure(
            go.Scatter(
                x=[p["in_sample_score"][0] for p in points], y=[p["score"][0] for p in points],
                mode="markers", text=[_label(p) for p in points], hoverinfo="text",
            )
        )  # fmt: skip
        scatter.update_layout(
            title="In sample vs out of sample (re-evaluated trials)",
            xaxis_title="in-sample score", yaxis_title="out-of-sample score",
            template="plotly_white", height=380,
        )  # fmt: skip
        figures.append(("oos-scatter", scatter))
    curves = v.get("curves") or {}
    if curves.get("strategy") or curves.get("buy_and_hold"):
        equity = go.Figure()
        for name, label in (("strategy", "strategy out of sample"), ("buy_and_hold", "buy & hold")):
            c = curves.get(name)
            if c:
                dates = [_date(t) for t in c["ts_ms"]]
                equity.add_trace(go.Scatter(x=dates, y=c["equity"], name=label))
        equity.update_layout(
            title="Out-of-sample equity against buy-and-hold of the same bars (log scale)",
            yaxis_title="equity", yaxis_type="log", template="plotly_white", height=380,
        )  # fmt: skip
        figures.append(("oos-equity", equity))
    html = []
    for i, (name, fig) in enumerate(figures):
        first = include_plotlyjs and i == 0
        config = {"displaylogo": False, "responsive": True}
        html.append(
            fig.to_html(
                full_html=False, include_plotlyjs=first, div_id=f"fig-{name}", config=config
            )
        )
    return "".join(html)


def _label(point: Mapping[str, Any]) -> str:
    fold = f"fold {point['fold']} " if point.get("fold") else ""
    return f"{fold}#{point.get('trial')}"


def _date(ts_ms: int) -> str:
    return datetime.datetime.fromtimestamp(ts_ms / 1000, tz=datetime.UTC).isoformat()


def walk_forward_page(run: RunDir, v: Mapping[str, Any], css: str, champion: str = "") -> str:
    """The page of a walk-forward's run directory: verdict, validation, folds, champion.

    ``champion`` is the HTML of the champion's own sections (its params, equity and
    trades, from the last fold's run).
    """
    body = (
        f"<header><h1>genesis report · {esc(run.name)}</h1>"
        f'<p class="sub">{esc(str(run.root))}</p></header>'
        + verdict_html(v.get("verdict"))
        + validation_section(v, include_plotlyjs=False)
        + folds_section(run, v)
        + champion
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>genesis · {esc(run.name)}</title><style>{css}</style>{plotly_script()}</head>"
        f"<body>{body}</body></html>\n"
    )


def folds_section(run: RunDir, v: Mapping[str, Any]) -> str:
    """Each fold's in-sample and out-of-sample result side by side, linked to its report."""
    header = "".join(
        f"<th>{esc(h)}</th>"
        for h in ("fold", "search", "test", "best", "Sharpe in", "Sharpe out", "return % in",
                  "return % out", "trades in", "trades out", "DSR", "PBO", "report")
    )  # fmt: skip
    rows = []
    for fold in v.get("folds") or []:
        ins = (fold.get("in_sample") or {}).get("metrics") or {}
        out = (fold.get("out_of_sample") or {}).get("metrics") or {}
        dsr, pbo = fold.get("deflated_sharpe"), fold.get("pbo")
        link = f"{_relative(run, fold['run'])}/report.html"
        cells = [
            fold.get("fold"), fold["windows"]["in_sample"], fold["windows"]["out_of_sample"],
            f"#{(fold.get('in_sample') or {}).get('trial', '–')}",
            fmt(ins.get("sharpe")), fmt(out.get("sharpe")), fmt(ins.get("total_return_pct")),
            fmt(out.get("total_return_pct")), fmt(ins.get("n_trades")), fmt(out.get("n_trades")),
            fmt(dsr["probability"]) if dsr else "undefined",
            fmt(pbo["probability"]) if pbo else "undefined",
        ]  # fmt: skip
        rows.append(
            "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells)
            + f"<td><a href='{esc(link)}'>fold {esc(fold.get('fold'))} report</a></td></tr>"
        )  # fmt: skip
    return (
        "<section><h2>Folds: in sample beside out of sample</h2>"
        '<p class="note">Each fold searches its window, then its best trades the next bars '
        "unseen; the last fold's best is the champion.</p>"
        f'<div class="scroll"><table class="grid"><tr>{header}</tr>{"".join(rows)}</table>'
        "</div></section>"
    )


def _relative(run: RunDir, fold_run: str) -> str:
    path = Path(fold_run)
    return f"folds/{path.name}" if path.parent.name == "folds" else str(path)
