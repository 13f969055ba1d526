"""The verdict's rule, one threshold at a time, on hand-made validation objects."""

from __future__ import annotations

from typing import Any

import pytest

from genesis.validation.verdict import (
    DSR_NOISE,
    DSR_SIGNIFICANT,
    MIN_OOS_TRADES,
    MIN_OOS_TRADES_SOLID,
    OOS_KEEP,
    PBO_OVERFIT,
    Rating,
    judge,
)


def good(**changes: Any) -> dict[str, Any]:
    """A holdout that passes every check; ``changes`` replace its parts."""
    v: dict[str, Any] = {
        "method": "holdout",
        "deflated_sharpe": {"probability": 0.99},
        "n_trials_counted": 200,
        "pbo": {"probability": 0.1, "n_splits": 16},
        "in_sample": {"metrics": {"sharpe": 1.5, "n_trades": 120}},
        "out_of_sample": {"metrics": {"sharpe": 1.4, "n_trades": 50}},
        "expected": {"metrics": {"sharpe": 1.2, "n_trades": 45}},
        "buy_and_hold": {"sharpe": 0.3},
    }
    v.update(changes)
    return v


def oos(sharpe: float | None, trades: int = 45) -> dict[str, Any]:
    return {"metrics": {"sharpe": sharpe, "n_trades": trades}}


def test_a_result_passing_every_check_is_a_candidate_and_says_why() -> None:
    verdict = judge(good())
    assert verdict.rating is Rating.CANDIDATE
    assert verdict.line() == (
        "VERDICT: candidate — significant (DSR 0.99 after 200 backtests), not overfit (PBO 0.10 "
        "by CSCV), 45 trades out of sample (holdout), out of sample above buy-and-hold "
        "(Sharpe 1.20 vs 0.30, holdout)"
    )
    assert verdict.as_dict()["rating"] == "candidate"


def test_the_issue_example_is_do_not_trade_with_every_reason() -> None:
    v = good(
        method="walk_forward", deflated_sharpe={"probability": 0.12}, n_trials_counted=983,
        pbo={"probability": 0.74}, expected=oos(0.14), buy_and_hold={"sharpe": 0.99},
    )  # fmt: skip
    line = judge(v).line()
    assert line.startswith(
        "VERDICT: do not trade — not significant (DSR 0.12 after 983 backtests of the last "
        "fold), overfit (PBO 0.74 by CSCV of the last fold)"
    )
    assert "out of sample below buy-and-hold (Sharpe 0.14 vs 0.99, walk-forward)" in line


@pytest.mark.parametrize(
    ("dsr", "rating"),
    [
        (DSR_NOISE - 0.01, Rating.DO_NOT_TRADE),
        (DSR_NOISE, Rating.WEAK),
        (DSR_SIGNIFICANT - 0.01, Rating.WEAK),
        (DSR_SIGNIFICANT, Rating.CANDIDATE),
    ],
)
def test_deflated_sharpe_thresholds(dsr: float, rating: Rating) -> None:
    assert judge(good(deflated_sharpe={"probability": dsr})).rating is rating


def test_an_undefined_dsr_or_pbo_is_weak() -> None:
    assert judge(good(deflated_sharpe=None)).rating is Rating.WEAK
    assert judge(good(pbo=None)).rating is Rating.WEAK


@pytest.mark.parametrize(
    ("pbo", "rating"), [(PBO_OVERFIT, Rating.CANDIDATE), (PBO_OVERFIT + 0.01, Rating.WEAK)]
)
def test_pbo_threshold(pbo: float, rating: Rating) -> None:
    assert judge(good(pbo={"probability": pbo})).rating is rating


@pytest.mark.parametrize(
    ("trades", "rating"),
    [
        (MIN_OOS_TRADES - 1, Rating.DO_NOT_TRADE),
        (MIN_OOS_TRADES, Rating.WEAK),
        (MIN_OOS_TRADES_SOLID - 1, Rating.WEAK),
        (MIN_OOS_TRADES_SOLID, Rating.CANDIDATE),
    ],
)
def test_out_of_sample_trade_thresholds(trades: int, rating: Rating) -> None:
    assert judge(good(expected=oos(1.2, trades))).rating is rating


@pytest.mark.parametrize("sharpe", [None, 0.0, -0.4])
def test_no_or_a_losing_out_of_sample_sharpe_is_do_not_trade(sharpe: float | None) -> None:
    verdict = judge(good(expected=oos(sharpe)))
    assert verdict.rating is Rating.DO_NOT_TRADE
    assert "out of sample" in verdict.reasons[0]


def test_below_buy_and_hold_is_weak() -> None:
    verdict = judge(good(buy_and_hold={"sharpe": 1.21}))
    assert verdict.rating is Rating.WEAK
    assert verdict.reasons[0] == "out of sample below buy-and-hold (Sharpe 1.20 vs 1.21, holdout)"


def test_decay_out_of_sample_is_weak() -> None:
    in_sample = {"metrics": {"sharpe": 1.2 / OOS_KEEP + 0.01}}
    assert judge(good(in_sample=in_sample)).rating is Rating.WEAK
    in_sample = {"metrics": {"sharpe": 1.2 / OOS_KEEP}}
    assert judge(good(in_sample=in_sample)).rating is Rating.CANDIDATE


def test_the_honest_figure_is_what_to_expect_not_the_flattered_champion() -> None:
    # The champion chosen on the test period looks good there; the in-sample best lost.
    verdict = judge(good(expected=oos(-0.2), out_of_sample=oos(2.0)))
    assert verdict.rating is Rating.DO_NOT_TRADE
    assert "loses out of sample (Sharpe -0.20, holdout)" in verdict.reasons


def test_without_out_of_sample_test_the_best_is_weak() -> None:
    v = good(method="none", out_of_sample=None, expected=None, buy_and_hold=None)
    verdict = judge(v)
    assert verdict.rating is Rating.WEAK
    assert verdict.reasons == ("not tested out of sample (validation: none)",)


def test_a_missing_out_of_sample_result_is_do_not_trade() -> None:
    verdict = judge(good(out_of_sample=None, expected=None))
    assert verdict.rating is Rating.DO_NOT_TRADE
    assert verdict.reasons == ("no out-of-sample result (holdout)",)


def test_look_ahead_is_never_a_candidate() -> None:
    v = good(lookahead={"found": True, "detail": "signal 'long_entry' differs at bar 120"})
    verdict = judge(v)
    assert verdict.rating is Rating.DO_NOT_TRADE
    assert verdict.reasons[0] == "looks ahead (signal 'long_entry' differs at bar 120)"


def test_a_strategy_the_look_ahead_check_could_not_run_is_never_a_candidate() -> None:
    from genesis.optimizer.lookahead import NOT_CHECKED

    assert judge(good()).rating is Rating.CANDIDATE
    verdict = judge(good(lookahead=dict(NOT_CHECKED)))
    assert verdict.rating is Rating.WEAK
    assert "look-ahead not checked" in verdict.line()


def test_a_run_where_no_trial_completed_is_do_not_trade() -> None:
    v = good(method="none", in_sample=None, out_of_sample=None, expected=None,
             deflated_sharpe=None, pbo=None, n_trials_counted=0)  # fmt: skip
    verdict = judge(v)
    assert verdict.rating is Rating.DO_NOT_TRADE
    assert verdict.reasons[0] == "no trial completed"


@pytest.mark.parametrize("sharpe", [None, 0.0, -0.4])
def test_an_untested_best_that_loses_in_sample_is_do_not_trade(sharpe: float | None) -> None:
    v = good(method="none", in_sample=oos(sharpe), out_of_sample=None, expected=None,
             deflated_sharpe=None, pbo=None)  # fmt: skip
    verdict = judge(v)
    assert verdict.rating is Rating.DO_NOT_TRADE
    assert verdict.reasons[0].startswith("loses in sample (Sharpe ")


def test_a_look_ahead_check_that_ran_nothing_is_not_a_candidate() -> None:
    verdict = judge(good(lookahead={"found": False, "detail": None, "params_checked": 0}))
    assert verdict.rating is Rating.WEAK
    assert "look-ahead not checked (every params set raised)" in verdict.reasons
    assert judge(good(lookahead={"found": False, "params_checked": 2})).rating is Rating.CANDIDATE


@pytest.mark.parametrize("method", ["holdout", "walk_forward"])
def test_every_out_of_sample_figure_names_its_method(method: str) -> None:
    named = method.replace("_", "-")
    cases = [
        good(method=method, expected=oos(0.5), buy_and_hold={"sharpe": 0.9}),  # below, decays
        good(method=method, expected=oos(-0.3)),  # loses
        good(method=method, expected=oos(None)),  # no Sharpe ratio
        good(method=method),  # a candidate: above buy-and-hold
    ]
    for v in cases:
        for reason in judge(v).reasons:
            if "out of sample" in reason:
                assert reason.endswith(f"{named})"), reason


def test_decay_compares_the_same_trial_in_and_out_of_sample() -> None:
    """The expected figure is the in-sample best's: its decay is from its own in-sample."""
    expected = {**oos(0.6), "in_sample_metrics": {"sharpe": 1.4}}
    verdict = judge(good(in_sample={"metrics": {"sharpe": 1.0}}, expected=expected))
    assert verdict.rating is Rating.WEAK
    assert "decays out of sample (Sharpe 0.60 vs 1.40 in sample, holdout)" in verdict.reasons
    expected = {**oos(0.8), "in_sample_metrics": {"sharpe": 1.4}}
    assert judge(good(in_sample={"metrics": {"sharpe": 3.0}}, expected=expected)).rating is (
        Rating.CANDIDATE
    )
