"""genesis: find good trading-strategy parameters with Optuna over fast, cached backtests.

Usage::

    from pathlib import Path
    from genesis import run_optimizer

    result = run_optimizer(Path("config/optimizer/tBTCUSD_1h_optuna_smoke_loose.yaml"))
    print(result.run_dir, result.best["score"], result.stats.hit_rate)

A strategy of one's own needs one import line::

    from genesis import Features, ParamSpec, Signals, Strategy

(``ExitRules`` for ROI tables and percentage stops, ``higher_timeframe`` for indicators of
coarser bars, come from the same place.) The heavy parts (numba, optuna, pandas) load on
first use of the API, so that importing ``genesis`` (and ``genesis --help``) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genesis._lazy import lazy_attributes
from genesis.errors import (
    ArtifactError,
    BacktestError,
    CacheError,
    ConfigError,
    CorruptCacheEntry,
    DataError,
    DataFetchError,
    GenesisError,
    StorageError,
    StrategyError,
    UsageError,
)

if TYPE_CHECKING:
    from genesis.api import (
        BacktestReport,
        list_runs,
        read_params,
        run_backtest,
        run_optimizer,
        show_run,
    )
    from genesis.config import GenesisConfig, load_config
    from genesis.engine import ExitRules, Signals
    from genesis.features import Features, higher_timeframe
    from genesis.optimizer import OptimizationResult
    from genesis.strategy import ParamSpec, Strategy

__version__ = "0.1.0"

_LAZY = {
    "BacktestReport": "genesis.api",
    "list_runs": "genesis.api",
    "read_params": "genesis.api",
    "show_run": "genesis.api",
    "run_backtest": "genesis.api",
    "run_optimizer": "genesis.api",
    "GenesisConfig": "genesis.config",
    "load_config": "genesis.config",
    "OptimizationResult": "genesis.optimizer",
    "Features": "genesis.features",
    "higher_timeframe": "genesis.features",
    "ExitRules": "genesis.engine",
    "ParamSpec": "genesis.strategy",
    "Signals": "genesis.engine",
    "Strategy": "genesis.strategy",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "ArtifactError",
    "BacktestError",
    "BacktestReport",
    "CacheError",
    "ConfigError",
    "CorruptCacheEntry",
    "DataError",
    "DataFetchError",
    "ExitRules",
    "Features",
    "GenesisConfig",
    "GenesisError",
    "OptimizationResult",
    "ParamSpec",
    "Signals",
    "StorageError",
    "Strategy",
    "StrategyError",
    "UsageError",
    "__version__",
    "higher_timeframe",
    "list_runs",
    "load_config",
    "read_params",
    "run_backtest",
    "run_optimizer",
    "show_run",
]
