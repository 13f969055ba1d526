"""The validation phase of a run: what the search's best is worth out of sample.

The runner searches only in-sample bars (the sampler never sees another candle); this
module then

* derives the config of a search on a window (:func:`window_config`): the data window set
  to the window's dates, ``min_trades`` scaled to its length;
* backtests chosen params on an out-of-sample window through the run's result cache
  (:class:`WindowTester`): such a backtest is recorded, it is not a trial of the study;
* computes the overfitting statistics of a search (:func:`search_statistics`);
* picks the champion and writes ``validation.json`` and the ``validation`` object of
  ``best_trial.json``.

``min_trades`` is stated for the whole data window of the config; a window of a part of
it requires the same rate of trades: ``ceil(min_trades * bars_in_window / bars_in_data)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from genesis.artifacts import TrialRecord, rank_trials
from genesis.cache import Payload, ResultCache, WriteBehindCache, cache_key
from genesis.config import GenesisConfig
from genesis.data import Candles
from genesis.engine import BacktestResult
from genesis.errors import BacktestError, CacheError, GenesisError, StrategyError
from genesis.evaluate import BacktestSpec, Evaluation
from genesis.metrics import compute_metrics, objective_direction
from genesis.optimizer.objective import result_payload
from genesis.optimizer.problem import Problem
from genesis.storage import log
from genesis.validation.overfitting import Tried, overfitting_statistics
from genesis.validation.splits import Window


def scaled_min_trades(min_trades: int, n_window: int, n_all: int) -> int:
    """``min_trades`` (stated for ``n_all`` bars) at the same rate for ``n_window`` bars."""
    return math.ceil(min_trades * n_window / n_all) if n_all else min_trades


def window_config(
    config: GenesisConfig,
    candles: Candles,
    window: Window,
    *,
    study_name: str,
    output_dir: str | None = None,
    cache_location: str | None = None,
    resume: bool = False,
) -> GenesisConfig:
    """The config of a plain search on ``window`` of ``candles`` (the config's own bars)."""
    start, end = window.dates(candles)
    data = config.data.model_copy(update={"start": start, "end": end, "fast_window": False})
    min_trades = scaled_min_trades(config.score.min_trades, window.n_bars, len(candles))
    update: dict[str, Any] = {
        "data": data,
        "score": config.score.model_copy(update={"min_trades": min_trades}),
        "validation": type(config.validation)(),
        "study_name": study_name,
        "resume": resume,
    }
    if output_dir is not None:
        update["output_dir"] = output_dir
    if cache_location is not None:
        update["cache"] = config.cache.model_copy(update={"location": cache_location})
    return config.model_copy(update=update)


def window_problem(full: Problem, window: Window, min_trades: int) -> Problem:
    """The problem of the bars of ``window`` alone (:meth:`Problem.on_window`)."""
    return full.on_window(window, min_trades)


def out_of_sample_problem(full: Problem, window: Window, min_trades: int) -> Problem:
    """The problem of an out-of-sample ``window`` (:meth:`Problem.out_of_sample`)."""
    return full.out_of_sample(window, min_trades)


@dataclass(frozen=True)
class Tested:
    """One backtest of chosen params on an out-of-sample window."""

    trial: int
    params: Mapping[str, Any]
    key: str
    score: tuple[float, ...]
    feasible: bool
    metrics: Mapping[str, Any]
    source: str
    """``cache`` when the result cache had it, ``computed`` otherwise, ``failed``."""
    error: str | None = None
    """Why the backtest failed on the window (its score is then empty, never invented)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "trial": self.trial, "key": self.key, "score": list(self.score),
            "feasible": self.feasible, "metrics": dict(self.metrics), "source": self.source,
            "error": self.error,
        }  # fmt: skip


@dataclass
class WindowTester:
    """Backtests params on one window through the result cache (no study, no trial)."""

    problem: Problem
    cache: ResultCache | None
    _results: dict[str, BacktestResult] = field(default_factory=dict)

    def test(self, trial: int, params: Mapping[str, Any]) -> Tested:
        """The window's score and metrics of ``params`` (recorded as trial ``trial``'s)."""
        spec = self.problem.spec(params)
        key = cache_key(spec)
        stored = self._get(key)
        if stored is not None:
            score = stored["score"]
            return Tested(
                trial, dict(spec.params), key, tuple(score["values"]), bool(score["feasible"]),
                stored["metrics"], "cache",
            )  # fmt: skip
        try:
            ev = self.problem.evaluate(spec)
        except (StrategyError, BacktestError) as error:  # the trial fails here, not the run
            metrics = self._metrics(params)
            return Tested(trial, dict(spec.params), key, (), False, metrics, "failed", str(error))
        self._results[key] = ev.result
        self._put(key, spec, ev)
        return Tested(
            trial, dict(spec.params), key, ev.score.values, ev.score.feasible,
            ev.metrics.as_dict(), "computed",
        )  # fmt: skip

    def result(self, tested: Tested) -> BacktestResult:
        """The equity and trades of a tested trial (run again when it came from the cache).

        Its score may be undefined (no trade on the window): the equity still is.
        """
        kept = self._results.get(tested.key)
        return kept if kept is not None else self.problem.simulate(tested.params)

    def _metrics(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The metrics of a backtest whose score is undefined; empty if it cannot run."""
        try:
            return compute_metrics(self.problem.simulate(params)).as_dict()
        except GenesisError:
            return {}

    def close(self) -> None:
        if isinstance(self.cache, WriteBehindCache):
            self.cache.close()

    def _get(self, key: str) -> Payload | None:
        if self.cache is None:
            return None
        try:
            return self.cache.get(key)
        except CacheError:
            return None

    def _put(self, key: str, spec: BacktestSpec, ev: Evaluation) -> None:
        if self.cache is None:
            return
        payload = result_payload(
            key, spec, ev, backtest_path=None, computed_by={"validation": self.problem.window}
        )
        try:
            self.cache.put(key, payload)
        except CacheError as error:
            log.logger.warning("[CACHE] out-of-sample result %s not stored: %s", key[:12], error)


def choose(
    tested: Sequence[Tested], objectives: Sequence[str], in_sample_feasible: Mapping[int, bool]
) -> Tested | None:
    """The champion among backtests on one window (``select_by: out_of_sample``).

    Trials feasible in sample come first (a champion must pass its search's constraints),
    then those feasible out of sample, then the first objective out of sample; None when
    every backtest failed on the window.
    """
    sign = 1.0 if objective_direction(objectives[0]) == "maximize" else -1.0
    scored = [t for t in tested if t.score]
    return min(
        scored,
        key=lambda t: (not in_sample_feasible.get(t.trial), not t.feasible, -sign * t.score[0]),
        default=None,
    )


def curve(result: BacktestResult, ts_ms: Any, max_points: int = 1_500) -> dict[str, list[Any]]:
    """An equity curve thinned to at most ``max_points`` (the last bar always kept)."""
    n = len(result.equity)
    step = max(1, -(-n // max_points))
    idx = list(range(0, n, step))
    if idx and idx[-1] != n - 1:
        idx.append(n - 1)
    return {
        "ts_ms": [int(ts_ms[i]) for i in idx],
        "equity": [round(float(result.equity[i]), 6) for i in idx],
    }


def ranked(records: Sequence[TrialRecord], objectives: Sequence[str]) -> list[TrialRecord]:
    """Distinct COMPLETE trials, best first by the one rule of :mod:`genesis.artifacts.best`.

    A key tried several times counts once, as its first trial.
    """
    seen: set[str] = set()
    distinct = []
    for r in sorted(records, key=lambda r: r.number):
        if r.state == "COMPLETE" and r.values is not None and r.key and r.key not in seen:
            seen.add(r.key)
            distinct.append(r)
    return rank_trials(distinct, [objective_direction(o) for o in objectives])


def search_statistics(
    problem: Problem,
    records: Sequence[TrialRecord],
    payloads: Mapping[str, Payload],
    best: TrialRecord | None,
    n_splits: int,
) -> dict[str, Any]:
    """DSR of ``best`` and PBO over the distinct backtests of one search (see validation)."""
    objectives = list(problem.score_spec.objectives)
    distinct = sorted(ranked(records, objectives), key=lambda r: r.number)
    tried = [
        Tried(params_of(r, payloads), r.metrics.get("sharpe"))
        for r in distinct
        if r.key in payloads
    ]
    empty: dict[str, Any] = {
        "n_trials_counted": len(tried), "deflated_sharpe": None, "pbo": None,
        "statistics_of_trial": best.number if best is not None else None,
    }  # fmt: skip
    if best is None or best.key not in payloads:
        return {**empty, "statistics_error": "no completed trial with a result"}

    log.logger.info(
        "[Validation] overfitting statistics over %d distinct backtests (re-run for PBO)",
        len(tried),
    )
    try:
        stats = overfitting_statistics(
            tried, params_of(best, payloads), problem.simulate,
            bars_per_year=problem.candles.bars_per_year, n_splits=n_splits,
        )  # fmt: skip
    except (GenesisError, ValueError) as error:
        log.logger.warning("[Validation] overfitting statistics not computed: %s", error)
        return {**empty, "statistics_error": str(error)}
    return {**empty, **stats}


def params_of(record: TrialRecord, payloads: Mapping[str, Payload]) -> dict[str, Any]:
    payload = payloads.get(record.key or "")
    if payload is not None:
        return dict(payload["spec"]["params"])
    return dict(record.params)


def in_sample_summary(record: TrialRecord) -> dict[str, Any]:
    """The in-sample side of a trial, for ``best_trial.json`` and ``validation.json``."""
    return {
        "trial": record.number,
        "score": list(record.values or ()),
        "feasible": record.feasible,
        "metrics": dict(record.metrics),
    }
