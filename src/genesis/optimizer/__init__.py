"""The optimizer: Optuna over cached, real backtests (objective, storage, runner)."""

from genesis.optimizer.objective import Objective, TrialFailed, TrialOutcome
from genesis.optimizer.optimize import run_optimizer
from genesis.optimizer.problem import Problem, build_problem
from genesis.optimizer.runner import OptimizationResult
from genesis.optimizer.space import SearchSpace

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
