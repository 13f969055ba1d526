"""PSR, DSR and PBO by CSCV against closed forms, the DSR paper's example and hand counts."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from genesis.validation import statistics
from genesis.validation.statistics import (
    BacktestOverfitting,
    DeflatedSharpe,
    deflated_sharpe_ratio,
    expected_maximum_sharpe,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
)

EULER_GAMMA = 0.5772156649015329


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def psr_closed_form(sr: float, bench: float, n: int, skew: float, kurt: float) -> float:
    # Bailey & López de Prado (2012): Φ[(SR - SR*) sqrt(n-1) / sqrt(1 - γ3 SR + (γ4-1)/4 SR²)]
    return normal_cdf(
        (sr - bench) * math.sqrt(n - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    )


# --- Probabilistic Sharpe Ratio -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sr", "bench", "n", "skew", "kurt"),
    [(0.1, 0.0, 250, 0.0, 3.0), (0.05, 0.02, 1000, -0.7, 6.5), (-0.03, 0.01, 60, 1.2, 4.0)],
)
def test_psr_matches_its_closed_form(
    sr: float, bench: float, n: int, skew: float, kurt: float
) -> None:
    got = probabilistic_sharpe_ratio(sr, bench, n, skew, kurt)
    assert got == pytest.approx(psr_closed_form(sr, bench, n, skew, kurt), rel=1e-9, abs=1e-12)


def test_psr_is_one_half_when_the_sharpe_equals_the_benchmark() -> None:
    assert probabilistic_sharpe_ratio(0.08, 0.08, 500, -1.0, 7.0) == pytest.approx(0.5, abs=1e-15)


def test_psr_grows_with_the_track_record_above_the_benchmark_and_falls_below_it() -> None:
    above = [probabilistic_sharpe_ratio(0.05, 0.0, n, 0.0, 3.0) for n in (50, 200, 800, 3200)]
    below = [probabilistic_sharpe_ratio(-0.05, 0.0, n, 0.0, 3.0) for n in (50, 200, 800, 3200)]
    assert above == sorted(above) and len(set(above)) == 4
    assert below == sorted(below, reverse=True) and len(set(below)) == 4


def test_negative_skew_and_fat_tails_lower_a_positive_sharpe_s_psr() -> None:
    normal = probabilistic_sharpe_ratio(0.08, 0.0, 300, 0.0, 3.0)
    assert probabilistic_sharpe_ratio(0.08, 0.0, 300, -2.0, 3.0 + 4.0) < normal
    assert probabilistic_sharpe_ratio(0.08, 0.0, 300, 0.0, 9.0) < normal
    assert probabilistic_sharpe_ratio(0.08, 0.0, 300, 1.0, 3.0) > normal


def test_psr_refuses_impossible_inputs() -> None:
    with pytest.raises(ValueError, match="observations"):
        probabilistic_sharpe_ratio(0.1, 0.0, 1, 0.0, 3.0)
    with pytest.raises(ValueError, match="non-positive"):
        probabilistic_sharpe_ratio(0.5, 0.0, 100, 3.0, 3.0)  # kurtosis < 1 + skew²


# --- Expected maximum Sharpe and the DSR paper's numerical example --------------------------
#
# Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", JPM 40(5), numerical example:
# N = 100 trials, variance of the trials' annualized Sharpe ratios 1/2, best annualized Sharpe
# 2.5 over 5 years of daily returns (T = 1250, so 250 periods a year), skewness -3, kurtosis
# 10; the paper reports SR0 = 0.1132 per day and DSR = 0.9004. The paper's text was not in
# the reference corpora this was written against, so both figures are also derived here from
# the closed forms (math.erf and a bisection for Φ⁻¹, independent of the module's NormalDist).

PERIODS_PER_YEAR, T_PAPER, N_PAPER = 250, 1250, 100
VAR_PAPER = 0.5 / PERIODS_PER_YEAR  # per-day variance of the trials' Sharpe ratios
SR_PAPER = 2.5 / math.sqrt(PERIODS_PER_YEAR)


def normal_ppf(p: float) -> float:
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if normal_cdf(mid) < p else (lo, mid)
    return (lo + hi) / 2


def test_expected_maximum_sharpe_reproduces_the_paper_s_sr0() -> None:
    n = N_PAPER
    z = (1 - EULER_GAMMA) * normal_ppf(1 - 1 / n) + EULER_GAMMA * normal_ppf(1 - 1 / (n * math.e))
    sr0 = expected_maximum_sharpe(N_PAPER, VAR_PAPER)
    assert sr0 == pytest.approx(math.sqrt(VAR_PAPER) * z, rel=1e-9)
    assert round(sr0, 4) == 0.1132
    assert sr0 * math.sqrt(PERIODS_PER_YEAR) == pytest.approx(1.789, abs=1e-3)  # annualized


def test_expected_maximum_sharpe_approximates_the_mean_maximum_of_normal_draws() -> None:
    # The False Strategy theorem's approximation of E[max of N iid N(0, V)].
    draws = np.random.default_rng(0).normal(0.0, 2.0, size=(20_000, 100))
    assert expected_maximum_sharpe(100, 4.0) == pytest.approx(draws.max(axis=1).mean(), rel=0.02)
    assert expected_maximum_sharpe(1, 4.0) == 0.0
    grows = [expected_maximum_sharpe(n, 1.0) for n in (2, 10, 100, 1000)]
    assert grows == sorted(grows) and grows[0] > 0.0


def test_the_paper_s_deflated_sharpe_ratio_from_its_moments() -> None:
    sr0 = expected_maximum_sharpe(N_PAPER, VAR_PAPER)
    dsr = probabilistic_sharpe_ratio(SR_PAPER, sr0, T_PAPER, -3.0, 10.0)
    assert dsr == pytest.approx(psr_closed_form(SR_PAPER, sr0, T_PAPER, -3.0, 10.0), rel=1e-9)
    assert round(dsr, 4) == 0.9004


def two_point_returns(n_low: int, n: int, sharpe: float) -> np.ndarray:
    """n returns on two values with a sample Sharpe ratio (ddof 1) of exactly ``sharpe``."""
    x = np.ones(n)
    x[:n_low] = 0.0
    z = (x - x.mean()) / x.std(ddof=1)
    return 0.01 * (z + sharpe)


def test_deflated_sharpe_ratio_of_returns_shaped_like_the_paper_s_example() -> None:
    # Skewness -3 with kurtosis 10 = 1 + skew² is a two-point law: the low value has
    # probability p with 13p² - 13p + 1 = 0, p = 0.084, i.e. 105 of 1250 days.
    returns = two_point_returns(105, T_PAPER, SR_PAPER)
    result = deflated_sharpe_ratio(returns, n_trials=N_PAPER, sharpe_variance=VAR_PAPER)
    assert result is not None
    assert result.sharpe == pytest.approx(SR_PAPER, rel=1e-12)
    assert result.skewness == pytest.approx(-3.0, abs=0.01)
    assert result.kurtosis == pytest.approx(10.0, abs=0.05)
    assert result.benchmark == pytest.approx(0.1132, abs=5e-5)
    assert result.probability == pytest.approx(0.9004, abs=2e-3)
    assert not result.significant() and result.significant(0.90)


def test_deflated_sharpe_ratio_uses_the_sample_moments_of_the_returns() -> None:
    from scipy import stats  # installed with vectorbt (a dev dependency)

    returns = np.random.default_rng(1).standard_t(5, size=800) * 0.01 + 0.001
    result = deflated_sharpe_ratio(returns, n_trials=40, sharpe_variance=0.002)
    assert result is not None
    assert result.skewness == pytest.approx(float(stats.skew(returns)), rel=1e-10)
    assert result.kurtosis == pytest.approx(float(stats.kurtosis(returns, fisher=False)), rel=1e-10)
    assert result.sharpe == pytest.approx(returns.mean() / returns.std(ddof=1), rel=1e-12)
    expected = psr_closed_form(
        result.sharpe, expected_maximum_sharpe(40, 0.002), 800, result.skewness, result.kurtosis
    )
    assert result.probability == pytest.approx(expected, rel=1e-9)


@pytest.mark.slow  # importing vectorbt takes a few seconds
def test_deflated_sharpe_ratio_agrees_with_vectorbt() -> None:
    from vectorbt.returns.metrics import deflated_sharpe_ratio as vbt_dsr

    returns = np.random.default_rng(2).standard_t(4, size=1500) * 0.01 + 0.0008
    ours = deflated_sharpe_ratio(returns, n_trials=250, sharpe_variance=0.0007)
    assert ours is not None
    theirs = vbt_dsr(
        est_sharpe=ours.sharpe,
        var_sharpe=0.0007,
        nb_trials=250,
        backtest_horizon=1500,
        skew=ours.skewness,
        kurtosis=ours.kurtosis,
    )
    assert ours.probability == pytest.approx(float(theirs), rel=1e-9)


def test_one_trial_deflates_nothing() -> None:
    returns = np.random.default_rng(3).normal(0.001, 0.01, size=300)
    result = deflated_sharpe_ratio(returns, n_trials=1, sharpe_variance=0.01)
    assert result is not None and result.benchmark == 0.0
    psr = probabilistic_sharpe_ratio(result.sharpe, 0.0, 300, result.skewness, result.kurtosis)
    assert result.probability == psr


@pytest.mark.parametrize(
    ("returns", "n_trials", "variance"),
    [
        (np.array([0.01, -0.02]), 10, 0.01),  # fewer than 3 observations
        (np.zeros(100), 10, 0.01),  # a trial that never trades
        (np.full(100, 0.003), 10, 0.01),  # constant, non-zero
        (np.array([0.01, np.nan, 0.02, 0.0]), 10, 0.01),
        (np.array([0.01, -0.02, 0.03, 0.0]), 0, 0.01),
        (np.array([0.01, -0.02, 0.03, 0.0]), 10, float("nan")),
    ],
)
def test_undefined_deflated_sharpe_ratio_is_none(
    returns: np.ndarray, n_trials: int, variance: float
) -> None:
    assert deflated_sharpe_ratio(returns, n_trials=n_trials, sharpe_variance=variance) is None


def test_deflated_sharpe_as_dict_is_json_and_names_its_method() -> None:
    returns = np.random.default_rng(4).normal(0.002, 0.01, size=500)
    result = deflated_sharpe_ratio(returns, n_trials=np.int64(20), sharpe_variance=0.001)
    assert isinstance(result, DeflatedSharpe)
    data = json.loads(json.dumps(result.as_dict()))
    assert data["method"] == "Deflated Sharpe Ratio (Bailey & López de Prado 2014)"
    assert data["probability"] == result.probability and data["n_obs"] == 500
    assert 0.0 <= data["probability"] <= 1.0


# --- Probability of Backtest Overfitting by CSCV --------------------------------------------


def test_pbo_by_hand_with_two_blocks_and_three_strategies() -> None:
    # Block 0 = rows 0-1, block 1 = rows 2-3; combination 0 takes block 0 in sample.
    # Sharpe (mean / std, ddof 1)  block 0        block 1
    #   A  [1, 3 | -1, 1]          2/√2 = 1.41    0
    #   B  [0, 2 |  2, 4]          1/√2 = 0.71    3/√2 = 2.12
    #   C  [2, 4 |  1, 3]          3/√2 = 2.12    2/√2 = 1.41
    # IS block 0: n* = C, OOS rank 2 of 3 -> ω = 2/4, λ = 0 (counts as overfit: λ <= 0).
    # IS block 1: n* = B, OOS rank 1 of 3 -> ω = 1/4, λ = ln(1/3).
    m = np.array([[1, 0, 2], [3, 2, 4], [-1, 2, 1], [1, 4, 3]], dtype=float)
    result = probability_of_backtest_overfitting(m, n_splits=2)
    assert isinstance(result, BacktestOverfitting)
    np.testing.assert_allclose(result.logits, [0.0, math.log(1 / 3)], atol=1e-12)
    assert result.probability == 1.0
    assert (result.n_combinations, result.n_strategies, result.n_obs) == (2, 3, 4)
    assert result.probability_of_loss == 0.0  # C's and B's OOS means (2, 1) are positive
    assert result.degradation_slope is None  # both IS bests have Sharpe 3/√2: no spread


def test_pbo_ranks_a_flat_strategy_as_a_zero_sharpe_and_averages_ties() -> None:
    # A has Sharpe 1.41 in block 0 and exactly 0 in block 1; D never trades (all zeros).
    # IS block 0: n* = A; OOS A = 0 ties flat D -> rank 1.5 of 2, ω = 1/2, λ = 0.
    # IS block 1: A and D tie at 0, the first column (A) is taken; OOS rank 2 -> λ = ln 2.
    m = np.array([[1, 0], [3, 0], [-1, 0], [1, 0]], dtype=float)
    result = probability_of_backtest_overfitting(m, n_splits=2)
    assert result is not None
    np.testing.assert_allclose(result.logits, [0.0, math.log(2)], atol=1e-12)
    assert result.probability == 0.5


def test_pbo_ranks_a_constant_gain_above_and_a_constant_loss_below_every_sharpe() -> None:
    rng = np.random.default_rng(5)
    m = rng.normal(0.0, 1.0, size=(40, 4))
    m[:, 1], m[:, 2] = 1e-4, -1e-4  # risk-free gain, certain loss: no Sharpe ratio
    result = probability_of_backtest_overfitting(m, n_splits=4)
    assert result is not None
    # The constant gain is the IS best of every combination and the OOS best too.
    np.testing.assert_allclose(result.logits, math.log(4 / 5 / (1 / 5)))
    assert result.probability == 0.0 and result.degradation_slope is None


def naive_cscv_logits(m: np.ndarray, n_splits: int) -> np.ndarray:
    """The paper's algorithm written out: concatenate blocks, score, rank with ties averaged."""
    n_rows, n_cols = m.shape
    m = m[n_rows % n_splits :]
    size = len(m) // n_splits
    blocks = [m[i * size : (i + 1) * size] for i in range(n_splits)]
    logits = []
    for combo in itertools.combinations(range(n_splits), n_splits // 2):
        train = np.concatenate([blocks[i] for i in combo])
        test = np.concatenate([blocks[i] for i in range(n_splits) if i not in combo])
        r_is = train.mean(axis=0) / train.std(axis=0, ddof=1)
        r_oos = test.mean(axis=0) / test.std(axis=0, ddof=1)
        best = int(np.argmax(r_is))
        rank = (r_oos < r_oos[best]).sum() + ((r_oos == r_oos[best]).sum() + 1) / 2
        omega = rank / (n_cols + 1)
        logits.append(math.log(omega / (1 - omega)))
    return np.array(logits)


@pytest.mark.parametrize("chunk_cells", [None, 5, 12])  # one chunk; 1 or 2 halves per chunk
def test_pbo_logits_match_the_algorithm_written_out(
    chunk_cells: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if chunk_cells is not None:
        monkeypatch.setattr(statistics, "_CHUNK_CELLS", chunk_cells)
    m = np.random.default_rng(6).normal(0.01, 1.0, size=(63, 5))  # 63 = 6 * 10 + 3 dropped
    result = probability_of_backtest_overfitting(m, n_splits=6)
    assert result is not None
    assert result.n_combinations == 20 and result.n_obs == 60
    np.testing.assert_allclose(result.logits, naive_cscv_logits(m, 6), atol=1e-9)
    assert result.probability == np.mean(naive_cscv_logits(m, 6) <= 0)


def test_pbo_of_pure_noise_is_about_one_half() -> None:
    values = []
    for seed in range(5):
        noise = np.random.default_rng(seed).normal(0.0, 0.01, size=(1000, 50))
        result = probability_of_backtest_overfitting(noise)
        assert result is not None and result.n_combinations == 12_870
        assert 0.0 <= result.probability <= 1.0
        values.append(result.probability)
    assert 0.3 <= float(np.mean(values)) <= 0.7


def test_pbo_with_a_planted_edge_is_close_to_zero() -> None:
    for seed in range(3):
        m = np.random.default_rng(seed).normal(0.0, 0.01, size=(1000, 50))
        m[:, 17] += 0.002  # per-period Sharpe 0.2 against 49 skill-less strategies
        result = probability_of_backtest_overfitting(m)
        assert result is not None
        assert result.probability < 0.1
        assert result.probability_of_loss < 0.1


def test_pbo_as_dict_is_json_without_the_logits() -> None:
    m = np.random.default_rng(7).normal(0.0, 1.0, size=(200, 8))
    result = probability_of_backtest_overfitting(m, n_splits=8)
    assert result is not None
    data = json.loads(json.dumps(result.as_dict()))
    assert data["method"] == "PBO by CSCV (Bailey, Borwein, López de Prado & Zhu 2015)"
    assert data["n_combinations"] == 70 and "logits" not in data
    assert data["probability"] == result.probability
    assert data["logit_median"] == pytest.approx(float(np.median(result.logits)))


@pytest.mark.parametrize(
    ("shape", "n_splits"),
    [((100, 1), 4), ((7, 5), 8), ((3, 5), 2)],  # one strategy; T < S; halves of one row
)
def test_undefined_pbo_is_none(shape: tuple[int, int], n_splits: int) -> None:
    m = np.random.default_rng(8).normal(size=shape)
    assert probability_of_backtest_overfitting(m, n_splits=n_splits) is None


def test_pbo_takes_a_numpy_integer_number_of_splits() -> None:
    m = np.random.default_rng(10).normal(size=(40, 3))
    result = probability_of_backtest_overfitting(m, n_splits=np.int64(4))
    assert result is not None and result.n_splits == 4 and result.n_combinations == 6
    assert json.loads(json.dumps(result.as_dict()))["n_splits"] == 4


def test_pbo_of_constant_strategies_is_none() -> None:
    m = np.tile(np.array([0.0, 0.001, -0.002]), (64, 1))
    assert probability_of_backtest_overfitting(m, n_splits=4) is None


@pytest.mark.parametrize("n_splits", [0, 3, -2, 2.0, True])
def test_pbo_refuses_a_bad_number_of_splits(n_splits: int) -> None:
    with pytest.raises(ValueError, match="n_splits"):
        probability_of_backtest_overfitting(np.zeros((32, 3)), n_splits=n_splits)


def test_pbo_refuses_non_finite_or_non_matrix_returns() -> None:
    m = np.random.default_rng(9).normal(size=(32, 3))
    m[5, 2] = np.nan
    with pytest.raises(ValueError, match=r"columns \[2\]"):
        probability_of_backtest_overfitting(m, n_splits=4)
    with pytest.raises(ValueError, match="T x N"):
        probability_of_backtest_overfitting(np.zeros(32), n_splits=4)
