"""Results that were lost after their trial completed: found missing at export, recomputed.

A COMPLETE trial's result payload lives in the result cache and in its
``trials/trial_NNNN.json``. A process killed just after a trial finished can lose both
(the cache is written behind the trial loop, trial files at export), while the study
already holds the trial's score and constraints. Export never shows such a trial with
empty metrics: its backtest runs again here (the same spec gives the same key and, the
backtest being deterministic, the same result), so ``trials.csv``, ``best_trial.json``
and the trial file are complete again, and the cache holds the result for later runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from optuna.trial import FrozenTrial, TrialState

from genesis.cache import Payload
from genesis.optimizer.objective import Objective, TrialFailed
from genesis.optimizer.problem import Problem
from genesis.storage import log


def recompute_missing(
    trials: list[FrozenTrial],
    payloads: Mapping[str, Payload],
    problem: Problem,
    objective: Objective,
) -> dict[str, Payload]:
    """The payloads of the COMPLETE trials' keys missing from ``payloads``, recomputed.

    Each lost key is run once, as the trial that first computed it (so that its payload
    names that trial's file). A key that cannot be recomputed is logged and left missing.
    """
    lost: dict[str, FrozenTrial] = {}
    for trial in trials:
        key = trial.user_attrs.get("key")
        if trial.state != TrialState.COMPLETE or not key or key in payloads:
            continue
        first = lost.get(key)
        if first is None or (
            trial.user_attrs.get("cache_source") == "computed"
            and first.user_attrs.get("cache_source") != "computed"
        ):
            lost[str(key)] = trial
    found: dict[str, Payload] = {}
    for key, trial in lost.items():
        params = {**problem.space.fixed, **trial.params}
        try:
            found[key] = objective.recompute(trial.number, params, key)
        except TrialFailed as error:
            log.logger.warning(
                "[Runner] trial %d's lost result not recomputed: %s", trial.number, error
            )
            continue
        log.logger.warning(
            "[Runner] trial %d's result was lost (no cache entry, no trial file): recomputed",
            trial.number,
        )
    return found
