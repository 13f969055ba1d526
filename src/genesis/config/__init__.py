"""Config: the typed model of an optimization and the loader that fills it."""

from genesis.config._urls import has_masked_password, mask_password
from genesis.config.loader import (
    ENV_VARS,
    config_from_dict,
    dump_config,
    env_overrides,
    load_config,
)
from genesis.config.models import (
    BacktestConfig,
    CacheConfig,
    CategoricalParam,
    DataConfig,
    FeaturesConfig,
    FixedParam,
    FloatParam,
    GenesisConfig,
    HoldoutConfig,
    IntParam,
    OptimizerConfig,
    ScoreConfig,
    StrategyConfig,
    ValidationConfig,
    WalkForwardConfig,
)

__all__ = [
    "ENV_VARS",
    "BacktestConfig",
    "CacheConfig",
    "CategoricalParam",
    "DataConfig",
    "FeaturesConfig",
    "FixedParam",
    "FloatParam",
    "GenesisConfig",
    "HoldoutConfig",
    "IntParam",
    "OptimizerConfig",
    "ScoreConfig",
    "StrategyConfig",
    "ValidationConfig",
    "WalkForwardConfig",
    "config_from_dict",
    "dump_config",
    "env_overrides",
    "has_masked_password",
    "load_config",
    "mask_password",
]
