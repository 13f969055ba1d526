"""Helpers shared by the benchmarks in ``bench/`` (not a benchmark itself).

Loading a bundled config without the ``GENESIS_*`` environment, silencing loggers,
a plain-Optuna objective over genesis's own backtest function, and Markdown tables.
"""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import optuna

from genesis.config import GenesisConfig, load_config
from genesis.errors import BacktestError, StrategyError
from genesis.evaluate import evaluate, make_spec
from genesis.optimizer import Problem

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config" / "optimizer"


def quiet() -> None:
    """Silence genesis's and Optuna's loggers (call again after a genesis run, which
    sets Optuna's verbosity to WARNING)."""
    logging.getLogger("genesis").setLevel(logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.ERROR)


def load(name: str, overrides: Mapping[str, Any]) -> GenesisConfig:
    """The bundled config ``name`` with ``overrides``; ``GENESIS_*`` variables are ignored."""
    return load_config(CONFIG_DIR / name, env={}, overrides=dict(overrides))


def plain_objective(problem: Problem) -> Callable[[optuna.Trial], float]:
    """A plain Optuna objective running genesis's backtest function, with no cache at all.

    It suggests the params exactly as genesis does (same names and distributions), runs
    ``evaluate(make_spec(...))`` and reports the constraints like genesis, so that with
    the same sampler and seed the two see identical trials.
    """

    def objective(trial: optuna.Trial) -> float:
        params = problem.space.suggest(trial)
        spec = make_spec(
            problem.strategy, params, problem.data_fingerprint, problem.settings,
            problem.score_spec, window=problem.window,
        )  # fmt: skip
        try:
            ev = evaluate(spec, problem.strategy, problem.features)
        except (StrategyError, BacktestError):
            return math.nan  # Optuna marks the trial FAIL, as genesis does
        for name, value in ev.score.constraints.items():
            trial.set_constraint(name, float(value))
        return float(ev.score.values[0])

    return objective


def warm_numba(problem: Problem) -> None:
    """One backtest at the strategy's defaults, so that numba's compile time never counts."""
    spec = make_spec(
        problem.strategy, dict(problem.space.fixed), problem.data_fingerprint,
        problem.settings, problem.score_spec, window=problem.window,
    )  # fmt: skip
    evaluate(spec, problem.strategy, problem.features)


def median(values: Sequence[float]) -> float:
    """The median, NaN for no values."""
    return statistics.median(values) if values else float("nan")


def median_ms(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``run`` in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; floats get 3 significant decimals unless already formatted."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
