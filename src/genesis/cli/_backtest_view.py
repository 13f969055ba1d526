"""What ``genesis backtest`` prints: the bars, strategy against buy-and-hold, metrics, trades."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table

from genesis.cli._tables import print_table
from genesis.metrics.score import describe_constraint

if TYPE_CHECKING:
    from genesis.api import BacktestReport


def _number(value: Any) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, float):
        return f"{value:,.4f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _pct(value: float | None) -> str:
    return "undefined" if value is None else f"{value:+,.2f}%"


def _price(value: float) -> str:
    """Cents for prices of 1 and more (``11,041.90``), six significant digits below."""
    return f"{value:,.2f}" if abs(value) >= 1.0 else f"{value:.6g}"


def _time(iso: str) -> str:
    """``2019-01-01T05:00:00Z`` as ``2019-01-01 05:00`` (the table says UTC)."""
    return iso.replace("T", " ")[:16]


def headline(report: BacktestReport) -> list[str]:
    """The bars it ran on and its return beside buy-and-hold of the same bars."""
    from genesis.artifacts.backtest import iso_times

    spec, m = report.spec, report.evaluation.metrics
    ts = report.candles.ts_ms
    first, last = iso_times(ts[[0, -1]])
    days = m.max_drawdown_duration_bars * 365.25 / report.evaluation.result.bars_per_year
    return [
        f"{spec.strategy} v{spec.strategy_version} on {report.candles.symbol} "
        f"{report.candles.timeframe}: {len(ts):,} bars, {_time(first)} → {_time(last)} UTC",
        f"return {_pct(m.total_return_pct)} vs buy-and-hold {_pct(m.buy_hold_return_pct)} "
        f"of the same bars; max drawdown {m.max_drawdown_pct:.2f}% "
        f"(longest {m.max_drawdown_duration_bars:,} bars under water, {days:,.1f} days)",
    ]


def metrics_table(report: BacktestReport) -> Table:
    """Every metric and the score (the constraints follow it, in words)."""
    ev = report.evaluation
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in ev.metrics.as_dict().items():
        table.add_row(name, _number(value))
    for name, value in zip(ev.score.names, ev.score.values, strict=True):
        table.add_row(f"score ({name})", f"{value:,.4f}")
    return table


def trades_table(report: BacktestReport, last: int) -> Table:
    """The ``last`` closed trades, oldest first, with the exit reason by name."""
    from genesis.artifacts.backtest import trades_json

    trades = trades_json(report.evaluation.result, report.candles.ts_ms)
    shown = trades[-last:] if last > 0 else []
    table = Table(
        title=f"last {len(shown)} of {len(trades)} trades (times UTC)",
        box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, title_justify="left",
    )  # fmt: skip
    for name in ("#", "entry", "exit", "side", "entry price", "exit price", "return %", "reason"):
        right = "price" in name or "%" in name or name == "#"
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    start = len(trades) - len(shown)
    for n, t in enumerate(shown, start=start + 1):
        table.add_row(
            str(n), _time(t["entry_time"]), _time(t["exit_time"]), t["side"],
            _price(t["entry_price"]), _price(t["exit_price"]), f"{t['return_pct']:+.2f}",
            t["exit_reason"],
        )  # fmt: skip
    return table


def print_backtest(console: Console, report: BacktestReport, *, last_trades: int) -> None:
    """Print the headline, the metrics table and the last ``last_trades`` trades."""
    for line in headline(report):
        console.print(line, highlight=False, soft_wrap=True)
    print_table(console, metrics_table(report))
    metrics = report.evaluation.metrics.as_dict()
    for name, value in report.evaluation.score.constraints.items():
        console.print(f"constraint {describe_constraint(name, value, metrics)}", highlight=False)
    if last_trades > 0:
        print_table(console, trades_table(report, last_trades))
    console.print(f"params: {dict(report.spec.params)}", highlight=False)
    console.print(f"key: {report.key}  ({report.evaluation.elapsed_s * 1000:.2f} ms)")


def write_plot(path: Path, report: BacktestReport) -> None:
    """Write the ``--plot`` page of ``report`` (see :mod:`genesis.report.backtest_plot`)."""
    from genesis.artifacts.backtest import buy_hold_curve, drawdown_curve, trades_json
    from genesis.report.backtest_plot import BacktestCurves, write_backtest_plot

    result, m = report.evaluation.result, report.evaluation.metrics
    title = (
        f"{report.spec.strategy} on {report.candles.symbol} {report.candles.timeframe}: "
        f"return {_pct(m.total_return_pct)} vs buy-and-hold {_pct(m.buy_hold_return_pct)}"
    )
    curves = BacktestCurves(
        title=title,
        ts_ms=report.candles.ts_ms,
        close=report.candles.close,
        equity=result.equity,
        buy_hold=buy_hold_curve(result),
        drawdown_pct=drawdown_curve(result.equity, result.initial_capital),
        buy_hold_drawdown_pct=drawdown_curve(buy_hold_curve(result), result.initial_capital),
        trades=trades_json(result, report.candles.ts_ms),
    )
    write_backtest_plot(path, curves)
