"""The optimization of a Freqtrade strategy: a problem genesis's own optimizer runs.

There is no second optimizer loop here. :class:`FtProblem` is a
:class:`~genesis.optimizer.problem.Problem` whose backtests are Freqtrade's: its search space
is the strategy's hyperopt space (:mod:`genesis.freqtrade.space`), a backtest sets the
trial's buy/sell parameters on the strategy and reads the entry/exit columns from
:class:`~genesis.freqtrade.signals.SignalSource` (indicators once per pair and data window,
signals once per distinct buy/sell set, so a trial that changes only ROI, stoploss or
trailing reuses them), sets the roi/stoploss/trailing/trades values as Freqtrade's
``generate_optimizer`` does, runs :func:`~genesis.freqtrade.backtest.run_backtest`, and
scores it with genesis's metrics and Freqtrade's loss (``loss:<Name>`` objectives,
:mod:`genesis.freqtrade.loss`). Everything else is genesis's: the key (strategy file content
and parameter file, data fingerprint, wallet, markets, rules, spaces and loss), the memory,
the result cache and the claims, resume, workers, holdout and walk-forward windows, DSR/PBO,
``trials.csv``, ``best_trial.json`` and the report.

A config names a Freqtrade strategy with ``strategy.name: path/to/file.py:ClassName`` and
its Freqtrade settings in the ``freqtrade`` section; :func:`build_ft_problem` builds the
problem (also in extra worker processes, by the name :data:`FT_BUILDER`).

Windows: Freqtrade computes the indicators on all the loaded candles; a window (a holdout's
or a walk-forward fold's) trades only its own candles (``run_backtest(start=, end=)``), the
candles before it having warmed the indicators up, as ``--timerange`` does in Freqtrade.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import math
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from genesis.config import GenesisConfig
from genesis.config.models import FreqtradeConfig
from genesis.data import Candles, parse_date_ms
from genesis.engine import BacktestResult, BacktestSettings
from genesis.errors import BacktestError, ConfigError, StrategyError
from genesis.evaluate import BacktestSpec, Evaluation, canonical_value
from genesis.features import Features, FeatureStore
from genesis.freqtrade._imports import require_freqtrade
from genesis.freqtrade._result import backtest_result, candles_of
from genesis.freqtrade.backtest import FtBacktest, Layouts, PairFrame, run_backtest
from genesis.freqtrade.loss import BacktestWindow, FtLoss, resolve_loss
from genesis.freqtrade.rules import ExitRules, Wallet, roi_table
from genesis.freqtrade.space import FtSpace, build_space
from genesis.metrics import compute_metrics
from genesis.metrics.score import LOSS_PREFIX, ScoreSpec, compute_score, is_loss
from genesis.optimizer.problem import Problem
from genesis.strategy import ParamSpec
from genesis.validation.splits import Window

if TYPE_CHECKING:
    from genesis.freqtrade.settings import FtSettings

FT_BUILDER = "genesis.freqtrade.hyperopt:build_ft_problem"
"""How an extra worker process finds :func:`build_ft_problem`."""
_KEPT_RESULTS = 256
"""Backtest results a run keeps for its overfitting statistics (about 150 KB each for a
year of 1h candles); older ones are run again when needed."""
ENGINE = "freqtrade-1"
"""Bump when the way genesis runs a Freqtrade backtest changes (part of every key)."""
_RULE_FIELDS = {
    "roi": ("minimal_roi",),
    "stoploss": ("stoploss",),
    "trailing": (
        "trailing_stop", "trailing_stop_positive", "trailing_stop_positive_offset",
        "trailing_only_offset_is_reached",
    ),
}  # fmt: skip


def strategy_file_and_class(name: str) -> tuple[Path, str]:
    """``path/to/file.py:ClassName`` → the file and the class name.

    Raises:
        ConfigError: no class name, or the file does not exist.
    """
    file, _, cls = name.partition(":")
    if not cls.isidentifier():
        raise ConfigError(
            f"strategy.name {name!r}: a Freqtrade strategy is named file.py:ClassName",
            where="strategy.name",
            hint="e.g. user_data/strategies/sample_strategy.py:SampleStrategy",
        )
    path = Path(file)
    if not path.is_file():
        raise ConfigError(f"strategy file {file} does not exist", where="strategy.name")
    return path, cls


@dataclass
class _StrategyName:
    """What the optimizer reads of a strategy (its name and version) for a Freqtrade one."""

    name: str
    version: str
    params: Mapping[str, ParamSpec] = field(default_factory=dict)

    def signals(self, features: Any, params: Mapping[str, Any]) -> Any:
        raise StrategyError(f"{self.name} runs on Freqtrade's backtest, not genesis's engine")


class FtRun:
    """What every backtest of one Freqtrade run shares (one per process): the loaded
    strategy, its signals, space, losses, exit rules and wallet."""

    def __init__(self, config: GenesisConfig, settings: FtSettings | None = None) -> None:
        """Load the strategy, its space, signals and losses for ``config``.

        ``settings`` are the Freqtrade settings of ``config`` when the caller has them
        already (the CLI loads them to find the strategy's file).
        """
        require_freqtrade()
        from genesis.freqtrade.loading import load_strategy
        from genesis.freqtrade.signals import SignalSource

        file, cls = strategy_file_and_class(config.strategy.name)
        _refuse_genesis_space(config)
        ft = config.freqtrade or FreqtradeConfig()
        self.options = ft
        self.settings = settings or _load_settings(ft, file, cls)
        if self.settings.strategy_path.resolve() != file.resolve():
            raise ConfigError(
                f"class {cls} was found in {self.settings.strategy_path}, not in {file}",
                where="strategy.name",
            )
        self.strategy = load_strategy(self.settings)
        self.space: FtSpace = build_space(self.strategy, ft.spaces)  # before the signals:
        # which parameters are searched decides what the indicators may depend on
        self.signals = SignalSource(self.strategy, self.settings, _indicator_cache(config))
        self.rules = ExitRules.from_strategy(self.strategy)
        self.wallet: Wallet = self.settings.wallet
        self.losses: dict[str, FtLoss] = {
            name: resolve_loss(
                name[len(LOSS_PREFIX) :], self.settings.config,
                hyperopt_path=Path(ft.hyperopt_path) if ft.hyperopt_path else None,
            )
            for name in config.score.objectives
            if is_loss(name)
        }  # fmt: skip
        content = file.read_bytes()
        self.name = f"freqtrade:{file.name}:{cls}"
        self.version = hashlib.blake2b(content, digest_size=12).hexdigest()
        self.fingerprint = self._data_fingerprint()
        self._market_change: dict[tuple[int, int], float] = {}
        self.results = _Kept(_KEPT_RESULTS)
        self.layouts = Layouts()  # the kernel's arrays per signal set and window
        self._cuts: OrderedDict[tuple[Any, ...], tuple[list[PairFrame], list[PairFrame]]] = (
            OrderedDict()
        )
        self._extra: dict[str, Any] | None = None
        from genesis.freqtrade.lookahead import CutMemo

        self.lookahead_memo = CutMemo()  # the look-ahead checks' cut indicators

    def _data_fingerprint(self) -> str:
        """The candles (the pairs' and the informative ones) and what trims them.

        Unlike :attr:`SignalSource.fingerprint` it leaves out ``<StrategyFile>.json``: what
        that file sets (fixed parameter values, ROI, stoploss, trailing) is in every spec
        already, and the export of a run's best params rewrites it, which must neither
        stop ``--resume`` nor ``genesis champion verify`` of the run that wrote it.
        """
        import freqtrade

        dataset = self.signals.dataset
        parts = (
            self.version, type(self.strategy).__name__, dataset.fingerprint,
            self.signals._informative_fingerprint(), self.settings.timeframe,
            str(self.settings.timerange), str(dataset.startup_candles),
            str(freqtrade.__version__),
        )  # fmt: skip
        return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()

    def extra(self) -> dict[str, Any]:
        """What besides params, data and window changes a backtest (part of the key)."""
        if self._extra is None:
            self._extra = self._describe()
        return self._extra

    def _describe(self) -> dict[str, Any]:
        import freqtrade

        searched = {f for s in self.space.spaces for f in _RULE_FIELDS.get(s, ())}
        wallet = dataclasses.asdict(self.wallet)
        if self.space.in_space("trades"):
            wallet.pop("max_open_trades")
            wallet["max_open_trades_setting"] = self.settings.config.get("max_open_trades")
        rules = {k: v for k, v in dataclasses.asdict(self.rules).items() if k not in searched}
        return {
            "engine": ENGINE, "freqtrade": str(freqtrade.__version__),
            "pairs": list(self.settings.pairs), "timeframe": self.settings.timeframe,
            "wallet": wallet, "rules": _json_ready(rules), "spaces": list(self.space.spaces),
            "markets": {p: dataclasses.asdict(m) for p, m in sorted(self.settings.markets.items())},
            "losses": {name: _source_hash(loss) for name, loss in sorted(self.losses.items())},
        }  # fmt: skip

    def backtest(
        self, params: Mapping[str, Any], start: pd.Timestamp | None, end: pd.Timestamp | None
    ) -> tuple[FtBacktest, dict[str, pd.DataFrame]]:
        """Freqtrade's backtest of ``params`` on ``[start, end]``, and the frames it used."""
        frames = self.signals.pair_frames(params)
        overrides = self.space.exit_overrides(params)
        for name, value in overrides.items():  # as generate_optimizer: callbacks may read them
            setattr(self.strategy, name, value)
        if "minimal_roi" in overrides:
            overrides["minimal_roi"] = roi_table(overrides["minimal_roi"])
        try:
            rules = dataclasses.replace(self.rules, **overrides)
            slots = self.space.max_open_trades(params, self.settings.config)
            wallet = self.wallet if slots is None else dataclasses.replace(
                self.wallet, max_open_trades=slots
            )  # fmt: skip
        except ConfigError as error:  # params the rules refuse: this trial fails
            raise BacktestError(f"params {dict(params)} give invalid rules: {error}") from None
        if start is not None or end is not None:
            frames = self._cut(frames, start, end)
        result = run_backtest(frames, rules, wallet, strategy=self.strategy, layouts=self.layouts)
        return result, {pf.pair: pf.frame for pf in frames}

    def _cut(
        self, frames: list[PairFrame], start: pd.Timestamp | None, end: pd.Timestamp | None
    ) -> list[PairFrame]:
        """The frames cut to the window, the same objects for the same signal set (so that
        :attr:`layouts` finds their arrays); matched by identity, the source list held."""
        key = (id(frames), start, end)
        kept = self._cuts.get(key)
        if kept is not None and kept[0] is frames:
            return kept[1]
        cut = [_cut(pf, start, end) for pf in frames]
        self._cuts[key] = (frames, cut)
        while len(self._cuts) > 4:
            self._cuts.popitem(last=False)
        return cut

    def market_change(self, processed: Mapping[str, pd.DataFrame], key: tuple[int, int]) -> float:
        """Freqtrade's ``calculate_market_change`` of the window (once per window)."""
        if key not in self._market_change:
            from freqtrade.data.metrics import calculate_market_change

            start, end = (pd.Timestamp(ms, unit="ms", tz="UTC") for ms in key)
            trimmed = {
                pair: f[(f["date"] >= start) & (f["date"] <= end)] for pair, f in processed.items()
            }
            self._market_change[key] = float(calculate_market_change(trimmed, "close"))
        return self._market_change[key]


class _Kept:
    """The last ``size`` backtest results by key (a bounded memory, oldest out first)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, BacktestResult] = OrderedDict()

    def get(self, key: str) -> BacktestResult | None:
        return self._items.get(key)

    def put(self, key: str, result: BacktestResult) -> None:
        self._items[key] = result
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


@dataclass(frozen=True)
class FtProblem(Problem):
    """A Freqtrade strategy's problem (see the module docstring).

    ``start_ms``/``end_ms`` bound the trading window (the first and last candle traded);
    the whole data window when None.
    """

    builder: ClassVar[str] = FT_BUILDER
    run: FtRun | None = field(default=None, repr=False, compare=False)
    start_ms: int | None = None
    end_ms: int | None = None

    @property
    def ft(self) -> FtRun:
        assert self.run is not None, "an FtProblem is made by build_ft_problem"
        return self.run

    def spec(self, params: Mapping[str, Any]) -> BacktestSpec:
        """The backtest of ``params`` (the searched ones over the fixed ones).

        Raises:
            StrategyError: a param the strategy's hyperopt space does not have.
        """
        merged = {**self.space.fixed, **params}
        known = set(self.space.dimensions) | set(self.space.fixed)
        unknown = sorted(set(merged) - known)
        if unknown:
            raise StrategyError(
                f"unknown param {unknown[0]!r} for {self.strategy.name} "
                f"(its params in this run: {', '.join(sorted(known))})"
            )
        return BacktestSpec(
            strategy=self.strategy.name, strategy_version=self.strategy.version,
            params={name: canonical_value(v) for name, v in sorted(merged.items())},
            data_fingerprint=self.data_fingerprint, settings=self.settings,
            score=self.score_spec, window=self.window, engine_version=ENGINE,
            extra=self.ft.extra(),
        )  # fmt: skip

    def check_lookahead(self, chosen: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """The look-ahead check (:func:`genesis.freqtrade.lookahead.check_lookahead`) of the
        strategy's defaults, or of ``chosen`` params (over the fixed ones)."""
        from genesis.freqtrade.lookahead import check_lookahead

        fixed = dict(self.space.fixed)
        sets = [fixed] if chosen is None else [{**fixed, **p} for p in chosen]
        return check_lookahead(self.ft.signals, sets, memo=self.ft.lookahead_memo)

    def fingerprint_spec(self) -> BacktestSpec:
        return dataclasses.replace(self.spec({}), params={})

    def evaluate(self, spec: BacktestSpec) -> Evaluation:
        """Run ``spec``'s backtest on Freqtrade's rules and score it (metrics and losses).

        Raises:
            StrategyError: the strategy or the loss raised.
            BacktestError: the backtest failed or an objective is undefined.
        """
        started = time.perf_counter()
        backtest, processed = self._backtest(spec.params)
        result = self._result(backtest)
        self.ft.results.put(self._result_key(spec), result)
        metrics = compute_metrics(result)
        losses = {
            name: loss.value(backtest.trades, self._loss_window(processed), self.ft.settings.config)
            for name, loss in self.ft.losses.items()
            if name in spec.score.objectives
        }
        score = compute_score(metrics, spec.score, losses)
        if not all(math.isfinite(v) for v in score.values):
            raise BacktestError(f"score {score.values} is not finite")
        return Evaluation(score, metrics, result, time.perf_counter() - started)

    def simulate(self, params: Mapping[str, Any]) -> BacktestResult:
        """The equity and trades of ``params`` (kept from the trial that ran them when the
        run still holds them: the overfitting statistics re-read every distinct trial)."""
        spec = self.spec(params)
        kept = self.ft.results.get(self._result_key(spec))
        if kept is not None:
            return kept
        backtest, _ = self._backtest(spec.params)
        return self._result(backtest)

    def trades(self, params: Mapping[str, Any]) -> pd.DataFrame:
        """The trades of ``params`` in Freqtrade's field names."""
        backtest, _ = self._backtest(self.spec(params).params)
        return backtest.trades

    def on_window(self, window: Window, min_trades: int) -> Problem:
        """The problem trading only the candles of ``window`` (a search or a test on it)."""
        start, end = window.dates(self.candles)
        candles = self.candles.slice(window.start, window.stop)
        spec = self.score_spec
        return dataclasses.replace(
            self, candles=candles, window=f"{start}..{end}",
            features=Features(candles, FeatureStore()),
            score_spec=ScoreSpec(spec.objectives, min_trades, spec.max_drawdown_pct),
            start_ms=int(candles.ts_ms[0]), end_ms=int(candles.ts_ms[-1]),
        )  # fmt: skip

    def out_of_sample(self, window: Window, min_trades: int) -> Problem:
        """As :meth:`on_window`: the indicators always warm up on the candles before it."""
        return self.on_window(window, min_trades)

    def _result_key(self, spec: BacktestSpec) -> str:
        return json.dumps([self.window, self.start_ms, self.end_ms, self.trade_from,
                           sorted(spec.params.items())])  # fmt: skip

    def _backtest(self, params: Mapping[str, Any]) -> tuple[FtBacktest, dict[str, pd.DataFrame]]:
        first = self.start_ms
        if self.trade_from:  # `genesis backtest --trade-from`: the bars before only warm up
            first = int(self.candles.ts_ms[self.trade_from])
        start = None if first is None else pd.Timestamp(first, unit="ms", tz="UTC")
        end = None if self.end_ms is None else pd.Timestamp(self.end_ms, unit="ms", tz="UTC")
        return self.ft.backtest(params, start, end)

    def _result(self, backtest: FtBacktest) -> BacktestResult:
        return backtest_result(
            backtest.trades, backtest.equity, backtest.dates, self.candles,
            backtest.starting_balance,
        )  # fmt: skip

    def _loss_window(self, processed: Mapping[str, pd.DataFrame]) -> BacktestWindow:
        first, last = int(self.candles.ts_ms[0]), int(self.candles.ts_ms[-1])
        return BacktestWindow(
            pairs=self.ft.settings.pairs,
            min_date=pd.Timestamp(first, unit="ms", tz="UTC").to_pydatetime(),
            max_date=pd.Timestamp(last, unit="ms", tz="UTC").to_pydatetime(),
            starting_balance=self.ft.wallet.dry_run_wallet, processed=processed,
            market_change=self.ft.market_change(processed, (first, last)),
        )  # fmt: skip


def _load_settings(ft: FreqtradeConfig, file: Path, cls: str) -> FtSettings:
    """The Freqtrade settings of a run's ``freqtrade`` section (hyperopt mode)."""
    from genesis.freqtrade.settings import load_settings

    return load_settings(
        ft.config, strategy=cls, strategy_path=file.parent, datadir=ft.datadir,
        timerange=ft.timerange, timeframe=ft.timeframe, fee=ft.fee,
        max_open_trades=ft.max_open_trades, stake_amount=ft.stake_amount,
        dry_run_wallet=ft.dry_run_wallet, pairs=ft.pairs, user_data_dir=ft.user_data_dir,
        data_format=ft.data_format, hyperopt=True,
    )  # fmt: skip


class FtProblemBuilder:
    """Builds the problems of one process, loading each Freqtrade run once.

    A run builds its problem more than once (the search, the report's replay of the best,
    the parameter export); they differ only in the data window, so the loaded strategy,
    its indicators and losses (:class:`FtRun`) are kept per Freqtrade part of the config.
    """

    def __init__(self, settings: FtSettings | None = None) -> None:
        self._settings = settings
        self._runs: dict[str, FtRun] = {}

    def __call__(self, config: GenesisConfig) -> FtProblem:
        ft = config.freqtrade.model_dump(mode="json") if config.freqtrade else None
        key = json.dumps(
            [config.strategy.name, ft, list(config.score.objectives), str(_indicator_cache(config))]
        )
        run = self._runs.get(key)
        if run is None:
            run = self._runs[key] = FtRun(config, self._settings)
        return _problem(config, run)


def build_ft_problem(config: GenesisConfig) -> FtProblem:
    """The problem of ``config``, whose ``strategy.name`` is a Freqtrade strategy file.

    ``data.start``/``data.end`` (set by a holdout or walk-forward for each window) bound
    the candles traded; the data itself is the ``freqtrade`` section's ``--timerange``.

    Raises:
        ConfigError: the config, the Freqtrade settings or the space is wrong.
        StrategyError: the strategy does not load or uses what genesis does not follow.
        DataError: a pair's candles are missing.
    """
    return FtProblemBuilder()(config)


def _problem(config: GenesisConfig, run: FtRun) -> FtProblem:
    if config.data.fast_window:
        raise ConfigError(
            "data.fast_window does not apply to a Freqtrade strategy",
            where="data.fast_window", hint="narrow freqtrade.timerange instead",
        )  # fmt: skip
    frames = [pf.frame for pf in run.signals.pair_frames(run.space.fixed)]
    pairs = run.settings.pairs
    symbol = pairs[0] if len(pairs) == 1 else f"{len(pairs)} pairs (equal weight)"
    candles = candles_of(frames, symbol, run.settings.timeframe)
    label, start_ms, end_ms = "all", None, None
    data = config.data
    if data.start or data.end:
        candles = _dated(candles, data.start, data.end)
        label = f"{data.start or ''}..{data.end or ''}"
        start_ms, end_ms = int(candles.ts_ms[0]), int(candles.ts_ms[-1])
    b = run.wallet
    settings = BacktestSettings(
        initial_capital=b.dry_run_wallet, fee_bps=b.fee * 10_000.0, slippage_bps=0.0,
        position_fraction=1.0,
    )  # fmt: skip
    score = ScoreSpec(
        objectives=tuple(config.score.objectives), min_trades=config.score.min_trades,
        max_drawdown_pct=config.score.max_drawdown_pct,
    )  # fmt: skip
    return FtProblem(
        candles=candles, data_fingerprint=run.fingerprint, window=label,
        strategy=_StrategyName(run.name, run.version), features=Features(candles, FeatureStore()),
        space=run.space.search_space(), settings=settings, score_spec=score, run=run,
        start_ms=start_ms, end_ms=end_ms,
    )  # fmt: skip


def _cut(pf: PairFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> PairFrame:
    """The pair's candles in ``[start, end]``, as ``run_backtest(start=, end=)`` trims them
    (before the signals are shifted: the window's first candle is never traded)."""
    dates = pd.to_datetime(pf.frame["date"], utc=True)
    keep = pd.Series(True, index=pf.frame.index)
    if start is not None:
        keep &= dates >= start
    if end is not None:
        keep &= dates <= end
    ticks = None if pf.price_ticks is None else pf.price_ticks[keep.to_numpy()]
    return PairFrame(pf.pair, pf.frame[keep].reset_index(drop=True), pf.market, ticks)


def _dated(candles: Candles, start: str | None, end: str | None) -> Candles:
    """The candles from ``start`` (inclusive) to ``end`` (exclusive), as a config's window."""
    first = 0 if not start else int((candles.ts_ms < parse_date_ms(start)).sum())
    stop = len(candles) if not end else int((candles.ts_ms < parse_date_ms(end)).sum())
    if stop - first < 2:
        raise ConfigError(
            f"data.start/data.end ({start}..{end}) leave {max(stop - first, 0)} candles",
            where="data.start",
        )
    return candles.slice(first, stop)


def _refuse_genesis_space(config: GenesisConfig) -> None:
    if config.search_space or config.strategy.params:
        raise ConfigError(
            "a Freqtrade strategy's search space is its *Parameter attributes and "
            "Freqtrade's spaces, not search_space/strategy.params",
            where="search_space" if config.search_space else "strategy.params",
            hint="remove them; choose spaces with freqtrade.spaces (e.g. [buy, sell, roi])",
        )


def _indicator_cache(config: GenesisConfig) -> Path | None:
    if not config.cache.enabled:
        return None
    location = config.cache.location or str(Path(config.output_dir) / "_cache")
    return None if "://" in location else Path(location)


def _json_ready(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: [list(x) for x in v] if isinstance(v, tuple) else v for k, v in values.items()}


def _source_hash(loss: FtLoss) -> str:
    """A hash of the loss function's source (a user's loss may change between runs)."""
    try:
        source = inspect.getsource(loss.function)
    except (OSError, TypeError):
        source = loss.name
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()


__all__ = [
    "FT_BUILDER",
    "FtProblem",
    "FtProblemBuilder",
    "FtRun",
    "build_ft_problem",
    "strategy_file_and_class",
]
