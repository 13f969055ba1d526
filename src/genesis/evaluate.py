"""One backtest, start to finish: the single path used by ``genesis backtest`` and the optimizer.

:class:`BacktestSpec` is the explicit, typed description of everything that changes a
score (an allow-list, STYLE.md rule 9); its :meth:`BacktestSpec.canonical` form is what
the result cache hashes. :func:`evaluate` turns params into signals, runs the engine,
computes metrics and the score.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from genesis.data import Candles
from genesis.engine import (
    ENGINE_VERSION,
    BacktestResult,
    BacktestSettings,
    Signals,
    run_backtest,
)
from genesis.errors import BacktestError, StrategyError
from genesis.features import Features
from genesis.metrics import Metrics, compute_metrics
from genesis.metrics.score import Score, ScoreSpec, compute_score
from genesis.strategy._trace import strategy_raised
from genesis.strategy.base import ParamValue, Strategy, resolve_params

SPEC_FORMAT = 1
"""Bump when the canonical form of a spec changes shape (it is hashed into every key)."""


def canonical_value(value: ParamValue) -> ParamValue:
    """A param value in the one form that hashes the same however it was written.

    Integral floats stay floats (their kind comes from the schema, which already turned
    ``10.0`` into ``10`` for int params); floats are rounded to 12 significant digits so
    that ``0.1 + 0.2`` and ``0.3`` give the same key.
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StrategyError(f"param value {value!r} is not finite")
        return float(f"{value:.12g}")
    return value


@dataclass(frozen=True)
class BacktestSpec:
    """Everything that changes the score of one backtest, and nothing else."""

    strategy: str
    strategy_version: str
    params: Mapping[str, ParamValue]
    data_fingerprint: str
    settings: BacktestSettings
    score: ScoreSpec
    window: str = "all"
    engine_version: str = ENGINE_VERSION
    extra: Mapping[str, Any] = field(default_factory=dict)
    """What else changes the score of a backtest another engine runs (an adapter's rules,
    wallet and loss, as JSON-ready values); in the key only when not empty, so that the
    keys of genesis's own backtests are unchanged."""

    def canonical(self) -> dict[str, Any]:
        """The JSON-ready dict the cache key is the hash of (keys sorted when dumped)."""
        canonical: dict[str, Any] = {
            "format": SPEC_FORMAT,
            "strategy": self.strategy,
            "strategy_version": self.strategy_version,
            "params": {name: canonical_value(v) for name, v in sorted(self.params.items())},
            "data": self.data_fingerprint,
            "window": self.window,
            "settings": asdict(self.settings),
            "score": {
                "objectives": list(self.score.objectives),
                "min_trades": self.score.min_trades,
                "max_drawdown_pct": self.score.max_drawdown_pct,
            },
            "engine_version": self.engine_version,
        }
        if self.extra:
            canonical["extra"] = dict(self.extra)
        return canonical


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one real backtest."""

    score: Score
    metrics: Metrics
    result: BacktestResult = field(repr=False)
    elapsed_s: float


def make_spec(
    strategy: Strategy,
    params: Mapping[str, Any],
    candles_fingerprint: str,
    settings: BacktestSettings,
    score: ScoreSpec,
    *,
    window: str = "all",
) -> BacktestSpec:
    """Check ``params`` against the strategy's schema and build the spec to key and run."""
    resolved = resolve_params(strategy, params)
    return BacktestSpec(
        strategy=strategy.name,
        strategy_version=str(strategy.version),
        params={name: canonical_value(v) for name, v in resolved.items()},
        data_fingerprint=candles_fingerprint,
        settings=settings,
        score=score,
        window=window,
    )


def evaluate(
    spec: BacktestSpec,
    strategy: Strategy,
    features: Features,
    *,
    bars: tuple[int, int] | None = None,
) -> Evaluation:
    """Run the backtest ``spec`` describes on ``features.candles`` and score it.

    With ``bars=(start, stop)`` the signals are computed on all the candles, so that the
    indicators warm up on the bars before ``start`` (a trader had them), and the account
    trades bars ``[start, stop)`` only, flat at ``start``: how a period is tested out of
    sample. ``spec.window`` must then name those bars, since it is in the key.

    Raises:
        StrategyError: the strategy raised while computing signals.
        BacktestError: the engine rejected the signals or the score is undefined.
    """
    started = time.perf_counter()
    result = simulate(spec, strategy, features, bars=bars)
    metrics = compute_metrics(result)
    score = compute_score(metrics, spec.score)
    if not all(math.isfinite(v) for v in score.values):
        raise BacktestError(f"score {score.values} is not finite")
    return Evaluation(score, metrics, result, time.perf_counter() - started)


def simulate(
    spec: BacktestSpec,
    strategy: Strategy,
    features: Features,
    *,
    bars: tuple[int, int] | None = None,
) -> BacktestResult:
    """The backtest's trades and equity, without metrics or score (see :func:`evaluate`).

    Raises:
        StrategyError: the strategy raised while computing signals.
        BacktestError: the engine rejected the signals.
    """
    try:
        signals = strategy.signals(features, spec.params)
    except Exception as error:  # a user's strategy may raise anything: locate it, keep going
        told = strategy_raised(spec.strategy, error)
        if told is error:
            raise
        raise told from error
    if not isinstance(signals, Signals):
        raise StrategyError(
            f"strategy {spec.strategy!r}: signals() returned {_brief(signals)}, not Signals",
            hint="return genesis.engine.Signals(entry_long=..., exit_long=..., ...)",
        )
    if bars is None:
        return run_backtest(features.candles, signals, spec.settings)
    start, stop = bars
    return run_backtest(
        features.candles.slice(start, stop), _sliced(signals, start, stop), spec.settings
    )


def _sliced(signals: Signals, start: int, stop: int) -> Signals:
    """The signals of bars ``[start, stop)``."""

    def cut(values: Any) -> Any:
        return None if values is None else values[start:stop]

    return Signals(
        cut(signals.entry_long), cut(signals.exit_long), cut(signals.entry_short),
        cut(signals.exit_short), cut(signals.stop_loss), cut(signals.take_profit),
        cut(signals.trailing_stop), signals.exit_rules,
    )  # fmt: skip


def _brief(value: object) -> str:
    """``None``, or the type and a short repr of ``value`` (for error messages)."""
    if value is None:
        return "None"
    text = repr(value)
    return f"a {type(value).__name__} ({text[:60] + '…' if len(text) > 60 else text})"


def candles_window_label(candles: Candles) -> str:
    """A human-readable label of the bars a backtest ran on (first and last open time)."""
    if len(candles) == 0:
        return "empty"
    return f"{int(candles.ts_ms[0])}..{int(candles.ts_ms[-1])}"
