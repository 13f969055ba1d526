"""The high hit-rate warning: repeats within a run, told apart from an earlier run's hits."""

from __future__ import annotations

import logging

import pytest

from genesis.artifacts import CacheSource, TrialRecord, cache_stats
from genesis.storage.log import log_cache_stats

SEED_WARNING = "[CACHE] Very high cache hit rate (>80%) - consider broadening search space"


def records(sources: list[tuple[str, str]]) -> list[TrialRecord]:
    """One COMPLETE trial per (key, source)."""
    return [
        TrialRecord(i, "COMPLETE", {}, (1.0,), cache_source=CacheSource(src), key=key)
        for i, (key, src) in enumerate(sources)
    ]


def lines(caplog: pytest.LogCaptureFixture, sources: list[tuple[str, str]]) -> list[str]:
    caplog.clear()
    log_cache_stats(cache_stats(records(sources)))
    return [r.getMessage() for r in caplog.records]


def test_repeats_within_the_run_keep_the_seeds_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="genesis")
    sources = [("a", "computed"), ("b", "computed")] + [("a", "memory")] * 18
    stats = cache_stats(records(sources))
    assert (stats.within_run_repeats, stats.earlier_run_hits) == (18, 0)
    assert SEED_WARNING in lines(caplog, sources)


def test_hits_on_an_earlier_runs_results_are_not_a_narrow_space(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="genesis")
    # A re-run on a warm cache: 18 distinct keys from the cache, then 2 repeats of them.
    sources = [(f"k{i}", "cache") for i in range(18)] + [("k0", "memory"), ("k1", "memory")]
    stats = cache_stats(records(sources))
    assert (stats.earlier_run_hits, stats.within_run_repeats, stats.hit_rate) == (18, 2, 1.0)
    text = lines(caplog, sources)
    assert SEED_WARNING not in text
    assert any("18 of 20 trials reused results stored by earlier runs" in t for t in text)


def test_a_cache_hit_on_a_key_this_run_computed_is_a_repeat() -> None:
    # Another worker of this run computed "a"; this worker read it from the cache.
    stats = cache_stats(records([("a", "cache"), ("a", "computed")]))
    assert (stats.earlier_run_hits, stats.within_run_repeats) == (0, 1)
