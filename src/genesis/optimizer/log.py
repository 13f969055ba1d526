"""The seed's log lines (people grep for them) and the ``genesis`` logger.

Lines, as in ``CACHE_REUSE_FIX_20251120.md``::

    [Runner] Trial trial_0001 done in 0.002s (score=150.45, trades=176, ...)
    [CACHE] Trial 0 reusing cached score 150.45 (from_cache=True in payload)
    [CACHE] Trial 7 reusing memory-cached score 150.45
    [CACHE STATS] 5/5 trials cached (100.0% hit rate), 5 unique backtests
    [CACHE] Very high cache hit rate (>80%) - consider broadening search space
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from genesis.artifacts import RunCacheStats

logger = logging.getLogger("genesis")


def fmt_score(values: Sequence[float]) -> str:
    """``150.45`` for one objective, ``150.45/-3.10`` for several."""
    return "/".join(f"{v:.2f}" for v in values)


def log_computed(
    number: int, elapsed_s: float, values: Sequence[float], metrics: Mapping[str, Any]
) -> None:
    """``[Runner] Trial trial_NNNN done in …s (score=…, trades=…, …)``."""
    if not logger.isEnabledFor(logging.INFO):
        return
    ret = metrics.get("total_return_pct")
    dd = metrics.get("max_drawdown_pct")
    extra = ""
    if ret is not None and dd is not None:
        extra = f", return={ret:.2f}%, max_dd={dd:.2f}%"
    logger.info(
        "[Runner] Trial trial_%04d done in %.3fs (score=%s, trades=%s%s)",
        number, elapsed_s, fmt_score(values), metrics.get("n_trades"), extra,
    )  # fmt: skip


def log_cache_hit(number: int, values: Sequence[float]) -> None:
    """``[CACHE] Trial N reusing cached score …``: the score came from the result cache."""
    logger.info(
        "[CACHE] Trial %d reusing cached score %s (from_cache=True in payload)",
        number, fmt_score(values),
    )  # fmt: skip


def log_memory_hit(number: int, values: Sequence[float]) -> None:
    """``[CACHE] Trial N reusing memory-cached score …``: seen earlier in this run."""
    logger.info("[CACHE] Trial %d reusing memory-cached score %s", number, fmt_score(values))


def log_cache_stats(stats: RunCacheStats) -> None:
    """The ``[CACHE STATS]`` line, and the warning above 80 % hits with more than 10 trials."""
    repeats = ""
    if stats.repeated_proposals:
        repeats = (
            f"; {stats.repeated_proposals} repeated proposals (scores known) replaced by new points"
        )
    logger.info(
        "[CACHE STATS] %d/%d trials cached (%.1f%% hit rate), %d unique backtests%s",
        stats.cached_trials, stats.total_trials, 100 * stats.hit_rate, stats.unique_backtests,
        repeats,
    )  # fmt: skip
    if stats.hit_rate > 0.8 and stats.total_trials > 10:
        logger.warning("[CACHE] Very high cache hit rate (>80%) - consider broadening search space")
