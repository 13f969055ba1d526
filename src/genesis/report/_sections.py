"""The report's text sections: header, cache statistics, best trial and top trials.

Every value that reaches the page goes through :func:`esc` (or a table helper that calls
it): run directories are copied between people, and a param value or a study name is
not trusted to be free of markup.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from genesis.artifacts import rank_trials
from genesis.metrics.score import describe_constraint
from genesis.report._load import ReportTrial, RunData

HIGH_HIT_RATE = 0.8
"""Above this hit rate the seed warned: the search space is probably too coarse."""

N_TOP_TRIALS = 10


def esc(value: Any) -> str:
    """``value`` rendered (see :func:`fmt`) and HTML-escaped, quotes included."""
    return html.escape(fmt(value), quote=True)


def fmt(value: Any) -> str:
    """A value as a person reads it: floats to four significant digits, thousands grouped."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == 0:
            return "0"
        if abs(value) >= 1000:
            return f"{value:,.2f}"
        if abs(value) < 1e-4:
            return f"{value:.3e}"
        return f"{value:.4g}" if abs(value) >= 1 else f"{value:.4f}".rstrip("0")
    return str(value)


def pct(rate: Any) -> str:
    """A 0..1 rate as a percentage with one decimal (``0.2125`` → ``21.2%``)."""
    return f"{100 * rate:.1f}%" if isinstance(rate, int | float) else "–"


def kv_table(rows: Iterable[tuple[str, Any]], *, css: str = "kv") -> str:
    """A two-column table of labels and values, both escaped."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="{css}">{body}</table>'


def grid_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A table with a header row; every cell escaped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="grid"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _card(label: str, value: str) -> str:
    inner = f'<div class="v">{esc(value)}</div><div class="l">{esc(label)}</div>'
    return f'<div class="card">{inner}</div>'


def header_section(data: RunData) -> str:
    """Title, the verdict and the headline numbers of the run's best (its champion)."""
    from genesis.report._validation import verdict_html

    stats = data.stats
    best = data.best or {}
    validation = best.get("validation") or {}
    tested = validation.get("expected") or validation.get("out_of_sample") or {}
    oos = tested.get("metrics") or {}
    objective = data.objectives[0] if data.objectives else "score"
    cards = "".join([
        _card(f"best · trial #{best.get('trial', '–')} · {objective}", fmt(best.get("score"))),
        _card("Sharpe out of sample", fmt(oos.get("sharpe")) if oos else "not tested"),
        _card("trials", f"{stats.get('total_trials', len(data.trials))}"),
        _card("real backtests", fmt(stats.get("computed_backtests"))),
    ])  # fmt: skip
    return (
        f"<header><h1>genesis report · {esc(data.study)}</h1>"
        f'<p class="sub">{esc(str(data.run.root))}</p></header>'
        f"{verdict_html(best.get('verdict') or _judged(validation))}"
        f'<div class="cards">{cards}</div>'
    )


def _judged(validation: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The verdict of a run made before verdicts were stored, judged now from its files."""
    if not validation:
        return None
    from genesis.validation.verdict import judge

    return validation.get("verdict") or judge(validation).as_dict()


def run_section(data: RunData) -> str:
    """What was optimized, on which data, with which budget."""
    return f"<section><h2>Run</h2>{kv_table(_run_rows(data, data.config))}</section>"


def _run_rows(data: RunData, cfg: Mapping[str, Any]) -> list[tuple[str, Any]]:
    section = _section_of
    strategy = (data.best or {}).get("strategy") or {}
    name = strategy.get("name") or section(cfg, "strategy").get("name")
    version = strategy.get("version")
    dcfg, ocfg = section(cfg, "data"), section(cfg, "optimizer")
    window = f"last {dcfg.get('fast_window_bars')} bars" if dcfg.get("fast_window") else "all"
    stats = data.stats
    objectives = ", ".join(
        f"{o} ({d})" for o, d in zip(data.objectives, data.directions, strict=False)
    )
    rows: list[tuple[str, Any]] = [
        ("study", data.study),
        ("strategy", f"{name} v{version}" if version else name),
        ("data", f"{fmt(dcfg.get('source'))} · {fmt(dcfg.get('timeframe'))} · window: {window}"),
        ("data fingerprint", (data.best or {}).get("data_fingerprint") or _fingerprint(data)),
        ("objectives", objectives or None),
        ("sampler", f"{fmt(ocfg.get('sampler'))} · seed {fmt(ocfg.get('seed'))}"),
        ("trials", f"{fmt(stats.get('completed'))} complete, {fmt(stats.get('failed'))} failed"),
        ("budget", _budget(ocfg)),
    ]
    stop = stats.get("stop_reason") or (data.best or {}).get("stop_reason")
    if stop:
        rows.append(("stopped", stop))
    return rows


def _section_of(cfg: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = cfg.get(name)
    return value if isinstance(value, Mapping) else {}


def _fingerprint(data: RunData) -> str | None:
    for payload in data.backtests:
        spec = payload.get("spec")
        if isinstance(spec, Mapping) and spec.get("data"):
            return str(spec["data"])
    return None


def _budget(ocfg: Mapping[str, Any]) -> str:
    names = ("n_trials", "timeout_s", "max_unique_backtests", "max_trials")
    parts = [f"{n}={fmt(ocfg[n])}" for n in names if ocfg.get(n) is not None]
    return ", ".join(parts) or "–"


def cache_section(data: RunData) -> str:
    """The seed's cache telemetry: how many trials reused a score, how many really ran."""
    s = data.stats
    total, cached = s.get("total_trials", 0), s.get("cached_trials", 0)
    line = (
        f"[CACHE STATS] {cached}/{total} trials cached ({pct(s.get('cache_hit_rate'))} hit rate), "
        f"{s.get('unique_backtests', '–')} unique backtests"
    )
    elapsed = [
        p["elapsed_s"] for p in data.backtests if isinstance(p.get("elapsed_s"), int | float)
    ]
    rows: list[tuple[str, Any]] = [
        ("trials", total),
        (
            "cached trials",
            f"{cached} (memory {fmt(s.get('memory_hits'))}, cache {fmt(s.get('cache_hits'))})",
        ),
        ("hit rate", pct(s.get("cache_hit_rate"))),
        ("unique backtests", s.get("unique_backtests")),
        ("duplicate trials", f"{fmt(s.get('duplicate_trials'))} ({pct(s.get('duplicate_rate'))})"),
        ("real backtests", s.get("computed_backtests")),
        ("backtest files (trials/)", len(data.backtests)),
        ("backtest time", f"{sum(elapsed):.2f} s" if elapsed else None),
        ("corrupt cache entries", s.get("corrupt_entries")),
        ("invented scores", s.get("invented_scores")),
    ]
    earlier = s.get("earlier_run_hits")
    if isinstance(earlier, int):
        rows.insert(2, ("of them from earlier runs", earlier))
    return (
        f"<section><h2>Cache statistics</h2><pre>{esc(line)}</pre>{_hit_rate_note(s)}"
        f"{kv_table(rows)}</section>"
    )


def _hit_rate_note(s: Mapping[str, Any]) -> str:
    """The seed's warning for repeats within the run; a plain note for a warm cache.

    Older ``cache_stats.json`` files do not count earlier runs' hits: there the seed's
    rule (any hit rate above 80 %) stands.
    """
    rate, total = s.get("cache_hit_rate"), s.get("total_trials")
    if not isinstance(rate, int | float) or rate <= HIGH_HIT_RATE:
        return ""
    repeats = s.get("within_run_repeats")
    if (
        not isinstance(repeats, int)
        or not isinstance(total, int)
        or (repeats > HIGH_HIT_RATE * total)
    ):
        return (
            '<p class="warn">[CACHE] Very high cache hit rate (&gt;80%) - '
            "consider broadening search space</p>"
        )
    return (
        f'<p class="note">{esc(s.get("earlier_run_hits"))} of {esc(total)} trials reused '
        "results stored by earlier runs: a warm cache, not a sign of a narrow search space.</p>"
    )


def best_section(data: RunData) -> str:
    """The best trial: score, params, metrics, constraints and how to reproduce it."""
    best = data.best
    if best is None:
        return '<section><h2>Best trial</h2><p class="warn">No trial completed.</p></section>'
    searched = set(best.get("searched_params") or {})
    params = [(k, v, "searched" if k in searched else "fixed") for k, v in best["params"].items()]
    metrics = best.get("metrics") or {}
    constraints = [
        (*describe_constraint(k, v, metrics).split(": ", 1), "holds" if v <= 0 else "violated")
        for k, v in (best.get("constraints") or {}).items()
    ]
    score = best.get("score")
    scores = score if isinstance(score, list) else [score]
    names = data.objectives or ("score",)
    summary = [
        ("trial", f"#{best.get('trial')}"),
        *[(f"score · {n}", v) for n, v in zip(names, scores, strict=False)],
        ("feasible", best.get("feasible")),
        ("score source", best.get("cache_source")),
        ("key", best.get("key")),
    ]
    front = best.get("pareto_front") or []
    pareto = ""
    if len(front) > 1:
        rows = [
            (f"#{e.get('trial')}", ", ".join(fmt(v) for v in e.get("score", []))) for e in front
        ]
        pareto = f"<h3>Pareto front</h3>{grid_table(['trial', 'scores'], rows)}"
    return (
        '<section><h2>Best trial</h2><div class="cols">'
        f"<div>{kv_table(summary)}<h3>Constraints</h3>"
        f"{grid_table(['constraint', 'value', ''], constraints)}</div>"
        f"<div><h3>Params</h3>{grid_table(['param', 'value', ''], params)}</div>"
        f"<div><h3>Metrics</h3>{kv_table((best.get('metrics') or {}).items())}</div></div>"
        f"<h3>Reproduce</h3>{_reproduce(best)}{pareto}</section>"
    )


def _reproduce(best: Mapping[str, Any]) -> str:
    oos = (best.get("validation") or {}).get("out_of_sample") or {}
    text = f"in sample:\n{best.get('reproduce')}"
    if oos.get("reproduce"):
        text += f"\nout of sample:\n{oos['reproduce']}"
    return f"<pre>{esc(text)}</pre>"


def top_trials(data: RunData, n: int) -> list[ReportTrial]:
    """The ``n`` best completed trials by the rule of ``best_trial.json`` (feasible first),
    one per backtest key (duplicates left out)."""
    seen: set[str | None] = set()
    result = []
    for trial in rank_trials(data.trials, data.directions):
        if trial.key is not None and trial.key in seen:
            continue
        seen.add(trial.key)
        result.append(trial)
    return result[:n]


def top_section(data: RunData, tested: Sequence[Mapping[str, Any]] = ()) -> str:
    """A table of the best distinct trials, the run's best marked and always among them.

    ``tested``: the out-of-sample backtests of ``validation.json`` (their Sharpe ratio is a
    column, by backtest key).
    """
    names = data.searched
    metrics = ("n_trades", "total_return_pct", "max_drawdown_pct")
    oos = {t.get("key"): (t.get("metrics") or {}).get("sharpe") for t in tested}
    best = (data.best or {}).get("trial")
    shown = top_trials(data, N_TOP_TRIALS)
    if best is not None and all(t.number != best for t in shown):
        shown += [t for t in data.trials if t.number == best][:1]
    rows = [
        [f"{t.number}{'*' if t.number == best else ''}", t.score,
         *[t.params.get(p) for p in names], *[t.metrics.get(m) for m in metrics],
         *([oos.get(t.key)] if oos else []), t.feasible, t.source.value if t.source else None]
        for t in shown
    ]  # fmt: skip
    header = ["#", "score", *names, "trades", "return %", "max dd %"]
    header += [*(["Sharpe out of sample"] if oos else []), "feasible", "source"]
    return (
        f"<section><h2>Top {N_TOP_TRIALS} distinct trials in sample</h2>"
        '<p class="note">* the run\'s best (its champion).</p>'
        f'<div class="scroll">{grid_table(header, rows)}</div></section>'
    )
