"""The best params where Freqtrade reads them: ``<StrategyFile>.json`` next to the strategy.

The file is written by Freqtrade's own ``HyperoptTools.export_params`` from the parts
Freqtrade's hyperopt builds for its best epoch: ``params_details`` (each searched space's
values, the ROI table from ``generate_roi_table``, the trailing settings from
``generate_trailing_params``, ``max_open_trades``) and ``params_not_optimized`` (the
strategy's parameters and built-in settings this run did not search). Both come from
Freqtrade's ``HyperOptimizer._get_params_details`` and ``_get_no_optimize_details``, called
on the run's strategy and spaces, so the format is Freqtrade's and ``freqtrade trade`` /
``freqtrade backtesting`` load the champion as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from genesis.config import GenesisConfig
from genesis.errors import ArtifactError
from genesis.freqtrade._imports import require_freqtrade
from genesis.freqtrade.hyperopt import FtProblem, build_ft_problem
from genesis.optimizer.problem import ProblemBuilder


def params_file(problem: FtProblem) -> Path:
    """Where Freqtrade looks for the strategy's parameters: ``<StrategyFile>.json``."""
    return problem.ft.settings.strategy_path.with_suffix(".json")


def export_params(problem: FtProblem, params: Mapping[str, Any]) -> Path:
    """Write ``params`` (a trial's, searched and fixed) as Freqtrade's parameter file.

    Returns:
        The file written.

    Raises:
        ArtifactError: the file cannot be written.
    """
    require_freqtrade()
    from freqtrade.misc import deep_merge_dicts
    from freqtrade.optimize.hyperopt.hyperopt_optimizer import HyperOptimizer
    from freqtrade.optimize.hyperopt_tools import HyperoptTools

    run = problem.ft
    values = dict(problem.spec(params).params)
    slots = run.space.max_open_trades(values, run.settings.config)
    if slots is not None:  # what Freqtrade's epoch set on the strategy before reporting it
        run.strategy.max_open_trades = float("inf") if slots == -1 else slots
    optimizer = _optimizer_view(problem)
    details = HyperOptimizer._get_params_details(optimizer, values)
    not_optimized = deep_merge_dicts(
        run.strategy.get_no_optimize_params(), HyperOptimizer._get_no_optimize_details(optimizer)
    )
    path = params_file(problem)
    try:
        HyperoptTools.export_params(
            {"params_details": details, "params_not_optimized": not_optimized},
            run.settings.strategy_name,
            path,
        )
    except OSError as error:
        raise ArtifactError(f"cannot write the parameter file: {error}", where=str(path)) from None
    return path


def export_best(
    config: GenesisConfig, run_dir: Path, build: ProblemBuilder | None = None
) -> Path | None:
    """Export the best trial of the run in ``run_dir`` (None when no trial completed).

    ``build`` makes the run's problem (default: :func:`build_ft_problem`).

    Raises:
        ArtifactError: ``best_trial.json`` is unreadable or the file cannot be written.
    """
    path = Path(run_dir) / "best_trial.json"
    if not path.is_file():
        return None
    try:
        best = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ArtifactError(f"cannot read the best trial: {error}", where=str(path)) from None
    if not isinstance(best.get("params"), dict):
        return None
    problem = (build or build_ft_problem)(config)
    assert isinstance(problem, FtProblem)
    return export_params(problem, best["params"])


def _optimizer_view(problem: FtProblem) -> SimpleNamespace:
    """What Freqtrade's ``HyperOptimizer`` methods read of ``self``: the spaces with their
    dimensions, the ``HyperOptAuto`` (ROI and trailing builders), the strategy, the config."""
    run = problem.ft
    spaces: dict[str, list[Any]] = {space: [] for space in run.space.spaces}
    for dim in run.space.dimensions:
        spaces[run.space.space_of[dim.name]].append(dim)
    return SimpleNamespace(
        spaces=spaces,
        custom_hyperopt=run.space.hyperopt,
        backtesting=SimpleNamespace(strategy=run.strategy),
        config=run.strategy.config,
    )


__all__ = ["export_best", "export_params", "params_file"]
