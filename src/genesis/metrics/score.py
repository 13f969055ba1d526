"""The score: what the optimizer maximizes or minimizes, derived from the metrics.

A score is one or more real, finite objective values plus the constraint values the
optimizer hands to ``trial.set_constraint``. Two rules, both from the seed's failure:

* **No sentinels.** If an objective is undefined (``None``) or not finite,
  :func:`compute_score` raises :class:`~genesis.errors.BacktestError` naming the
  metric and why; the optimizer marks that trial FAILED with the message. A score is
  never NaN and never an invented 0.0.
* **Constraints are not penalties.** A violated constraint (too few trades, too deep a
  drawdown) is reported next to the real objective values, as a number that is
  ``<= 0`` when satisfied, and never folded into the score.

The ``composite`` objective (maximize) is

    ``w = sqrt(min(1, n_trades / 30)) * max(0, 1 - max_drawdown_pct / 100)``
    ``composite = sharpe * w``          when ``sharpe >= 0``
    ``composite = sharpe * (2 - w)``    when ``sharpe < 0``

``w`` in [0, 1] is the confidence in the Sharpe ratio: it shrinks with fewer than 30
trades (the standard error of a mean falls like ``1 / sqrt(n)``) and with the depth of
the drawdown. Applied as ``2 - w`` to a negative Sharpe, less confidence or a deeper
drawdown makes the score *worse*, never better, so the composite is monotone in all
three inputs on both sides of zero.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genesis.errors import BacktestError, ConfigError, UsageError
from genesis.metrics._metrics import METRIC_DIRECTIONS, METRIC_NAMES, Direction, Metrics

COMPOSITE = "composite"
COMPOSITE_FULL_TRADES = 30
OBJECTIVE_NAMES: tuple[str, ...] = (*METRIC_NAMES, COMPOSITE)
"""Every name an objective may have: a metric name or ``"composite"`` (or a loss, below)."""
LOSS_PREFIX = "loss:"
"""An objective named ``loss:<Name>`` is an external loss (e.g. a Freqtrade hyperopt loss
class), minimized. Its value is not a metric: whoever runs the backtest computes it and
hands it to :func:`compute_score`."""


def is_loss(name: str) -> bool:
    """Whether objective ``name`` is an external loss (``loss:<Name>``)."""
    return name.startswith(LOSS_PREFIX) and len(name) > len(LOSS_PREFIX)


def _check_objective(name: str) -> None:
    """Raise ConfigError with close matches if ``name`` is not an objective."""
    if name in OBJECTIVE_NAMES or is_loss(name):
        return
    close = difflib.get_close_matches(name, OBJECTIVE_NAMES, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(map(repr, close))}?" if close else None
    raise ConfigError(
        f"unknown score objective {name!r}; known: {', '.join(OBJECTIVE_NAMES)}", hint=hint
    )


@dataclass(frozen=True)
class ScoreSpec:
    """What to optimize and which constraints to report. Part of the cache key.

    Attributes:
        objectives: One or more metric names or ``"composite"``; several means a
            multi-objective study.
        min_trades: Trades required for a feasible trial (0 = no such constraint).
        max_drawdown_pct: Deepest allowed drawdown in percent (None = no constraint).

    Raises:
        ConfigError: On an empty or unknown objective, or an out-of-range limit.
    """

    objectives: tuple[str, ...] = ("sharpe",)
    min_trades: int = 0
    max_drawdown_pct: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.objectives, str) or not self.objectives:
            raise ConfigError("score objectives must be a non-empty list of names")
        for name in self.objectives:
            _check_objective(name)
        if len(set(self.objectives)) != len(self.objectives):
            raise ConfigError(f"score objectives repeat a name: {list(self.objectives)}")
        if self.min_trades < 0:
            raise ConfigError(f"score min_trades must be >= 0, got {self.min_trades}")
        limit = self.max_drawdown_pct
        if limit is not None and not (limit > 0.0 and math.isfinite(limit)):
            raise ConfigError(f"score max_drawdown_pct must be > 0, got {limit!r}")

    @property
    def directions(self) -> tuple[Direction, ...]:
        """The optimization direction of each objective, in order."""
        return tuple(objective_direction(name) for name in self.objectives)


@dataclass(frozen=True)
class Score:
    """Objective values and constraint values of one backtest.

    Attributes:
        values: One finite value per objective, in :attr:`names` order.
        names: The objective names.
        directions: ``"maximize"`` or ``"minimize"`` per objective.
        constraints: Constraint name to value; ``<= 0`` means satisfied (Optuna's
            convention), e.g. ``{"min_trades": 30 - n_trades}``.
    """

    values: tuple[float, ...]
    names: tuple[str, ...]
    directions: tuple[Direction, ...]
    constraints: dict[str, float] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        """Whether every constraint is satisfied."""
        return all(value <= 0.0 for value in self.constraints.values())

    @property
    def value(self) -> float:
        """The single objective value.

        Raises:
            UsageError: If the score has several objectives.
        """
        if len(self.values) != 1:
            raise UsageError(f"score has {len(self.values)} objectives; use .values")
        return self.values[0]


def objective_direction(name: str) -> Direction:
    """The direction of objective ``name``; raises ConfigError if it is unknown."""
    _check_objective(name)
    if is_loss(name):
        return "minimize"
    return "maximize" if name == COMPOSITE else METRIC_DIRECTIONS[name]


def composite(metrics: Metrics) -> float | None:
    """The composite objective (see the module docstring), or None without a Sharpe."""
    if metrics.sharpe is None:
        return None
    trades = math.sqrt(min(1.0, metrics.n_trades / COMPOSITE_FULL_TRADES))
    weight = trades * max(0.0, 1.0 - metrics.max_drawdown_pct / 100.0)
    return metrics.sharpe * (weight if metrics.sharpe >= 0.0 else 2.0 - weight)


_UNDEFINED_BECAUSE: dict[str, str] = {
    "cagr_pct": "no time elapsed or the equity reached zero",
    "sharpe": "the equity curve has zero variance (e.g. no trades) or reached zero",
    "sortino": "no bar had a negative return, or the equity reached zero",
    "calmar": "the drawdown is zero or the CAGR is undefined",
    "profit_factor": "no trade lost money (or there are no trades)",
    "win_rate_pct": "there are no trades",
    "avg_trade_pct": "there are no trades",
    "exposure_adjusted_return_pct": "no bar was spent in a position",
    "sqn": "it needs two trades whose PnL differ",
    "buy_hold_return_pct": "the backtest has no prices to hold",
}


def _objective_value(metrics: Metrics, name: str, losses: Mapping[str, float]) -> float:
    """The finite value of objective ``name``, or BacktestError saying why there is none."""
    if is_loss(name):
        if name not in losses:
            raise BacktestError(f"objective {name!r}: the backtest computed no such loss")
        value: float | None = losses[name]
    else:
        value = composite(metrics) if name == COMPOSITE else getattr(metrics, name)
    if value is None:
        if name == COMPOSITE:
            because = f"it needs the Sharpe ratio, undefined as {_UNDEFINED_BECAUSE['sharpe']}"
        else:
            because = _UNDEFINED_BECAUSE.get(name, "it is undefined")
        raise BacktestError(
            f"objective {name!r} is undefined for this backtest: {because} "
            f"({metrics.n_trades} trades)"
        )
    value = float(value)
    if not math.isfinite(value):
        raise BacktestError(f"objective {name!r} is not finite ({value!r})")
    return value


def compute_score(
    metrics: Metrics, spec: ScoreSpec, losses: Mapping[str, float] | None = None
) -> Score:
    """Score ``metrics`` under ``spec``.

    Args:
        metrics: The backtest's metrics.
        spec: The objectives and constraints.
        losses: The values of the ``loss:<Name>`` objectives, computed by the caller.

    Returns:
        The objective values (all finite) and the constraint values.

    Raises:
        BacktestError: If an objective is undefined (None) or not finite; the message
            names the metric and says why.
    """
    values = tuple(_objective_value(metrics, name, losses or {}) for name in spec.objectives)
    constraints: dict[str, float] = {}
    if spec.min_trades > 0:
        constraints["min_trades"] = float(spec.min_trades - metrics.n_trades)
    if spec.max_drawdown_pct is not None:
        constraints["max_drawdown"] = metrics.max_drawdown_pct - spec.max_drawdown_pct
    return Score(values, spec.objectives, spec.directions, constraints)


def describe_constraint(name: str, value: float, metrics: Mapping[str, Any]) -> str:
    """One constraint in a trader's words, e.g. ``min_trades: 54 trades, needs ≥ 16``.

    Args:
        name: The constraint (``min_trades``, ``max_drawdown``).
        value: Its value as :func:`compute_score` made it (``<= 0`` holds).
        metrics: The backtest's metrics (:meth:`Metrics.as_dict`): the constraint's
            measured side comes from here, its limit from ``value``.

    Returns:
        The measured value against the limit, ending in ``(not met)`` when violated.
    """
    missed = " (not met)" if value > 0 else ""
    if name == "min_trades" and isinstance(metrics.get("n_trades"), int | float):
        n = int(metrics["n_trades"])
        return f"min_trades: {n:,} trades, needs ≥ {round(n + value):,}{missed}"
    drawdown = metrics.get("max_drawdown_pct")
    if name == "max_drawdown" and isinstance(drawdown, int | float):
        limit = drawdown - value
        return f"max_drawdown: {drawdown:.2f}% drawdown, allows ≤ {limit:.4g}%{missed}"
    return f"{name}: {value:+.4g} (holds at ≤ 0){missed}"
