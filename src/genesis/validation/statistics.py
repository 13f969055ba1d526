"""Overfitting statistics of an optimization run: PSR, DSR and PBO by CSCV.

Pure functions of per-period returns (numpy and the standard library only):

* :func:`probabilistic_sharpe_ratio` — Bailey & López de Prado (2012), "The Sharpe Ratio
  Efficient Frontier", Journal of Risk 15(2), 3–44.
* :func:`expected_maximum_sharpe` and :func:`deflated_sharpe_ratio` — Bailey & López de
  Prado (2014), "The Deflated Sharpe Ratio: Correcting for Selection Bias, Backtest
  Overfitting and Non-Normality", Journal of Portfolio Management 40(5), 94–107.
* :func:`probability_of_backtest_overfitting` — Bailey, Borwein, López de Prado & Zhu,
  "The Probability of Backtest Overfitting", Journal of Computational Finance 20(4), 39–69
  (2017; working paper 2015, SSRN 2326253).

Conventions: Sharpe ratios are per period (mean / sample standard deviation, ddof 1, of the
simple returns, no risk-free rate), never annualized; kurtosis is the ordinary one (3 for a
normal). Undefined statistics are ``None``, never a sentinel number.
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

_NORMAL = NormalDist()
_EULER_GAMMA = float(np.euler_gamma)
# Returns whose standard deviation is below this fraction of their mean are constant (a
# per-period Sharpe ratio above 1e6 is no real series): sums of squares leave ~1e-8 relative
# rounding in the deviation of a constant series where the true one is zero.
_CONSTANT_RTOL = 1e-6
_DSR_METHOD = "Deflated Sharpe Ratio (Bailey & López de Prado 2014)"
_PBO_METHOD = "PBO by CSCV (Bailey, Borwein, López de Prado & Zhu 2015)"
_CHUNK_CELLS = 1 << 19  # halves x strategies scored at once: 4 MB per array


def probabilistic_sharpe_ratio(
    sharpe: float, benchmark: float, n_obs: int, skewness: float, kurtosis: float
) -> float:
    """Probability that the true Sharpe ratio exceeds ``benchmark`` (the PSR).

    Bailey & López de Prado (2012), "The Sharpe Ratio Efficient Frontier", Journal of
    Risk 15(2), eq. for PSR::

        PSR = Φ[(SR - SR*) · sqrt(n - 1) / sqrt(1 - γ3·SR + (γ4 - 1)/4 · SR²)]

    Args:
        sharpe: Observed per-period Sharpe ratio SR.
        benchmark: Per-period benchmark SR*.
        n_obs: Number of returns n (at least 2).
        skewness: Skewness γ3 of the returns.
        kurtosis: Ordinary (non-excess) kurtosis γ4 of the returns, 3 for a normal.

    Raises:
        ValueError: ``n_obs < 2`` or moments that leave the variance term non-positive
            (impossible for real data: kurtosis >= 1 + skewness² keeps it >= 0).
    """
    if n_obs < 2:
        raise ValueError(f"the PSR needs at least 2 observations, got n_obs={n_obs}")
    variance_term = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if not variance_term > 0.0:
        raise ValueError(
            f"skewness={skewness}, kurtosis={kurtosis} with sharpe={sharpe} leave the "
            "variance of the Sharpe estimator non-positive"
        )
    z = (sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(variance_term)
    return _NORMAL.cdf(z)


def expected_maximum_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """Expected maximum Sharpe ratio of ``n_trials`` skill-less trials, SR0 of the DSR.

    The False Strategy theorem of Bailey & López de Prado (2014), "The Deflated Sharpe
    Ratio", Journal of Portfolio Management 40(5)::

        SR0 = sqrt(V) · ((1 - γ) Φ⁻¹[1 - 1/N] + γ Φ⁻¹[1 - 1/(N e)])

    with γ the Euler–Mascheroni constant and V the variance of the trials' Sharpe ratios
    (same period as the result). One trial has no selection: SR0 = 0.

    Raises:
        ValueError: ``n_trials < 1`` or a negative or non-finite ``sharpe_variance``.
    """
    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    if not (math.isfinite(sharpe_variance) and sharpe_variance >= 0.0):
        raise ValueError(f"sharpe_variance must be finite and >= 0, got {sharpe_variance}")
    if n_trials == 1:
        return 0.0
    z_max = (1.0 - _EULER_GAMMA) * _NORMAL.inv_cdf(1.0 - 1.0 / n_trials)
    z_max += _EULER_GAMMA * _NORMAL.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(sharpe_variance) * z_max


@dataclass(frozen=True)
class DeflatedSharpe:
    """The Deflated Sharpe Ratio of a selected trial and what went into it (per period)."""

    probability: float
    sharpe: float
    benchmark: float
    n_trials: int
    sharpe_variance: float
    n_obs: int
    skewness: float
    kurtosis: float

    def significant(self, level: float = 0.95) -> bool:
        """Whether the true Sharpe ratio beats SR0 with at least ``level`` confidence."""
        return self.probability >= level

    def as_dict(self) -> dict[str, float | int | str]:
        """JSON-ready fields, with the method that produced them."""
        return {
            "method": _DSR_METHOD,
            "probability": self.probability,
            "sharpe": self.sharpe,
            "benchmark": self.benchmark,
            "n_trials": self.n_trials,
            "sharpe_variance": self.sharpe_variance,
            "n_obs": self.n_obs,
            "skewness": self.skewness,
            "kurtosis": self.kurtosis,
        }


def deflated_sharpe_ratio(
    returns: npt.ArrayLike, *, n_trials: int, sharpe_variance: float
) -> DeflatedSharpe | None:
    """Deflated Sharpe Ratio of the best trial's returns: DSR = PSR(SR0).

    Bailey & López de Prado (2014), "The Deflated Sharpe Ratio: Correcting for Selection
    Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5)::

        DSR = Φ[(SR - SR0) · sqrt(T - 1) / sqrt(1 - γ3·SR + (γ4 - 1)/4 · SR²)]

    SR, γ3 and γ4 are the sample Sharpe ratio (ddof 1), skewness m3/m2^1.5 and kurtosis
    m4/m2² (central moments, ddof 0) of ``returns``; T is their length; SR0 is
    :func:`expected_maximum_sharpe` of ``n_trials`` and ``sharpe_variance``.

    Args:
        returns: The selected trial's per-period simple returns (1-D).
        n_trials: Number of distinct trials the best was chosen from.
        sharpe_variance: Variance of those trials' per-period Sharpe ratios.

    Returns:
        ``None`` when undefined: fewer than 3 returns, constant or non-finite returns,
        ``n_trials < 1``, a negative or non-finite variance.
    """
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 1:
        raise ValueError(f"returns must be 1-D, got shape {r.shape}")
    variance_ok = sharpe_variance >= 0.0 and math.isfinite(sharpe_variance)
    if r.size < 3 or n_trials < 1 or not variance_ok:
        return None
    mean = float(r.mean())
    std = float(r.std(ddof=1))
    if not (math.isfinite(mean) and math.isfinite(std)) or std <= _CONSTANT_RTOL * abs(mean):
        return None
    deviations = r - mean
    m2 = float(np.mean(deviations**2))
    skewness = float(np.mean(deviations**3)) / m2**1.5
    kurtosis = float(np.mean(deviations**4)) / m2**2
    sharpe = mean / std
    if not 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2 > 0.0:
        return None  # a two-point series on Pearson's bound: the estimator has no spread
    n_trials, sharpe_variance = int(n_trials), float(sharpe_variance)  # JSON-ready types
    benchmark = expected_maximum_sharpe(n_trials, sharpe_variance)
    probability = probabilistic_sharpe_ratio(sharpe, benchmark, int(r.size), skewness, kurtosis)
    return DeflatedSharpe(
        probability, sharpe, benchmark, n_trials, sharpe_variance, int(r.size), skewness, kurtosis
    )


@dataclass(frozen=True)
class BacktestOverfitting:
    """PBO by CSCV, with the paper's companion figures.

    ``logits`` holds λ per combination, in the lexicographic order of the in-sample block
    sets (``itertools.combinations(range(n_splits), n_splits // 2)``).
    ``degradation_slope`` is the OLS slope of the selected trial's out-of-sample Sharpe on
    its in-sample Sharpe over the combinations (None with fewer than two finite pairs or no
    spread in sample); ``probability_of_loss`` the share of combinations whose selected
    trial loses money out of sample (mean return < 0).
    """

    probability: float
    n_splits: int
    n_combinations: int
    n_strategies: int
    logits: npt.NDArray[np.float64] = field(repr=False)
    n_obs: int
    degradation_slope: float | None
    probability_of_loss: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the logits summarized, not listed)."""
        return {
            "method": _PBO_METHOD,
            "probability": self.probability,
            "n_splits": self.n_splits,
            "n_combinations": self.n_combinations,
            "n_strategies": self.n_strategies,
            "n_obs": self.n_obs,
            "logit_mean": float(np.mean(self.logits)),
            "logit_median": float(np.median(self.logits)),
            "degradation_slope": self.degradation_slope,
            "probability_of_loss": self.probability_of_loss,
        }


def probability_of_backtest_overfitting(
    returns: npt.ArrayLike, *, n_splits: int = 16
) -> BacktestOverfitting | None:
    """PBO by combinatorially symmetric cross-validation (CSCV).

    Bailey, Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting",
    Journal of Computational Finance 20(4), 2017. The T x N matrix (rows = periods, columns
    = trials) is cut into S contiguous blocks of T // S rows (the oldest T mod S rows are
    dropped so the blocks are equal). For each of the C(S, S/2) sets c of S/2 blocks taken
    in sample, the rest out of sample, with performance = Sharpe ratio (mean / std, ddof 1)::

        n* = argmax_n R_c(n)           (in-sample best; ties: the lowest column index)
        ω_c = rank(R̄_c(n*)) / (N + 1)  (out-of-sample rank, 1 = worst, N = best, ties averaged)
        λ_c = ln(ω_c / (1 - ω_c))
        PBO = #{c : λ_c <= 0} / C(S, S/2)

    A column with zero variance in a half has no Sharpe ratio; it is ranked by the sign of
    its mean: above every column that has one when its mean is positive, below all when
    negative, and with a Sharpe of 0 (between losers and winners) when zero.

    Args:
        returns: T x N per-period returns, finite.
        n_splits: S, even and >= 2.

    Returns:
        ``None`` when undefined: fewer than 2 columns, T < S, halves of fewer than 2 rows,
        or no column that varies.

    Raises:
        ValueError: S odd or < 2, ``returns`` not 2-D or not finite.
    """
    m = _checked_matrix(returns, n_splits)
    n_splits = int(n_splits)  # a numpy integer would not serialize in as_dict
    n_rows, n_cols = m.shape
    block_len = n_rows // n_splits
    half_len = block_len * n_splits // 2
    if n_cols < 2 or half_len < 2 or not (m.max(axis=0) > m.min(axis=0)).any():
        return None
    blocks = m[n_rows - block_len * n_splits :].reshape(n_splits, block_len, n_cols)
    ranks, is_best, oos_best, oos_mean = _cscv(blocks, half_len)
    omega = ranks / (n_cols + 1)
    logits = np.log(omega / (1.0 - omega))
    return BacktestOverfitting(
        probability=float(np.mean(logits <= 0.0)),
        n_splits=n_splits,
        n_combinations=len(logits),
        n_strategies=n_cols,
        logits=logits,
        n_obs=block_len * n_splits,
        degradation_slope=_slope(is_best, oos_best),
        probability_of_loss=float(np.mean(oos_mean < 0.0)),
    )


def _checked_matrix(returns: npt.ArrayLike, n_splits: int) -> npt.NDArray[np.float64]:
    """``returns`` as a finite float matrix, or a ValueError naming what is wrong."""
    if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral):
        raise ValueError(f"n_splits must be an even integer >= 2, got {n_splits!r}")
    if n_splits < 2 or n_splits % 2:
        raise ValueError(f"n_splits must be an even integer >= 2, got {n_splits}")
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"returns must be a T x N matrix, got shape {m.shape}")
    if not np.isfinite(m).all():
        bad = np.flatnonzero(~np.isfinite(m).all(axis=0))
        raise ValueError(f"returns must be finite; columns {bad[:10].tolist()} are not")
    return m


def _cscv(blocks: npt.NDArray[np.float64], half_len: int) -> list[npt.NDArray[np.float64]]:
    """Per combination (lexicographic): OOS rank, IS and OOS Sharpe, OOS mean of the IS best."""
    n_splits, _, n_cols = blocks.shape
    # Raw (uncentered) sums keep an all-zero half exactly zero, so a trial that does not
    # trade in a half gets exactly the "flat" rank; their rounding is ~1e-16 * (1 + SR²).
    block_sum, block_sq = blocks.sum(axis=1), (blocks**2).sum(axis=1)
    combos = list(itertools.combinations(range(n_splits), n_splits // 2))
    # In lexicographic order the complement of combination i is combination len - 1 - i:
    # score both halves of the first len / 2 once and read each pair both ways.
    masks = np.zeros((len(combos) // 2, n_splits))
    for i, combo in enumerate(combos[: len(combos) // 2]):
        masks[i, list(combo)] = 1.0
    chunk = max(1, _CHUNK_CELLS // n_cols)
    first, second = [], []
    for i in range(0, len(masks), chunk):
        a = _half_scores(masks[i : i + chunk], block_sum, block_sq, half_len)
        b = _half_scores(1.0 - masks[i : i + chunk], block_sum, block_sq, half_len)
        first.append(_select(a, b))
        second.append(_select(b, a))
    return [
        np.concatenate([*(p[k] for p in first), *(p[k][::-1] for p in reversed(second))])
        for k in range(4)
    ]


_Half = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _half_scores(
    masks: npt.NDArray[np.float64],
    block_sum: npt.NDArray[np.float64],
    block_sq: npt.NDArray[np.float64],
    n: int,
) -> _Half:
    """(Sharpe ratio, mean) per (half, column); constant halves score ±inf, or 0 if flat."""
    sums, sqs = masks @ block_sum, masks @ block_sq
    mean = sums / n
    std = np.sqrt(np.maximum(sqs - sums * mean, 0.0) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        score = mean / std
    constant = std <= _CONSTANT_RTOL * np.abs(mean)
    if constant.any():  # rare: only trials flat over a whole half pay for this
        score[constant] = np.copysign(np.inf, mean[constant])
        score[constant & (mean == 0.0)] = 0.0
    return score, mean


def _select(in_sample: _Half, out_of_sample: _Half) -> tuple[npt.NDArray[np.float64], ...]:
    """OOS rank (1 = worst, ties averaged), IS and OOS Sharpe and OOS mean of the IS best."""
    is_score, oos_score, oos_mean = in_sample[0], out_of_sample[0], out_of_sample[1]
    rows = np.arange(len(is_score))
    best = np.argmax(is_score, axis=1)  # the first of tied maxima: the lowest column index
    chosen = oos_score[rows, best][:, None]
    ranks = (oos_score < chosen).sum(axis=1) + ((oos_score == chosen).sum(axis=1) + 1) / 2
    return ranks, is_score[rows, best], chosen[:, 0], oos_mean[rows, best]


def _slope(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float | None:
    """OLS slope of y on x over the finite pairs; None with no spread in x."""
    finite = np.isfinite(x) & np.isfinite(y)
    if finite.sum() < 2:
        return None
    dx = x[finite] - x[finite].mean()
    sxx = float(dx @ dx)
    if sxx <= 0.0:
        return None
    return float(dx @ (y[finite] - y[finite].mean())) / sxx
