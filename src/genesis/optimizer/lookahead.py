"""The look-ahead gate before a search or a backtest: check the strategy, refuse a leak.

:func:`guard` runs :func:`genesis.strategy.lookahead.check_lookahead` on the run's data
for the strategy's defaults (with the config's fixed params) and :data:`N_SAMPLED` params
drawn from the search space, logs what it found and what it cost, and

* refuses a strategy that looks ahead (a ``StrategyError``, exit 2) unless the config says
  ``strategy.allow_lookahead: true`` (``--allow-lookahead``);
* otherwise returns the problem with the check's findings, which reach the ``validation``
  object of ``best_trial.json`` (the verdict reads them: a leak is never a candidate).

:func:`recheck` checks the params a search chose (its best, its champion) after it: a
leak in a part of the space the first check did not draw is found there, and recorded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from genesis.config import CategoricalParam, FloatParam, IntParam
from genesis.errors import StrategyError
from genesis.optimizer.problem import Problem
from genesis.storage import log
from genesis.strategy import ParamValue, resolve_params
from genesis.strategy.lookahead import check_lookahead

NOT_CHECKED: Mapping[str, Any] = {
    "found": False,
    "checked": False,
    "detail": "not checked: the look-ahead check runs on genesis strategies only",
}
"""The finding of a strategy the check cannot run (the verdict is then at best weak)."""

N_SAMPLED = 1
"""Params sets drawn from the search space, besides the defaults."""
_SEED = 20_240_101


def guard(problem: Problem, *, allowed: bool, given: Mapping[str, Any] | None = None) -> Problem:
    """``problem`` with the look-ahead check's findings (see the module docstring).

    Args:
        problem: The run's problem (all its bars).
        allowed: Whether a strategy that looks ahead may run anyway.
        given: Check these params alone (``genesis backtest``) instead of the defaults
            and samples of the search space.

    Raises:
        StrategyError: the strategy looks ahead and ``allowed`` is false.
    """
    if type(problem).builder != Problem.builder:  # an adapter's strategy (e.g. Freqtrade's)
        return _adapter_guard(problem, allowed, given)
    sets = params_sets(problem) if given is None else _checked(problem, [given])
    report = check_lookahead(problem.strategy, problem.candles, sets, features=problem.features)
    found = report.as_dict(problem.candles)
    log.logger.info(
        "[Look-ahead] %s: %d params sets at %d cuts in %.3f s",
        "LEAK" if report.found else "no look-ahead", report.n_params, len(report.cuts),
        report.elapsed_s,
    )  # fmt: skip
    if report.warmup_short:
        log.logger.warning(
            "[Look-ahead] results change with the start of the data: %s's outputs depend on "
            "the first bar for %d bars, its first signal comes after %d",
            problem.strategy.name, report.warmup_needed, report.warmup_given,
        )  # fmt: skip
    return _refused_or_kept(problem, found, allowed)


def _refused_or_kept(problem: Problem, found: Mapping[str, Any], allowed: bool) -> Problem:
    if found["found"] and not allowed:
        raise StrategyError(
            f"strategy {problem.strategy.name!r} looks ahead: {found['detail']}",
            hint="a signal must use only bars up to its own; fix the strategy, or add "
            "--allow-lookahead (strategy.allow_lookahead: true) to run it anyway (its "
            "verdict is then never candidate)",
        )
    if found["found"]:
        log.logger.warning(
            "[Look-ahead] allowed, but the strategy looks ahead: %s", found["detail"]
        )
    return dataclasses.replace(problem, lookahead=found)


def _adapter_guard(problem: Problem, allowed: bool, given: Mapping[str, Any] | None) -> Problem:
    """An adapter's own check (a ``check_lookahead(chosen)`` method), or :data:`NOT_CHECKED`."""
    check = getattr(problem, "check_lookahead", None)
    if check is None:
        log.logger.warning("[Look-ahead] not checked: this strategy's adapter has no check")
        return dataclasses.replace(problem, lookahead=NOT_CHECKED)
    found = check(None if given is None else [given])
    log.logger.info(
        "[Look-ahead] %s: %d params sets at %d cuts in %.3f s",
        "LEAK" if found["found"] else "no look-ahead", found["params_checked"], found["cuts"],
        found["elapsed_s"],
    )  # fmt: skip
    return _refused_or_kept(problem, found, allowed)


def recheck(problem: Problem, chosen: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The check on the params a search chose (its best, its champion): a leak, or None.

    The check before the search tries the defaults and one draw only; a leak in another
    part of the space (one choice of a categorical, say) shows once the search finds it,
    and a leak scores well, so the search does. Not refused then (the run is written):
    recorded, so the verdict is never candidate.
    """
    if type(problem).builder != Problem.builder:  # an adapter's strategy: its own check
        check = getattr(problem, "check_lookahead", None)
        found = check(chosen) if check is not None else None
        if found is not None and found["found"]:
            log.logger.warning("[Look-ahead] the search's choice looks ahead: %s", found["detail"])
            return dict(found)
        return None
    sets = _checked(problem, [{**problem.space.fixed, **p} for p in chosen])
    report = check_lookahead(problem.strategy, problem.candles, sets, features=problem.features)
    if not report.found:
        return None
    found = report.as_dict(problem.candles)
    log.logger.warning("[Look-ahead] the search's choice looks ahead: %s", found["detail"])
    return found


def params_sets(problem: Problem) -> list[dict[str, ParamValue]]:
    """The defaults (with the fixed params) and :data:`N_SAMPLED` draws of the search space."""
    base = dict(problem.space.fixed)
    rng = np.random.default_rng(_SEED)
    drawn = [
        {**base, **{n: _draw(d, rng) for n, d in problem.space.dimensions.items()}}
        for _ in range(N_SAMPLED)
    ]
    return _checked(problem, [base, *drawn])


def _checked(problem: Problem, sets: Sequence[Mapping[str, Any]]) -> list[dict[str, ParamValue]]:
    checked = []
    for params in sets:
        try:
            checked.append(resolve_params(problem.strategy, params))
        except StrategyError:
            continue  # a draw the strategy refuses (fast >= slow, say) is not checked
    return checked


def _draw(dim: Any, rng: np.random.Generator) -> Any:
    if isinstance(dim, IntParam):
        return int(rng.choice(np.arange(dim.low, dim.high + 1, dim.step)))
    if isinstance(dim, FloatParam):
        value = float(rng.uniform(dim.low, dim.high))
        if dim.step:
            value = dim.low + round((value - dim.low) / dim.step) * dim.step
        return float(f"{min(value, dim.high):.12g}")
    if isinstance(dim, CategoricalParam):
        return dim.choices[int(rng.integers(len(dim.choices)))]
    return None
