"""The validation part of ``genesis optimize``'s summary: in sample beside out of sample.

It prints what ``best_trial.json``'s ``validation`` object holds, and says plainly when the
result is not significant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import typer

from genesis.artifacts.validation import comparison_columns
from genesis.validation.overfitting import PBO_LIMIT, SIGNIFICANCE

_ROWS = (
    ("sharpe", "Sharpe", "{:.2f}"),
    ("total_return_pct", "return %", "{:.2f}"),
    ("cagr_pct", "CAGR %", "{:.2f}"),
    ("max_drawdown_pct", "max drawdown %", "{:.2f}"),
    ("n_trades", "trades", "{:d}"),
)
_METHODS = {
    "none": "none (the whole data was searched; nothing was tested out of sample)",
    "holdout": "holdout",
    "walk_forward": "walk-forward",
}


def validation_lines(validation: Mapping[str, Any]) -> list[str]:
    """The summary's lines for one run's ``validation`` object."""
    method = str(validation.get("method"))
    lines = [f"validation: {_METHODS.get(method, method)}"]
    windows = validation.get("windows") or {}
    if windows:
        lines.append("  " + ", ".join(f"{k.replace('_', '-')} {v}" for k, v in windows.items()))
    columns = comparison_columns(validation)
    if columns:
        lines.extend(_table(columns))
    lines.extend(_choice(validation))
    lines.extend(_statistics(validation))
    for warning in validation.get("warnings") or []:
        lines.append(f"  WARNING: {warning}")
    if validation.get("significant"):
        lines.append(
            f"  the in-sample best passes both checks (DSR >= {SIGNIFICANCE}, PBO <= {PBO_LIMIT})"
        )
    return lines


def verdict_line(validation: Mapping[str, Any] | None) -> str | None:
    """``VERDICT: …`` of a run's ``validation`` object (judged now for a run made before it)."""
    if not validation:
        return None
    from genesis.validation.verdict import judge

    stored = validation.get("verdict")
    if isinstance(stored, Mapping) and stored.get("line"):
        return str(stored["line"])
    return judge(validation).line()


def chosen_how(validation: Mapping[str, Any] | None) -> str | None:
    """How the run's best (its champion) was chosen, in words; None for the in-sample best."""
    v = validation or {}
    if v.get("method") == "holdout" and v.get("select_by") == "out_of_sample":
        return "chosen out of sample among the top in-sample trials"
    if v.get("method") == "walk_forward":
        return "the last fold's best in sample"
    return None


def reproduce_lines(best: Mapping[str, Any]) -> list[str]:
    """Both commands that give the best's results: in sample and, when tested, out of sample."""
    lines = [f"reproduce in sample: {best['reproduce']}"] if best.get("reproduce") else []
    oos = ((best.get("validation") or {}).get("out_of_sample")) or {}
    if oos.get("reproduce"):
        lines.append(f"reproduce out of sample: {oos['reproduce']}")
    return lines


def print_validation(validation: Mapping[str, Any] | None) -> None:
    if validation:
        for line in validation_lines(validation):
            typer.echo(line)


def _table(columns: list[tuple[str, Mapping[str, Any]]]) -> list[str]:
    width = max(16, *(len(name) + 2 for name, _ in columns))
    lines = ["  " + " " * 16 + "".join(name.rjust(width) for name, _ in columns)]
    for metric, label, fmt in _ROWS:
        cells = [_cell(metrics.get(metric), fmt) for _, metrics in columns]
        lines.append("  " + label.ljust(16) + "".join(c.rjust(width) for c in cells))
    return lines


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def _choice(v: Mapping[str, Any]) -> list[str]:
    lines = []
    method = v.get("method")
    trial = (v.get("in_sample") or {}).get("trial")
    if method == "holdout":
        how = (
            "the best out of sample among the top in-sample trials"
            if v.get("select_by") == "out_of_sample"
            else "the best in sample"
        )
        lines.append(f"  champion: trial #{trial}, {how}")
        expected = v.get("expected") or {}
        sharpe = (expected.get("metrics") or {}).get("sharpe")
        lines.append(
            f"  what to expect: Sharpe {_cell(sharpe, '{:.2f}')} out of sample "
            f"({expected.get('what', '')}; choosing on the test period flatters the champion)"
        )
    elif method == "walk_forward":
        lines.append(
            f"  champion: trial #{trial}, the last fold's best in sample (the params to trade "
            "next if the verdict allows)"
        )
        efficiency = v.get("walk_forward_efficiency")
        lines.append(
            f"  walk-forward efficiency (Pardo): {_cell(efficiency, '{:.2f}')} "
            "(annualized out-of-sample over in-sample return)"
        )
    return lines


def _probability(stat: Mapping[str, Any] | None) -> str:
    return f"{stat['probability']:.2f}" if stat else "undefined"


def _statistics(v: Mapping[str, Any]) -> list[str]:
    n = v.get("n_trials_counted")
    dsr, pbo = v.get("deflated_sharpe"), v.get("pbo")
    dsr_text = f"{dsr['probability']:.2f}" if dsr else "undefined"
    pbo_text = "undefined"
    if pbo:
        pbo_text = f"{pbo['probability']:.2f} over {pbo['n_splits']} CSCV splits"
    trial = v.get("statistics_of_trial")
    of = f" of the in-sample best #{trial}" if trial is not None else ""
    folds = [
        f"  fold {f['fold']}: DSR {_probability(f.get('deflated_sharpe'))}, "
        f"PBO {_probability(f.get('pbo'))} over {f.get('n_trials_counted')} distinct backtests"
        for f in v.get("folds") or []
    ]
    if folds:
        of += f" of fold {v.get('statistics_of_fold')}"
    return [
        *folds,
        f"  Deflated Sharpe Ratio{of}: {dsr_text} (probability that its Sharpe ratio beats "
        f"the best of {n} distinct backtests of noise; Bailey & López de Prado 2014)",
        f"  Probability of Backtest Overfitting: {pbo_text} (Bailey, Borwein, López de Prado "
        "& Zhu 2015)",
    ]
