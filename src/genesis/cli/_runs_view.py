"""What ``genesis runs show`` prints: verdict, summary, validation, top trials, commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table

from genesis.cli._tables import print_table
from genesis.cli._validation import chosen_how, reproduce_lines, validation_lines, verdict_line

if TYPE_CHECKING:
    from genesis.artifacts.runs import RunDetail

_TOP_METRICS = {
    "n_trades": "trades",
    "total_return_pct": "return %",
    "sharpe": "sharpe",
    "max_drawdown_pct": "max dd %",
}


def _cell(value: Any) -> str:
    if value in (None, ""):
        return "–"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() and "." not in str(value) else f"{number:.4g}"


_OOS_METRICS = {"oos_sharpe": "oos sharpe", "oos_total_return_pct": "oos return %"}
"""The out-of-sample columns of a holdout's re-evaluated trials (``trials.csv``)."""


def _top_table(detail: RunDetail) -> Table:
    params = sorted(
        {k[len("param_") :] for row in detail.top for k in row if k.startswith("param_")}
    )
    oos = _OOS_METRICS if any(row.get("oos_score") for row in detail.top) else {}
    best = str((detail.best or {}).get("trial"))
    table = Table(
        title=f"top {len(detail.top)} trials by {detail.objectives[0]} in sample (feasible "
        "first; * the run's best)",
        box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, title_justify="left",
    )  # fmt: skip
    names = ("#", "score", *params, *_TOP_METRICS.values(), *oos.values(), "feasible", "source")
    for name in names:
        table.add_column(name, justify="left" if name in ("feasible", "source") else "right")
    for row in detail.top:
        number = row["number"] + ("*" if row["number"] == best else "")
        table.add_row(
            number, f"{row['score']:.4f}", *[_cell(row.get(f"param_{p}")) for p in params],
            *[_cell(row.get(m)) for m in (*_TOP_METRICS, *oos)], row.get("feasible") or "–",
            row.get("cache_source") or "–",
        )  # fmt: skip
    return table


def _cache_line(stats: Any) -> str:
    if not stats:
        return "cache: no statistics yet (the run has not exported: still running, or killed)"
    return (
        f"cache: {stats.get('total_trials')} trials, {stats.get('computed_backtests')} real "
        f"backtests, {stats.get('cache_hits')} cache hits, {stats.get('memory_hits')} memory "
        f"hits ({100 * float(stats.get('cache_hit_rate') or 0):.1f}% hit rate), "
        f"{stats.get('unique_backtests')} unique backtests, {stats.get('duplicate_trials')} "
        f"duplicate trials, {stats.get('corrupt_entries')} corrupt entries"
    )


def print_run(console: Console, detail: RunDetail) -> None:
    """Print ``detail`` for people."""
    from genesis.artifacts.runs import local_time

    s = detail.summary

    def say(text: str) -> None:
        console.print(text, highlight=False, soft_wrap=True, markup=False)

    best = detail.best
    validation = detail.validation
    line = verdict_line(validation)
    if line:
        say(line)  # the answer first, before any table
    say(f"run {s.name} ({s.root}), started {local_time(s.started)}, state: {s.state}")
    say(f"strategy {s.strategy} on {s.data}; objectives: {', '.join(detail.objectives)}")
    if s.stop_reason:
        say(f"stopped: {s.stop_reason}")
    if best is None:
        say("best trial: none completed")
    else:
        how = chosen_how(validation)
        say(
            f"best trial: #{best.get('trial')} score={_cell(best.get('score'))}"
            + (f", {how}" if how else "")
        )
        say(f"  params: {best.get('params')}")
    for text in validation_lines(validation) if validation else []:
        say(text)
    if detail.top:
        print_table(console, _top_table(detail))  # never cuts the trial's number
    for text in reproduce_lines(best or {}):
        say(text)
    say(_cache_line(detail.stats))  # diagnostics last
    say(f"continue the search: {detail.resume} --trials N")
