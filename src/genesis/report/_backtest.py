"""The best trial's backtest, re-run at report time: equity, drawdown, trades and data.

A run directory keeps each backtest's metrics, not its equity curve or trades (they would
make every trial file as large as the candles). The report re-runs the best trial through
the one backtest path (:func:`genesis.optimizer.build_problem` +
:func:`genesis.evaluate.make_spec` + :func:`genesis.evaluate.evaluate`), on the candles
the run's ``config.yaml`` names, and checks that the key is the recorded one. Where the
candles cannot be loaded (a run directory copied to another machine), these sections say
so and the rest of the report is unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from genesis.artifacts.backtest import buy_hold_curve, drawdown_curve, exit_reason_name
from genesis.cache import cache_key
from genesis.config import config_from_dict
from genesis.data import Candles, DataReport, format_ts, validate_candles
from genesis.errors import GenesisError
from genesis.evaluate import Evaluation
from genesis.optimizer import build_problem
from genesis.optimizer.problem import ProblemBuilder
from genesis.report._load import RunData
from genesis.report._sections import esc, fmt, grid_table, kv_table

N_TRADES_SHOWN = 500
N_GAPS_SHOWN = 10
MAX_CURVE_POINTS = 1200
"""Points per curve in the page: the extremes of each bucket of bars, so a drawdown's
depth survives the thinning (50,000 bars inline would weigh several MB)."""


@dataclass(frozen=True)
class Replay:
    """The best trial's backtest, run again, with the candles it ran on."""

    candles: Candles
    evaluation: Evaluation
    key: str
    recorded_key: str | None
    initial_capital: float
    data_report: DataReport
    window: str

    @property
    def equity(self) -> npt.NDArray[np.float64]:
        return np.asarray(self.evaluation.result.equity, dtype=np.float64)

    @property
    def buy_and_hold(self) -> npt.NDArray[np.float64]:
        """The capital held from the first open, at every close, without costs (the metric's)."""
        return buy_hold_curve(self.evaluation.result)


def replay_best(data: RunData, build: ProblemBuilder = build_problem) -> Replay | str:
    """Re-run the best trial; or a sentence saying why it cannot be re-run here.

    ``build`` makes the run's problem from its config (an adapter's builder for another
    tool's strategy, see :func:`genesis.optimizer.run_optimizer`).
    """
    best = data.best
    if best is None or not isinstance(best.get("params"), Mapping):
        return "no trial completed, so there is no backtest to show"
    try:
        config = config_from_dict(data.config, where=str(data.run.config))
        problem = build(config)
        spec = problem.spec({**problem.space.fixed, **best["params"]})
        evaluation = problem.evaluate(spec)
        report = validate_candles(problem.candles)
    except GenesisError as error:
        return f"the best trial could not be re-run here: {error}"
    return Replay(
        problem.candles, evaluation, cache_key(spec), best.get("key"),
        problem.settings.initial_capital, report, problem.window,
    )  # fmt: skip


def underwater_pct(curve: npt.NDArray[np.float64], capital: float) -> npt.NDArray[np.float64]:
    """The drawdown as the chart shows it: 0 at a new high, negative below the peak.

    ``genesis.artifacts.backtest.drawdown_curve`` (the metrics' rule: the initial capital
    counts as a peak), with the sign a chart under the equity curve reads best with.
    """
    return -drawdown_curve(curve, capital)


def thin(
    values: npt.NDArray[np.float64], max_points: int = MAX_CURVE_POINTS
) -> npt.NDArray[np.intp]:
    """Indexes to draw: first, last, and each bucket's lowest and highest bar, in order."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    edges = np.linspace(0, n, max_points // 2 + 1).astype(np.intp)
    keep = [0, n - 1]
    for lo, hi in itertools.pairwise(edges.tolist()):
        if hi > lo:
            chunk = values[lo:hi]
            keep += [lo + int(np.argmin(chunk)), lo + int(np.argmax(chunk))]
    return np.unique(np.asarray(keep, dtype=np.intp))


def data_section(data: RunData, replay: Replay | str) -> str:
    """The candles' date range, bar count, timeframe and gaps."""
    if isinstance(replay, str):
        return f'<section><h2>Data</h2><p class="note">{esc(replay)}</p></section>'
    r, candles = replay.data_report, replay.candles
    rows: list[tuple[str, Any]] = [
        ("candles", f"{candles.symbol} {candles.timeframe}"),
        ("first bar", r.start),
        ("last bar", r.end),
        ("bars", r.n_rows),
        ("window", replay.window),
        ("gaps", f"{r.n_gaps:,} ({r.n_missing_bars:,} missing bars)"),
        ("largest gap", str(r.largest_gap) if r.largest_gap else "none"),
    ]
    gaps = ""
    if r.gaps:
        longest = sorted(r.gaps, key=lambda g: (-g.n_missing, g.start_ms))[:N_GAPS_SHOWN]
        table = grid_table(
            ["from", "to", "missing bars"],
            [(format_ts(g.start_ms), format_ts(g.end_ms), g.n_missing) for g in longest],
        )
        gaps = f"<h3>Longest gaps</h3>{table}"
    return f"<section><h2>Data</h2>{kv_table(rows)}{gaps}</section>"


def equity_rows(replay: Replay) -> list[tuple[str, Any]]:
    """Strategy against buy-and-hold of the same bars: return and max drawdown."""
    equity, hold = replay.equity, replay.buy_and_hold
    capital = replay.initial_capital
    metrics = replay.evaluation.metrics.as_dict()
    return [
        ("strategy return", f"{fmt(100 * (equity[-1] / capital - 1))}%"),
        ("buy-and-hold return", f"{fmt(100 * (hold[-1] / capital - 1))}%"),
        ("strategy max drawdown", f"{fmt(float(drawdown_curve(equity, capital).max()))}%"),
        ("buy-and-hold max drawdown", f"{fmt(float(drawdown_curve(hold, capital).max()))}%"),
        ("trades", metrics.get("n_trades")),
        ("exposure", f"{fmt(metrics.get('exposure_pct'))}%"),
        ("final equity", equity[-1]),
    ]


def key_note(replay: Replay) -> str:
    """A warning when the re-run is not the recorded backtest (candles or code changed)."""
    if replay.recorded_key is None or replay.key == replay.recorded_key:
        return ""
    return (
        '<p class="warn">The re-run backtest differs from the recorded one (its key is '
        f"{esc(replay.key[:12])}…, the run recorded {esc(str(replay.recorded_key)[:12])}…): "
        "the candles, the strategy or the engine changed since the run.</p>"
    )


def trades_section(replay: Replay | str) -> str:
    """The best trial's trades: times, side, prices, return and why each one closed."""
    if isinstance(replay, str):
        return ""
    trades, ts = replay.evaluation.result.trades, replay.candles.ts_ms
    n = len(trades)
    first = max(0, n - N_TRADES_SHOWN)
    rows = [
        (
            i + 1, "long" if trades.direction[i] > 0 else "short",
            _when(int(ts[trades.entry_idx[i]])), float(trades.entry_price[i]),
            _when(int(ts[trades.exit_idx[i]])), float(trades.exit_price[i]),
            float(trades.return_pct[i]), float(trades.pnl[i]),
            exit_reason_name(int(trades.exit_reason[i])).replace("_", " "),
        )
        for i in range(first, n)
    ]  # fmt: skip
    header = ["#", "side", "entry", "entry price", "exit", "exit price", "return %", "pnl", "exit"]
    shown = f"the last {N_TRADES_SHOWN:,} of {n:,}" if first else f"all {n:,}"
    return (
        f'<section><h2>Trades of the best trial</h2><p class="note">{esc(shown)} trades; '
        "times are the bars of the fills (a signal fills at the bar's open, a stop within it).</p>"
        f'<div class="scroll tall">{grid_table(header, rows)}</div></section>'
    )


def _when(ts_ms: int) -> str:
    """``2019-02-13 08:00`` (UTC): a table of hundreds of trades reads better without T/Z."""
    return format_ts(ts_ms)[:16].replace("T", " ")
