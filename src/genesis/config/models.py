"""The typed config model: one YAML file describes data, strategy, search space and budget.

Every model forbids unknown keys and is frozen; errors name the YAML path
(``search_space.fast.high: must be > low``). Precedence (see :mod:`genesis.config.loader`):
defaults < file < ``GENESIS_*`` environment < command-line flags.
"""

from __future__ import annotations

import datetime
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

ParamScalar = bool | int | float | str


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _above_low(high: float, info: ValidationInfo) -> float:
    low = info.data.get("low")
    if low is not None and high <= low:
        raise ValueError(f"must be > low ({low})")
    return high


def _date_as_text(value: Any) -> Any:
    """YAML reads an unquoted ``2019-01-01`` as a date: keep it as ISO text."""
    return value.isoformat() if isinstance(value, datetime.date) else value


MAX_BARS = 100_000_000
"""More bars than 10,000 years of minutes: a number above it is a typo."""


class DataConfig(_Model):
    """Where the candles come from and which part of them a backtest sees."""

    source: str = "synthetic:tBTCUSD:1h"
    symbol: str | None = None
    timeframe: str = "1h"
    start: str | None = None
    end: str | None = None
    fast_window: bool = False
    fast_window_bars: Annotated[int, Field(ge=100, le=MAX_BARS)] = 5_000

    _dates = field_validator("start", "end", mode="before")(_date_as_text)


class StrategyConfig(_Model):
    """Which strategy to optimize and the params fixed for the whole run."""

    name: str = "genesis_trend"
    params: dict[str, ParamScalar] = Field(default_factory=dict)
    allow_lookahead: bool = False
    """Run a strategy that fails the look-ahead check (its verdict is then never candidate)."""


class IntParam(_Model):
    """An integer dimension: ``{type: int, low, high, step, log}``."""

    type: Literal["int"]
    low: int
    high: int
    step: Annotated[int, Field(ge=1)] = 1
    log: bool = False

    _high = field_validator("high")(_above_low)

    @model_validator(mode="after")
    def _bounds(self) -> IntParam:
        if self.log and (self.low < 1 or self.step != 1):
            raise ValueError("log needs low >= 1 and step 1")
        return self


class FloatParam(_Model):
    """A float dimension: ``{type: float, low, high, step, log}`` (step makes it discrete)."""

    type: Literal["float"]
    low: float
    high: float
    step: Annotated[float, Field(gt=0)] | None = None
    log: bool = False

    _high = field_validator("high")(_above_low)

    @model_validator(mode="after")
    def _bounds(self) -> FloatParam:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite")
        if self.log and (self.low <= 0 or self.step is not None):
            raise ValueError("log needs low > 0 and no step")
        return self


class CategoricalParam(_Model):
    """A categorical dimension: ``{type: categorical, choices: [...]}``."""

    type: Literal["categorical"]
    choices: Annotated[list[ParamScalar], Field(min_length=1)]

    @field_validator("choices")
    @classmethod
    def _distinct(cls, choices: list[ParamScalar]) -> list[ParamScalar]:
        if len({repr(c) for c in choices}) != len(choices):
            raise ValueError("choices must be distinct")
        return choices


class FixedParam(_Model):
    """A value held fixed during the search: ``{type: fixed, value: ...}`` or a bare scalar."""

    type: Literal["fixed"]
    value: ParamScalar


SearchDimension = Annotated[
    IntParam | FloatParam | CategoricalParam | FixedParam, Field(discriminator="type")
]


class BacktestConfig(_Model):
    """Account and costs; every field is part of the cache key."""

    initial_capital: Annotated[float, Field(gt=0, le=1e15)] = 10_000.0
    """At most 10**15: far above any account, and the equity stays finite and exact."""
    fee_bps: Annotated[float, Field(ge=0, le=1_000)] = 10.0
    slippage_bps: Annotated[float, Field(ge=0, le=1_000)] = 5.0
    position_fraction: Annotated[float, Field(gt=0, le=1)] = 1.0


class ScoreConfig(_Model):
    """What the optimizer maximizes (or minimizes), and the constraints reported beside it."""

    objectives: Annotated[list[str], Field(min_length=1)] = Field(
        default_factory=lambda: ["sharpe"]
    )
    min_trades: Annotated[int, Field(ge=0)] = 0
    max_drawdown_pct: Annotated[float, Field(gt=0, le=100)] | None = None

    @field_validator("objectives", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


MAX_TRIALS = 10_000_000
"""A budget above this is a typo (years of trials), refused before the search."""
MAX_SECONDS = 366 * 86_400.0
"""A timeout or wait above a year is a typo; it would also overflow the ETA's arithmetic."""


class OptimizerConfig(_Model):
    """The sampler and the budget."""

    sampler: Literal["elite", "tpe", "random", "cmaes", "grid", "nsga2"] = "elite"
    avoid_repeats: bool = True
    """Replace a proposal of already-evaluated params by the nearest new point."""
    seed: int | None = 42
    n_trials: Annotated[int, Field(ge=1, le=MAX_TRIALS)] = 100
    timeout_s: Annotated[float, Field(gt=0, le=MAX_SECONDS)] | None = None
    max_unique_backtests: Annotated[int, Field(ge=1, le=MAX_TRIALS)] | None = None
    max_trials: Annotated[int, Field(ge=1, le=MAX_TRIALS)] | None = None
    n_startup_trials: Annotated[int, Field(ge=0, le=MAX_TRIALS)] = 10
    n_workers: Annotated[int, Field(ge=1, le=64)] = 1
    heartbeat_interval_s: Annotated[int, Field(ge=1, le=3_600)] = 5
    """On a database storage: how often a running trial's heartbeat is recorded."""
    heartbeat_grace_s: Annotated[int, Field(ge=1, le=86_400)] = 15
    """A trial whose heartbeat is this much older is a dead process's: failed and re-run."""
    storage_retry_s: Annotated[float, Field(gt=0, le=MAX_SECONDS)] = 120.0
    """How long workers wait out a database outage before they stop."""
    cluster: str | None = None
    """Run the backtests on a Dask cluster: a scheduler address (``tcp://host:8786``) or
    ``local:N`` (N worker processes here); this process owns the study and the sampler.
    Needs ``pip install 'genesis[cluster]'``."""

    @field_validator("cluster")
    @classmethod
    def _cluster_url(cls, cluster: str | None) -> str | None:
        n = cluster[6:] if cluster is not None and cluster.startswith("local:") else ""
        if cluster is not None and "://" not in cluster and not (n.isdigit() and int(n) > 0):
            raise ValueError(
                f"{cluster!r} is neither a scheduler address (tcp://host:8786) "
                "nor local:N (N worker processes here)"
            )
        return cluster

    @model_validator(mode="after")
    def _cluster_or_workers(self) -> OptimizerConfig:
        if self.cluster is not None and self.n_workers > 1:
            raise ValueError("give cluster (Dask workers) or n_workers (local processes), not both")
        return self


class CacheConfig(_Model):
    """The shared result cache: a directory (default ``<out>/_cache``) or a SQL URL."""

    enabled: bool = True
    location: str | None = None


class FeaturesConfig(_Model):
    """Feature (indicator) computation."""

    precompute: bool = False


class HoldoutConfig(_Model):
    """A holdout: the last part of the data is kept from the search and tested after it.

    Give ``test_fraction`` (the share of bars tested, default 0.3) or ``split`` (the first
    date of the test period, ISO 8601), not both.
    """

    test_fraction: Annotated[float, Field(gt=0, lt=1)] | None = None
    split: str | None = None

    _split = field_validator("split", mode="before")(_date_as_text)

    @field_validator("split")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                datetime.datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"{value!r} is not an ISO 8601 date, e.g. 2018-01-01") from None
        return value

    @model_validator(mode="after")
    def _one_of(self) -> HoldoutConfig:
        if self.test_fraction is not None and self.split is not None:
            raise ValueError("give test_fraction or split, not both")
        return self


class WalkForwardConfig(_Model):
    """Walk-forward optimization (Pardo): optimize on a train window, test on the next bars.

    The last ``folds * test_bars`` bars are tested, fold by fold in time order. ``anchored``
    train windows all start at the first bar; ``rolling`` ones keep ``train_bars`` bars.
    ``test_bars`` defaults to the bars divided by ``folds + 1``, and ``train_bars`` to the
    bars before the first test window.
    """

    folds: Annotated[int, Field(ge=2, le=50)] = 4
    mode: Literal["anchored", "rolling"] = "anchored"
    test_bars: Annotated[int, Field(ge=10, le=MAX_BARS)] | None = None
    train_bars: Annotated[int, Field(ge=10, le=MAX_BARS)] | None = None

    @model_validator(mode="after")
    def _rolling_only(self) -> WalkForwardConfig:
        if self.train_bars is not None and self.mode == "anchored":
            raise ValueError("train_bars is for mode: rolling (anchored folds start at bar 0)")
        return self


class ValidationConfig(_Model):
    """How the search's result is checked out of sample, and how the champion is chosen.

    Without ``holdout`` or ``walk_forward`` the whole data is searched, and only the
    overfitting statistics (Deflated Sharpe Ratio, PBO) are reported.
    """

    holdout: HoldoutConfig | None = None
    walk_forward: WalkForwardConfig | None = None
    top_k: Annotated[int, Field(ge=1, le=1_000)] = 10
    select_by: Literal["out_of_sample", "in_sample"] = "out_of_sample"
    pbo_splits: Annotated[int, Field(ge=2, le=32)] = 16

    @field_validator("pbo_splits")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be even (CSCV splits the data into two equal halves)")
        return value

    @model_validator(mode="after")
    def _one_method(self) -> ValidationConfig:
        if self.holdout is not None and self.walk_forward is not None:
            raise ValueError("choose holdout or walk_forward, not both")
        # A dumped config (a run's config.yaml) holds every field: only values a user chose
        # (not the defaults) can be ones that would be ignored.
        defaults = type(self).model_fields
        chosen = [n for n in ("top_k", "select_by") if getattr(self, n) != defaults[n].default]
        if self.holdout is None and self.walk_forward is None and chosen:
            raise ValueError(f"{', '.join(chosen)} need a holdout or a walk_forward")
        if self.walk_forward is not None and "select_by" in chosen:
            raise ValueError(
                "select_by is for a holdout: a walk-forward chooses each fold's best in sample"
            )
        return self

    @property
    def method(self) -> str:
        """``holdout``, ``walk_forward`` or ``none``."""
        if self.holdout is not None:
            return "holdout"
        return "walk_forward" if self.walk_forward is not None else "none"


class FreqtradeConfig(_Model):
    """The Freqtrade side of a run whose ``strategy.name`` is ``path/to/file.py:ClassName``.

    The fields are Freqtrade's command-line flags of the same names (None: the Freqtrade
    config files' value); ``spaces`` is ``--spaces``. The loss is a score objective named
    ``loss:<LossClass>`` (e.g. ``loss:SharpeHyperOptLoss``).
    """

    config: list[str] = Field(default_factory=list)
    datadir: str | None = None
    user_data_dir: str | None = None
    data_format: str | None = None
    pairs: list[str] | None = None
    timerange: str | None = None
    timeframe: str | None = None
    fee: Annotated[float, Field(ge=0, lt=1)] | None = None
    max_open_trades: int | None = None
    stake_amount: str | float | None = None
    dry_run_wallet: Annotated[float, Field(gt=0)] | None = None
    spaces: list[str] = Field(default_factory=lambda: ["default"])
    hyperopt_path: str | None = None
    export_params: bool = True
    """Write the best params to ``<StrategyFile>.json`` (``--disable-param-export`` = False)."""


class GenesisConfig(_Model):
    """A whole optimization: the root of the YAML file."""

    data: DataConfig = Field(default_factory=DataConfig)
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)
    search_space: dict[str, SearchDimension] = Field(default_factory=dict)
    backtest: BacktestConfig = Field(default_factory=BacktestConfig)
    score: ScoreConfig = Field(default_factory=ScoreConfig)
    optimizer: OptimizerConfig = Field(default_factory=OptimizerConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    features: FeaturesConfig = Field(default_factory=FeaturesConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    storage: str | None = None
    study_name: str | None = None
    resume: bool = False
    output_dir: str = "results/hparam_search"
    freqtrade: FreqtradeConfig | None = None
    """Settings of a Freqtrade strategy (``genesis.freqtrade``); None for genesis's own."""

    @field_validator("search_space", mode="before")
    @classmethod
    def _bare_scalars_are_fixed(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                name: {"type": "fixed", "value": dim} if not isinstance(dim, dict) else dim
                for name, dim in value.items()
            }
        return value

    @field_validator("study_name")
    @classmethod
    def _safe_name(cls, value: str | None) -> str | None:
        if value is not None and (not value or "/" in value or value.startswith(".")):
            raise ValueError("must be a plain directory name (no '/', not starting with '.')")
        return value
