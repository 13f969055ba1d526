"""The report's curve thinning and drawdown, and the hit-rate note of the cache section."""

from __future__ import annotations

import numpy as np

from genesis.report._backtest import thin, underwater_pct
from genesis.report._sections import cache_section


def test_thin_keeps_the_ends_and_every_buckets_extremes_in_order() -> None:
    rng = np.random.default_rng(3)
    curve = 10_000 * np.cumprod(1 + rng.normal(0, 0.01, 50_000))
    keep = thin(curve, 1_000)
    assert len(keep) <= 1_002 and keep[0] == 0 and keep[-1] == len(curve) - 1
    assert np.all(np.diff(keep) > 0)
    assert curve[keep].min() == curve.min() and curve[keep].max() == curve.max()
    under = underwater_pct(curve, 1e4)  # the chart thins the drawdown series itself
    assert under[thin(under, 1_000)].min() == under.min()
    assert list(thin(curve[:10])) == list(range(10))


def test_underwater_is_minus_the_percent_below_the_running_peak_capital_included() -> None:
    curve = np.array([90.0, 120.0, 90.0, 130.0])
    assert np.allclose(underwater_pct(curve, 100.0), [-10.0, 0.0, -25.0, 0.0])


def test_the_seeds_warning_is_for_repeats_and_a_warm_cache_gets_a_note() -> None:
    from genesis.report._load import RunData

    def page(stats: dict[str, object]) -> str:
        return cache_section(RunData(None, {}, (), (), (), None, stats, ()))  # type: ignore[arg-type]

    repeats = {"total_trials": 20, "cache_hit_rate": 0.9, "within_run_repeats": 18,
               "earlier_run_hits": 0}  # fmt: skip
    warm = {"total_trials": 20, "cache_hit_rate": 1.0, "within_run_repeats": 2,
            "earlier_run_hits": 18}  # fmt: skip
    old = {"total_trials": 20, "cache_hit_rate": 0.9}
    assert "consider broadening search space" in page(repeats)
    assert "consider broadening" not in page(warm) and "18 of 20 trials reused" in page(warm)
    assert "consider broadening search space" in page(old)  # files written before the split
