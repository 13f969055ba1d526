"""The optimizer: Optuna over cached, real backtests (trial loop, objective, workers).

What persists lives in :mod:`genesis.storage` and what proposes in :mod:`genesis.samplers`,
both a floor below; the validation phase (:mod:`genesis.optimizer.optimize`, walk-forward,
out-of-sample) is this package's top floor. The modules that moved out keep their old
paths here for one release (``genesis.optimizer.elite`` and the like warn and alias).

The names below load on first use, so that a worker process started by
:mod:`genesis.optimizer.workers` imports only that module (and the standard library)
before it watches its parent: the heavy imports (numba, optuna) follow, and a
coordinator killed meanwhile still stops it at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genesis._lazy import lazy_attributes

if TYPE_CHECKING:
    from genesis.optimizer.objective import Objective, TrialFailed, TrialOutcome
    from genesis.optimizer.optimize import run_optimizer
    from genesis.optimizer.problem import Problem, build_problem
    from genesis.optimizer.runner import OptimizationResult
    from genesis.samplers.space import SearchSpace

_LAZY = {
    "Objective": "genesis.optimizer.objective",
    "TrialFailed": "genesis.optimizer.objective",
    "TrialOutcome": "genesis.optimizer.objective",
    "run_optimizer": "genesis.optimizer.optimize",
    "Problem": "genesis.optimizer.problem",
    "build_problem": "genesis.optimizer.problem",
    "OptimizationResult": "genesis.optimizer.runner",
    "SearchSpace": "genesis.samplers.space",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "Objective",
    "OptimizationResult",
    "Problem",
    "SearchSpace",
    "TrialFailed",
    "TrialOutcome",
    "build_problem",
    "run_optimizer",
]
