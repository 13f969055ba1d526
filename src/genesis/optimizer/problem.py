"""From a validated config to everything a backtest needs: candles, strategy, features.

``genesis backtest`` and ``genesis optimize`` both start here, so that one backtest
means the same thing in both.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, ClassVar

from genesis.config import CategoricalParam, FixedParam, GenesisConfig
from genesis.config.models import SearchDimension
from genesis.data import Candles, fingerprint, load_candles, window
from genesis.engine import BacktestResult, BacktestSettings
from genesis.errors import ConfigError, StrategyError
from genesis.evaluate import BacktestSpec, Evaluation, evaluate, make_spec, simulate
from genesis.features import Features, FeatureStore
from genesis.metrics.score import ScoreSpec
from genesis.samplers.space import SearchSpace
from genesis.strategy import ParamSpec, Strategy, get_strategy, resolve_params
from genesis.validation.splits import Window

_PRECOMPUTE_MAX_VALUES = 500


@dataclass(frozen=True)
class Problem:
    """The fixed part of every backtest of a run.

    The optimizer reaches a backtest only through :meth:`spec`, :meth:`evaluate`,
    :meth:`simulate` and the window methods, so that an adapter's problem (a subclass
    running another tool's strategies on its own engine, e.g. ``genesis.freqtrade``) plugs
    into the same loop, cache, workers and validation. :attr:`builder` names the function
    an extra worker process calls to build the problem again from the config.
    """

    builder: ClassVar[str] = "genesis.optimizer.problem:build_problem"

    candles: Candles
    data_fingerprint: str
    window: str
    strategy: Strategy
    features: Features
    space: SearchSpace
    settings: BacktestSettings
    score_spec: ScoreSpec
    trade_from: int = 0
    """Bars before this one only warm the indicators up: the account trades from here."""
    lookahead: Mapping[str, Any] | None = None
    """What the look-ahead check found on the run's data (:mod:`genesis.optimizer.lookahead`)."""

    def spec(self, params: Mapping[str, Any]) -> BacktestSpec:
        """The backtest of ``params`` on this problem (checked against the strategy)."""
        return make_spec(
            self.strategy, params, self.data_fingerprint, self.settings, self.score_spec,
            window=self.window,
        )  # fmt: skip

    def evaluate(self, spec: BacktestSpec) -> Evaluation:
        """Run and score ``spec`` (see :func:`genesis.evaluate.evaluate`)."""
        return evaluate(spec, self.strategy, self.features, bars=self._bars)

    def simulate(self, params: Mapping[str, Any]) -> BacktestResult:
        """The equity and trades of ``params``, even when their score is undefined."""
        return simulate(self.spec(params), self.strategy, self.features, bars=self._bars)

    def fingerprint_spec(self) -> BacktestSpec:
        """The spec of every backtest of this problem without its params (the study's
        fingerprint compares it when a study is resumed or joined)."""
        return BacktestSpec(
            strategy=self.strategy.name, strategy_version=str(self.strategy.version),
            params={}, data_fingerprint=self.data_fingerprint, settings=self.settings,
            score=self.score_spec, window=self.window,
        )  # fmt: skip

    def on_window(self, window: Window, min_trades: int) -> Problem:
        """The problem of the bars of ``window`` alone, as a config on its dates would build it.

        A search runs on it: the sampler sees these bars and no other.
        """
        candles = self.candles.slice(window.start, window.stop)
        start, end = window.dates(self.candles)
        score = ScoreSpec(self.score_spec.objectives, min_trades, self.score_spec.max_drawdown_pct)
        return Problem(
            candles, fingerprint(candles), f"{start}..{end}", self.strategy,
            Features(candles, FeatureStore()), self.space, self.settings, score,
            lookahead=self.lookahead,
        )  # fmt: skip

    def out_of_sample(self, window: Window, min_trades: int) -> Problem:
        """The problem of an out-of-sample ``window``: it trades the window's bars only.

        Its indicators warm up on every bar before the window (a trader had them when the
        window began, so nothing leaks), and the account starts flat at its first bar. The
        key names both: the candles up to the window's end and the first bar traded.
        """
        candles = self.candles.slice(0, window.stop)
        start, end = window.dates(self.candles)
        score = ScoreSpec(self.score_spec.objectives, min_trades, self.score_spec.max_drawdown_pct)
        label = f"{start}..{end}|trade_from:{window.start}"
        return Problem(
            candles, fingerprint(candles), label, self.strategy,
            Features(candles, FeatureStore()), self.space, self.settings, score,
            trade_from=window.start, lookahead=self.lookahead,
        )  # fmt: skip

    @property
    def _bars(self) -> tuple[int, int] | None:
        return (self.trade_from, len(self.candles)) if self.trade_from else None


ProblemBuilder = Callable[[GenesisConfig], Problem]
"""Builds a run's problem from its config (:func:`build_problem`, or an adapter's)."""


def problem_builder(path: str) -> ProblemBuilder:
    """The builder ``"module:function"`` names (:attr:`Problem.builder`), imported now.

    An extra worker process starts from the config alone: the main process's problem
    tells it, by name, which function builds the same problem again.
    """
    module, _, name = path.partition(":")
    builder: ProblemBuilder = getattr(importlib.import_module(module), name)
    return builder


def build_problem(config: GenesisConfig) -> Problem:
    """Load the candles, resolve the strategy and check the search space against it.

    Raises:
        ConfigError: an unknown strategy or param (with close matches), a value outside
            the strategy's bounds.
        DataError: the candles cannot be loaded or are invalid.
    """
    data = config.data
    candles = load_candles(data.source, symbol=data.symbol, timeframe=data.timeframe)
    label = "all"
    if data.start or data.end:
        candles = window(candles, start=data.start, end=data.end)
        label = f"{data.start or ''}..{data.end or ''}"
    if data.fast_window:
        candles = window(candles, last_n=data.fast_window_bars)
        label = f"{label}|last_{data.fast_window_bars}"
    try:
        strategy = get_strategy(config.strategy.name)
    except StrategyError as error:
        raise ConfigError(error.message, where="strategy.name", hint=error.hint) from None
    _check_names(strategy, config)
    space = SearchSpace.from_config(config.search_space, config.strategy.params)
    b = config.backtest
    settings = BacktestSettings(
        initial_capital=b.initial_capital, fee_bps=b.fee_bps,
        slippage_bps=b.slippage_bps, position_fraction=b.position_fraction,
    )  # fmt: skip
    score = ScoreSpec(
        objectives=tuple(config.score.objectives),
        min_trades=config.score.min_trades,
        max_drawdown_pct=config.score.max_drawdown_pct,
    )
    features = Features(candles, FeatureStore())
    return Problem(candles, fingerprint(candles), label, strategy, features, space, settings, score)


def _check_names(strategy: Strategy, config: GenesisConfig) -> None:
    known = list(strategy.params)
    for section, names in (
        ("search_space", config.search_space),
        ("strategy.params", config.strategy.params),
    ):
        for name in names:
            if name not in strategy.params:
                close = difflib.get_close_matches(name, known, n=3)
                raise ConfigError(
                    f"{section}.{name}: {strategy.name!r} has no param {name!r} "
                    f"(its params: {', '.join(sorted(known))})",
                    hint=f"did you mean: {', '.join(close)}?" if close else None,
                )
    for name, dim in config.search_space.items():
        _check_dimension(name, dim, strategy.params[name])
    for name, value in config.strategy.params.items():
        _check_value(f"strategy.params.{name}", strategy.params[name], name, value)


def _check_dimension(name: str, dim: SearchDimension, spec: ParamSpec) -> None:
    """Every value the dimension can take must be one the strategy accepts."""
    path = f"search_space.{name}"
    if isinstance(dim, FixedParam):
        _check_value(f"{path}.value", spec, name, dim.value)
    elif isinstance(dim, CategoricalParam):
        for i, choice in enumerate(dim.choices):
            _check_value(f"{path}.choices.{i}", spec, name, choice)
    else:
        if spec.kind not in ("int", "float") or (spec.kind == "int" and dim.type == "float"):
            raise ConfigError(
                f"{path}.type: {dim.type} does not fit {name!r}, "
                f"{'an' if spec.kind == 'int' else 'a'} {spec.kind} param",
                hint="use type: int" if spec.kind == "int" else "use type: categorical",
            )
        for bound in ("low", "high"):
            value = getattr(dim, bound)
            if bound == "low" and spec.low is not None and value < spec.low:
                raise ConfigError(f"{path}.low: {value} is below the strategy's minimum {spec.low}")
            if bound == "high" and spec.high is not None and value > spec.high:
                raise ConfigError(
                    f"{path}.high: {value} is above the strategy's maximum {spec.high}"
                )


def _check_value(path: str, spec: ParamSpec, name: str, value: object) -> None:
    try:
        spec.check(name, value)
    except StrategyError as error:
        raise ConfigError(f"{path}: {error.message}") from None


def precompute_features(problem: Problem) -> int:
    """Warm the feature store with the indicators of the whole search space.

    Each dimension is walked over its values with every other param at its default (an
    indicator depends on its own period params), computing the signals once per value.
    Returns the number of indicators the store computed.
    """
    before = problem.features.store.misses
    defaults: dict[str, Any] = {n: s.default for n, s in problem.strategy.params.items()}
    defaults.update(problem.space.fixed)
    try:
        grid = problem.space.grid()
    except ConfigError:
        grid = {}
    for name, values in grid.items():
        for value in islice(values, _PRECOMPUTE_MAX_VALUES):
            try:
                params = resolve_params(problem.strategy, {**defaults, name: value})
                problem.strategy.signals(problem.features, params)
            except StrategyError:
                continue
    return int(problem.features.store.misses - before)
