"""Assemble ``report.html``: one self-contained page that opens offline.

plotly.js is embedded once, in the first figure (``include_plotlyjs=True``), and the
other figures reuse it; the page is about 5 MB and needs no network, which matters for
run directories copied to laptops and attached to tickets. Figure ``div`` ids are fixed,
so the same run directory always gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from genesis.artifacts import RunDir, write_text_atomic
from genesis.report._load import RunData, load_run
from genesis.report._sections import (
    best_section,
    cache_section,
    esc,
    header_section,
    top_section,
)
from genesis.report._validation import read_validation, validation_section, walk_forward_page

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
pre { background: #f4f4f4; padding: 8px 12px; border-radius: 6px; white-space: pre-wrap;
      overflow-wrap: anywhere; }
.warn { color: #a94400; font-weight: 600; }
.note { color: #666; }
"""


def build_report_html(run_dir: Path) -> str:
    """The HTML of the report on the run directory ``run_dir`` (nothing is written).

    Raises:
        ArtifactError: ``run_dir`` is not a run directory, or one of its files is
            missing or unreadable.
    """
    return render(load_run(run_dir))


def write_report(run_dir: Path, *, out: Path | None = None) -> Path:
    """Write the HTML report on ``run_dir`` atomically and return its path.

    Args:
        run_dir: A run directory (``config.yaml``, ``trials.csv``, ``cache_stats.json``,
            optionally ``best_trial.json`` and ``trials/*.json``).
        out: Where to write; default ``run_dir/report.html``.

    Raises:
        ArtifactError: a file the report needs is missing or unreadable, or the report
            cannot be written.
    """
    run = RunDir(run_dir)
    validation = read_validation(run)
    if validation is not None and validation.get("method") == "walk_forward":
        for fold in validation.get("folds") or []:  # each fold is a run of its own
            if Path(fold["run"]).is_dir():
                write_report(Path(fold["run"]))
        path = out if out is not None else run.report
        write_text_atomic(path, walk_forward_page(run, validation, _CSS))
        return path
    data = load_run(run_dir)
    path = out if out is not None else data.run.report
    write_text_atomic(path, render(data))
    return path


def render(data: RunData) -> str:
    """The whole page for ``data``."""
    validation = read_validation(data.run)
    body = "".join([
        header_section(data),
        cache_section(data),
        best_section(data),
        _plots(data),  # plotly.js comes with its first figure: the sections after reuse it
        validation_section(validation, include_plotlyjs=False) if validation else "",
        top_section(data),
    ])  # fmt: skip
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>genesis · {esc(data.study)}</title><style>{_CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _plots(data: RunData) -> str:
    """Every figure as a ``div``; plotly.js is inlined with the first one only."""
    from genesis.report import _figures as figures  # plotly is heavy: import on use

    built = [
        ("score", figures.score_figure(data)),
        ("params", figures.params_figure(data)),
        ("parallel", figures.parallel_figure(data)),
        ("sources", figures.sources_figure(data)),
    ]
    divs: list[str] = []
    for name, fig in built:
        if fig is None:
            continue
        divs.append(
            fig.to_html(
                full_html=False,
                include_plotlyjs=not divs,
                div_id=f"fig-{name}",
                config={"displaylogo": False, "responsive": True},
            )
        )
    note = (
        '<p class="note">Filled circle: computed · open diamond: reused from memory · '
        "open square: reused from the result cache · red cross: failed (drawn at the lowest "
        "score) · faded: infeasible · star: best trial.</p>"
    )
    return f"<section><h2>Plots</h2>{note}{''.join(divs)}</section>"
