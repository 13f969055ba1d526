"""compute_score: finite values or a BacktestError, constraints beside the score."""

from __future__ import annotations

import dataclasses
import math

import pytest

from genesis.errors import BacktestError, ConfigError, UsageError
from genesis.metrics import Metrics, ScoreSpec, composite, compute_score, objective_direction

BASE = Metrics(
    total_return_pct=20.0,
    cagr_pct=10.0,
    sharpe=1.5,
    sortino=2.0,
    max_drawdown_pct=20.0,
    calmar=0.5,
    profit_factor=1.4,
    win_rate_pct=55.0,
    n_trades=40,
    exposure_pct=60.0,
    avg_trade_pct=0.4,
    final_equity=12_000.0,
    buy_hold_return_pct=35.0,
    max_drawdown_duration_bars=120,
    exposure_adjusted_return_pct=20.0 / 0.6,
    sqn=1.8,
)


def with_(**changes: object) -> Metrics:
    return dataclasses.replace(BASE, **changes)  # type: ignore[arg-type]


def test_default_spec_scores_the_sharpe_ratio() -> None:
    score = compute_score(BASE, ScoreSpec())
    assert score.values == (1.5,)
    assert score.value == 1.5
    assert score.names == ("sharpe",)
    assert score.directions == ("maximize",)
    assert score.constraints == {}
    assert score.feasible


def test_multi_objective_keeps_order_and_directions() -> None:
    score = compute_score(BASE, ScoreSpec(objectives=("calmar", "max_drawdown_pct")))
    assert score.values == (0.5, 20.0)
    assert score.directions == ("maximize", "minimize")
    with pytest.raises(UsageError, match="2 objectives"):
        _ = score.value


def test_constraints_are_reported_beside_the_real_score_with_signs() -> None:
    spec = ScoreSpec(min_trades=50, max_drawdown_pct=25.0)
    score = compute_score(BASE, spec)
    assert score.value == 1.5  # never replaced by a penalty
    assert score.constraints == {"min_trades": 10.0, "max_drawdown": -5.0}
    assert not score.feasible
    ok = compute_score(with_(n_trades=50), spec)
    assert ok.constraints["min_trades"] == 0.0  # exactly at the limit is feasible
    assert ok.feasible


def test_composite_formula_by_hand() -> None:
    # 40 trades >= 30: full trade weight; drawdown 20 %: weight 0.8.
    assert composite(BASE) == pytest.approx(1.5 * 0.8)
    few = with_(n_trades=15)
    assert composite(few) == pytest.approx(1.5 * math.sqrt(0.5) * 0.8)
    negative = with_(sharpe=-1.0, n_trades=15)
    assert composite(negative) == pytest.approx(-1.0 * (2 - math.sqrt(0.5) * 0.8))
    ruined = with_(max_drawdown_pct=150.0)
    assert composite(ruined) == 0.0


def test_composite_never_rewards_fewer_trades_or_deeper_drawdowns() -> None:
    for sharpe in (-2.0, -0.1, 0.0, 0.5, 3.0):
        scores = [composite(with_(sharpe=sharpe, n_trades=n)) for n in (0, 5, 20, 30, 90)]
        assert scores == sorted(scores)
        scores = [composite(with_(sharpe=sharpe, max_drawdown_pct=d)) for d in (90, 50, 10, 0)]
        assert scores == sorted(scores)


@pytest.mark.parametrize(
    ("objective", "changes", "message"),
    [
        ("sharpe", {"sharpe": None}, "'sharpe' is undefined .* zero variance"),
        ("composite", {"sharpe": None}, "'composite' is undefined .* needs the Sharpe"),
        ("profit_factor", {"profit_factor": None}, "no trade lost money"),
        ("win_rate_pct", {"win_rate_pct": None, "n_trades": 0}, "no trades"),
        ("sortino", {"sortino": math.inf}, "'sortino' is not finite"),
        ("calmar", {"calmar": math.nan}, "'calmar' is not finite"),
    ],
)
def test_undefined_or_non_finite_objective_raises(
    objective: str, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(BacktestError, match=message):
        compute_score(with_(**changes), ScoreSpec(objectives=(objective,)))


def test_unknown_objective_is_a_config_error_with_did_you_mean() -> None:
    with pytest.raises(ConfigError, match="did you mean 'sharpe'"):
        ScoreSpec(objectives=("sharp",))
    with pytest.raises(ConfigError, match="did you mean"):
        objective_direction("max_drawdown")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"objectives": ()},
        {"objectives": "sharpe"},
        {"objectives": ("sharpe", "sharpe")},
        {"min_trades": -1},
        {"max_drawdown_pct": 0.0},
        {"max_drawdown_pct": math.inf},
    ],
)
def test_invalid_spec_is_a_config_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ScoreSpec(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "value", "metrics", "said"),
    [
        ("min_trades", -38.0, {"n_trades": 54}, "min_trades: 54 trades, needs ≥ 16"),
        ("min_trades", 6.0, {"n_trades": 10}, "min_trades: 10 trades, needs ≥ 16 (not met)"),
        (
            "max_drawdown", -20.5, {"max_drawdown_pct": 29.5},
            "max_drawdown: 29.50% drawdown, allows ≤ 50%",
        ),
        (
            "max_drawdown", 12.25, {"max_drawdown_pct": 37.25},
            "max_drawdown: 37.25% drawdown, allows ≤ 25% (not met)",
        ),
        ("min_trades", -3.0, {}, "min_trades: -3 (holds at ≤ 0)"),
    ],
)  # fmt: skip
def test_constraints_read_in_a_traders_words(
    name: str, value: float, metrics: dict[str, float], said: str
) -> None:
    from genesis.metrics.score import describe_constraint

    assert describe_constraint(name, value, metrics) == said


def test_described_constraints_match_compute_score() -> None:
    """The limit read back from a score's constraint is the one the spec set."""
    from genesis.metrics.score import describe_constraint

    spec = ScoreSpec(min_trades=16, max_drawdown_pct=30.0)
    score = compute_score(BASE, spec)
    lines = [describe_constraint(k, v, BASE.as_dict()) for k, v in score.constraints.items()]
    assert lines == [
        "min_trades: 40 trades, needs ≥ 16",
        "max_drawdown: 20.00% drawdown, allows ≤ 30%",
    ]
    late = compute_score(with_(n_trades=3, max_drawdown_pct=31.0), spec)
    metrics = with_(n_trades=3, max_drawdown_pct=31.0).as_dict()
    assert all(
        describe_constraint(k, v, metrics).endswith("(not met)")
        for k, v in late.constraints.items()
    )


def test_a_loss_objective_is_minimized_with_the_value_the_backtest_computed() -> None:
    spec = ScoreSpec(objectives=("loss:SharpeHyperOptLoss", "sharpe"), min_trades=5)
    assert spec.directions == ("minimize", "maximize")
    assert objective_direction("loss:MyLoss") == "minimize"
    score = compute_score(BASE, spec, {"loss:SharpeHyperOptLoss": -2.5})
    assert score.values == (-2.5, BASE.sharpe)
    with pytest.raises(BacktestError, match="no such loss"):
        compute_score(BASE, spec)
    with pytest.raises(ConfigError):
        ScoreSpec(objectives=("loss:",))
