"""The seed's log lines (people grep for them) and the ``genesis`` logger.

Lines, as in ``CACHE_REUSE_FIX_20251120.md``::

    [Runner] Trial trial_0001 done in 0.002s (score=150.45, trades=176, ...)
    [CACHE] Trial 0 reusing cached score 150.45 (from_cache=True in payload)
    [CACHE] Trial 7 reusing memory-cached score 150.45
    [CACHE STATS] 5/5 trials cached (100.0% hit rate), 5 unique backtests
    [CACHE] Very high cache hit rate (>80%) - consider broadening search space

The per-trial lines carry ``extra={PER_TRIAL: True}`` and start-up stages
``extra={STAGE: text}``, so that a live display can keep the first ones for ``-v`` and
show the second ones as a status line, while plain logging still prints every line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from genesis.artifacts import RunCacheStats

logger = logging.getLogger("genesis")

PER_TRIAL = "genesis_per_trial"
"""Record attribute: a line about one trial (a display shows these with ``-v`` only)."""
STAGE = "genesis_stage"
"""Record attribute: what the run is doing before its first trial (loading, compiling)."""
STUDY = "genesis_study"
"""Record attribute: the study (run directory) name, once the run directory is open."""
HIGH_HIT_RATE = 0.8
_PER_TRIAL = {PER_TRIAL: True}


def log_stage(text: str, *, study: str | None = None) -> None:
    """``[Runner] loading candles …``: start-up work, shown while the screen would be blank."""
    extra: dict[str, Any] = {STAGE: text}
    if study is not None:
        extra[STUDY] = study
    logger.info("[Runner] %s", text, extra=extra)


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
        number, elapsed_s, fmt_score(values), metrics.get("n_trades"), extra, extra=_PER_TRIAL,
    )  # fmt: skip


def log_cache_hit(number: int, values: Sequence[float]) -> None:
    """``[CACHE] Trial N reusing cached score …``: the score came from the result cache."""
    logger.info(
        "[CACHE] Trial %d reusing cached score %s (from_cache=True in payload)",
        number, fmt_score(values), extra=_PER_TRIAL,
    )  # fmt: skip


def log_memory_hit(number: int, values: Sequence[float]) -> None:
    """``[CACHE] Trial N reusing memory-cached score …``: seen earlier in this run."""
    logger.info(
        "[CACHE] Trial %d reusing memory-cached score %s", number, fmt_score(values),
        extra=_PER_TRIAL,
    )  # fmt: skip


def log_cache_stats(stats: RunCacheStats) -> None:
    """The ``[CACHE STATS]`` line, and a word on a hit rate above 80 % (more than 10 trials).

    The seed's warning ("consider broadening search space") is for repeats within the run:
    the sampler keeps proposing what it already tried. Hits on results an earlier run
    stored (a re-run on a warm cache) say nothing about the search space, so they get a
    line of their own instead. Repeated proposals replaced by new points (not trials) are
    counted at the end of the line.
    """
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
    if stats.total_trials <= 10 or stats.hit_rate <= HIGH_HIT_RATE:
        return
    if stats.within_run_repeats > HIGH_HIT_RATE * stats.total_trials:
        logger.warning("[CACHE] Very high cache hit rate (>80%) - consider broadening search space")
    elif stats.earlier_run_hits:
        logger.info(
            "[CACHE] %d of %d trials reused results stored by earlier runs and %d repeated "
            "this run's own backtests: a warm cache, not a sign of a narrow search space",
            stats.earlier_run_hits, stats.total_trials, stats.within_run_repeats,
        )  # fmt: skip
