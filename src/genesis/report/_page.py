"""Assemble ``report.html``: one self-contained page that opens offline.

plotly.js is embedded once, in the page's head: the vendored partial bundle
(``vendor/plotly-basic.min.js``, scatter and bar traces, 1.2 MB instead of the full
bundle's 4.8 MB), so the page needs no network, which matters for run directories copied
to laptops and attached to tickets. Figure ``div`` ids are fixed, so the same run
directory always gives the same bytes.

The page is the sections of :data:`SECTIONS`, in order. A section is a function of a
:class:`ReportContext` returning HTML; a new one (validation, say) is one more entry.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesis.artifacts import RunDir, write_text_atomic
from genesis.report._assets import plotly_script
from genesis.report._load import RunData, load_run
from genesis.report._sections import (
    best_section,
    cache_section,
    esc,
    header_section,
    run_section,
    top_section,
)
from genesis.report._validation import read_validation, validation_section, walk_forward_page

if TYPE_CHECKING:
    from genesis.optimizer.problem import ProblemBuilder

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       margin: 0 auto; max-width: 1320px; padding: 24px 32px; background: #fafafa; }
h1 { margin: 0; font-size: 26px; } h2 { margin: 0 0 10px; font-size: 19px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
.sub { color: #666; margin: 4px 0 16px; font-family: ui-monospace, monospace; }
section { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px;
          padding: 16px 20px; margin: 0 0 18px; }
.cards { display: flex; gap: 14px; margin: 0 0 18px; }
.card { flex: 1; background: #fff; border: 1px solid #e3e3e3; border-radius: 8px;
        padding: 12px 16px; }
.card .v { font-size: 24px; font-weight: 600; } .card .l { color: #666; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 3px 12px 3px 0; vertical-align: top; }
table.kv th { color: #555; font-weight: 500; white-space: nowrap; }
table.grid th { border-bottom: 1px solid #ccc; color: #555; font-weight: 500; }
table.grid td { border-bottom: 1px solid #f0f0f0; font-variant-numeric: tabular-nums; }
td { font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.cols { display: grid; grid-template-columns: 1.3fr 1fr 1fr; gap: 24px; }
.scroll { overflow-x: auto; }
.tall { max-height: 420px; overflow-y: auto; }
.split { display: grid; grid-template-columns: minmax(0, 1fr) 320px; gap: 24px;
         align-items: start; }
.split td { white-space: nowrap; }
pre { background: #f4f4f4; padding: 8px 12px; border-radius: 6px; white-space: pre-wrap;
      overflow-wrap: anywhere; }
.warn { color: #a94400; font-weight: 600; }
.verdict { font-size: 18px; font-weight: 600; padding: 12px 16px; border-radius: 8px;
           margin: 0 0 18px; border: 1px solid; }
.verdict.dnt { background: #fdecea; border-color: #e0a39c; color: #8a1c0f; }
.verdict.weak { background: #fff6e0; border-color: #e5c77a; color: #7a5500; }
.verdict.cand { background: #e8f5e9; border-color: #9ccc9f; color: #1d5e20; }
.note { color: #666; }
"""


def build_report_html(run_dir: Path) -> str:
    """The HTML of the report on the run directory ``run_dir`` (nothing is written).

    Raises:
        ArtifactError: ``run_dir`` is not a run directory, or one of its files is
            missing or unreadable.
    """
    return render(load_run(run_dir))


def write_report(
    run_dir: Path, *, out: Path | None = None, build: ProblemBuilder | None = None
) -> Path:
    """Write the HTML report on ``run_dir`` atomically and return its path.

    Args:
        run_dir: A run directory (``config.yaml``, ``trials.csv``, ``cache_stats.json``,
            optionally ``best_trial.json`` and ``trials/*.json``).
        out: Where to write; default ``run_dir/report.html``.
        build: Makes the run's problem, to re-run the best trial (default: genesis's
            :func:`~genesis.optimizer.build_problem`; an adapter's for its strategies).

    Raises:
        ArtifactError: a file the report needs is missing or unreadable, or the report
            cannot be written.
    """
    run = RunDir(run_dir)
    validation = read_validation(run)
    if validation is not None and validation.get("folds"):  # a walk-forward, not one fold
        folds = [Path(f["run"]) for f in validation["folds"]]
        for fold in folds:  # each fold is a run of its own
            if fold.is_dir():
                write_report(fold, build=build)
        path = out if out is not None else run.report
        champion = _champion(folds[-1], build) if folds and folds[-1].is_dir() else ""
        write_text_atomic(path, walk_forward_page(run, validation, _CSS, champion))
        return path
    data = load_run(run_dir)
    path = out if out is not None else data.run.report
    write_text_atomic(path, render(data, build))
    return path


class ReportContext:
    """What the sections share: the run's files, the re-run best backtest, figure HTML."""

    def __init__(self, data: RunData, build: ProblemBuilder | None = None) -> None:
        self.data = data
        self.build = build

    @cached_property
    def replay(self) -> Any:
        """The best trial's backtest run again (``_backtest.Replay``), or why not (a str)."""
        from genesis.report._backtest import replay_best  # numba, candles: only when drawn

        if self.build is None:
            return replay_best(self.data)
        return replay_best(self.data, self.build)

    def figure(self, fig: Any, name: str) -> str:
        """A plotly figure as a ``div`` (plotly.js is in the page's head)."""
        html: str = fig.to_html(
            full_html=False, include_plotlyjs=False, div_id=f"fig-{name}",
            config={"displaylogo": False, "responsive": True},
        )  # fmt: skip
        return html


Section = Callable[[ReportContext], str]


def _best_backtest(ctx: ReportContext) -> str:
    from genesis.report._backtest import equity_rows, key_note
    from genesis.report._figures import equity_figure
    from genesis.report._sections import kv_table

    replay = ctx.replay
    if isinstance(replay, str):
        body = f'<p class="note">{esc(replay)}</p>'
    else:
        body = (
            f'{key_note(replay)}<div class="split"><div>'
            f"{ctx.figure(equity_figure(replay), 'equity')}</div>"
            f"<div>{kv_table(equity_rows(replay))}</div></div>"
        )
    return f"<section><h2>Best trial: equity and drawdown vs buy-and-hold</h2>{body}</section>"


def _data(ctx: ReportContext) -> str:
    from genesis.report._backtest import data_section

    return data_section(ctx.data, ctx.replay)


def _trades(ctx: ReportContext) -> str:
    from genesis.report._backtest import trades_section

    return trades_section(ctx.replay)


def _importance(ctx: ReportContext) -> str:
    from genesis.report._importance import importance_section

    return importance_section(ctx.data, ctx.figure)


def _validation(ctx: ReportContext) -> str:
    validation = read_validation(ctx.data.run)
    return validation_section(validation, include_plotlyjs=False) if validation else ""


def _top(ctx: ReportContext) -> str:
    validation = read_validation(ctx.data.run) or {}
    return top_section(ctx.data, validation.get("tested") or ())


SECTIONS: tuple[Section, ...] = (
    lambda ctx: header_section(ctx.data),
    _validation,
    lambda ctx: best_section(ctx.data),
    _best_backtest,
    _trades,
    _top,
    lambda ctx: _plots(ctx),
    _importance,
    lambda ctx: run_section(ctx.data),
    _data,
    lambda ctx: cache_section(ctx.data),
)
"""The page, top to bottom: the verdict and the validation first, diagnostics last."""


def _champion(fold_run: Path, build: ProblemBuilder | None = None) -> str:
    """A walk-forward champion's sections, from its fold's run: params, equity, trades."""
    ctx = ReportContext(load_run(fold_run), build)
    parts = [best_section(ctx.data), _best_backtest(ctx), _trades(ctx)]
    note = (
        '<section><h2>Champion: the last fold\'s best</h2><p class="note">The params to '
        "trade next, chosen in sample on the last fold's search window; below, its params, "
        "its equity on that window and its trades.</p></section>"
    )
    return note + "".join(parts)


def render(data: RunData, build: ProblemBuilder | None = None) -> str:
    """The whole page for ``data`` (``build``: see :func:`write_report`)."""
    ctx = ReportContext(data, build)
    body = "".join(section(ctx) for section in SECTIONS)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>genesis · {esc(data.study)}</title><style>{_CSS}</style>"
        f"{plotly_script()}</head><body>{body}</body></html>\n"
    )


def _plots(ctx: ReportContext) -> str:
    """The search's figures: score per trial, score per param, score sources."""
    from genesis.report import _figures as figures  # plotly is heavy: import on use

    data = ctx.data
    built = [
        ("score", figures.score_figure(data)),
        ("params", figures.params_figure(data)),
        ("sources", figures.sources_figure(data)),
    ]
    divs = [ctx.figure(fig, name) for name, fig in built if fig is not None]
    note = (
        '<p class="note">Filled circle: computed · open diamond: reused from memory · '
        "open square: reused from the result cache · red cross: failed (drawn at the lowest "
        "score) · faded: infeasible · star: best trial.</p>"
    )
    return f"<section><h2>Plots</h2>{note}{''.join(divs)}</section>"
