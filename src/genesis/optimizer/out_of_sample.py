"""Out-of-sample checks of a search, and the files that record them.

:class:`WindowCheck` backtests a search's top trials on a window it did not see;
:func:`finish` writes ``validation.json``, the champion's ``best_trial.json`` (with its
``validation`` object) and ``trials.csv`` with out-of-sample columns.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from genesis.artifacts import RunDir, TrialRecord, write_json, write_trials_csv
from genesis.config import GenesisConfig
from genesis.data import format_ts
from genesis.metrics import compute_metrics
from genesis.optimizer.export import describe_trial
from genesis.optimizer.lookahead import recheck
from genesis.optimizer.problem import Problem
from genesis.optimizer.runner import OptimizationResult, Search
from genesis.optimizer.session import open_run_cache
from genesis.optimizer.validate import (
    Tested,
    WindowTester,
    curve,
    in_sample_summary,
    out_of_sample_problem,
    params_of,
    ranked,
    scaled_min_trades,
    search_statistics,
)
from genesis.storage import log
from genesis.validation.overfitting import statistics_warnings
from genesis.validation.splits import Window
from genesis.validation.verdict import judge
from genesis.validation.walk_forward import buy_and_hold

OOS_COLUMNS = ("sharpe", "total_return_pct", "max_drawdown_pct", "n_trades")
"""Out-of-sample metrics ``trials.csv`` shows for the re-evaluated trials."""


class WindowCheck:
    """The search's top trials backtested on one out-of-sample window."""

    def __init__(self, tester: WindowTester, tested: list[Tested]) -> None:
        self.tester = tester
        self.tested = tested
        p = tester.problem
        self.traded = p.candles.slice(p.trade_from, len(p.candles))
        self._hold = buy_and_hold(self.traded, p.settings.initial_capital)
        self.buy_and_hold = compute_metrics(self._hold).as_dict()

    def reproduce(self, run: RunDir) -> str:
        """The ``genesis backtest`` command that gives the champion's out-of-sample result.

        Its metrics and score are the ones recorded; its key differs when ``min_trades``
        was scaled to the window (the run's config.yaml has the in-sample value).
        """
        p = self.tester.problem
        first, stop = int(p.candles.ts_ms[0]), int(p.candles.ts_ms[-1]) + 1000
        return " ".join([
            "genesis backtest", shlex.quote(str(run.config)), "--params",
            shlex.quote(str(run.best_trial)), "--start", format_ts(first), "--end",
            format_ts(stop), "--trade-from", format_ts(int(p.candles.ts_ms[p.trade_from])),
        ])  # fmt: skip

    def of(self, trial: int | None) -> Tested | None:
        return next((t for t in self.tested if t.trial == trial), None)

    def curves(self, trial: int | None) -> dict[str, Any]:
        """The equity of ``trial``'s params on the window and of buy-and-hold, thinned."""
        tested = self.of(trial)
        out: dict[str, Any] = {"buy_and_hold": curve(self._hold, self.traded.ts_ms)}
        if tested is not None and tested.metrics:
            out["strategy"] = curve(self.tester.result(tested), self.traded.ts_ms)
        return out


def check_window(search: Search, full: Problem, test: Window, config: GenesisConfig) -> WindowCheck:
    """Backtest the search's top ``top_k`` (distinct, feasible first) on ``test``."""
    top = ranked(search.export.records, config.score.objectives)[: config.validation.top_k]
    min_trades = scaled_min_trades(config.score.min_trades, test.n_bars, len(full.candles))
    tester = WindowTester(out_of_sample_problem(full, test, min_trades), open_run_cache(config))
    try:
        tested = [tester.test(r.number, params_of(r, search.export.payloads)) for r in top]
    finally:
        tester.close()
    log.logger.info(
        "[Validation] %d top trials backtested on %s", len(tested), test.label(full.candles)
    )
    return WindowCheck(tester, tested)


@contextmanager
def validation_phase(run_dir: Path) -> Iterator[None]:
    """Around the work after a search: a Ctrl-C there leaves no stale ``validation.json``.

    The search's own artifacts are already written and consistent with the study; only the
    validation is missing, and ``--resume`` does it again (its backtests are cached).
    """
    try:
        yield
    except KeyboardInterrupt:
        RunDir(run_dir).validation.unlink(missing_ok=True)
        log.logger.warning(
            "[Validation] interrupted: the search's files are complete, the validation is "
            "not; --resume does it again"
        )
        raise


def best_record(search: Search) -> TrialRecord | None:
    """The record of the search's best trial (``best_trial.json``'s, by the one rule)."""
    best = search.export.best
    if best is None:
        return None
    return next((r for r in search.export.records if r.number == best["trial"]), None)


def statistics(search: Search, best: TrialRecord | None, config: GenesisConfig) -> dict[str, Any]:
    """The search's DSR and PBO (see :mod:`genesis.validation.overfitting`), and the
    look-ahead check's findings on the strategy."""
    stats = search_statistics(
        search.problem, search.export.records, search.export.payloads, best,
        config.validation.pbo_splits,
    )  # fmt: skip
    if search.problem.lookahead is not None:
        stats["lookahead"] = dict(search.problem.lookahead)
    return stats


def validation_entry(
    method: str,
    config: GenesisConfig,
    stats: Mapping[str, Any],
    champion: TrialRecord | None,
    *,
    check: WindowCheck | None = None,
    expect_from: TrialRecord | None = None,
) -> dict[str, Any]:
    """The ``validation`` object of ``best_trial.json`` for ``champion``."""
    warnings = statistics_warnings(stats)
    entry: dict[str, Any] = {
        "method": method,
        "select_by": config.validation.select_by if method != "none" else "in_sample",
        "in_sample": in_sample_summary(champion) if champion is not None else None,
        "out_of_sample": None,
        **stats,
        "significant": not warnings,
        "warnings": warnings,
    }
    if check is not None and champion is not None:
        tested = check.of(champion.number)
        entry["out_of_sample"] = tested.as_dict() if tested else None
        expected = check.of(expect_from.number if expect_from else None)
        entry["expected"] = {
            "what": "the in-sample best trial on the out-of-sample window",
            "trial": expected.trial if expected else None,
            "metrics": dict(expected.metrics) if expected else None,
            "in_sample_metrics": dict(expect_from.metrics) if expect_from else None,
        }
        entry["buy_and_hold"] = check.buy_and_hold
    return entry


def _recheck_lookahead(search: Search, entry: dict[str, Any], champion: TrialRecord | None) -> None:
    """Check the champion's and the in-sample best's params too (see ``recheck``)."""
    if search.problem.lookahead is None or (entry.get("lookahead") or {}).get("found"):
        return  # not checked before the search (its caller's choice), or a leak known
    records = {r.number: r for r in (champion, best_record(search)) if r is not None}
    chosen = [params_of(r, search.export.payloads) for r in records.values()]
    found = recheck(search.problem, chosen) if chosen else None
    if found is not None:
        entry["lookahead"] = found


def finish(
    search: Search,
    entry: dict[str, Any],
    champion: TrialRecord | None,
    *,
    check: WindowCheck | None = None,
) -> OptimizationResult:
    """Write ``validation.json``, the validated ``best_trial.json`` and ``trials.csv``."""
    run = RunDir(search.result.run_dir)
    names = list(search.problem.score_spec.objectives)
    best = search.result.best
    if check is not None and entry.get("out_of_sample"):
        entry["out_of_sample"]["reproduce"] = check.reproduce(run)
    _recheck_lookahead(search, entry, champion)
    entry["verdict"] = judge(entry).as_dict()
    if champion is not None:
        best = describe_trial(champion, search.export.payloads, run, names)
        if search.result.best and "pareto_front" in search.result.best:
            best["pareto_front"] = search.result.best["pareto_front"]
        best["verdict"] = entry["verdict"]
        best["validation"] = entry
        write_json(run.best_trial, best)
    document = {**entry}
    if check is not None:
        extra = oos_columns(check.tested, search.export.records)
        write_trials_csv(run.trials_csv, search.export.records, names, extra)
        document["tested"] = tested_pairs(check.tested, search.export.records)
        document["curves"] = check.curves(champion.number if champion else None)
    write_json(run.validation, document)
    return _with(search.result, best, entry)


def tested_pairs(tested: Sequence[Tested], records: Sequence[TrialRecord]) -> list[dict[str, Any]]:
    """The tested trials with their in-sample score beside the out-of-sample one."""
    in_sample = {r.number: list(r.values or ()) for r in records}
    return [{**t.as_dict(), "in_sample_score": in_sample.get(t.trial)} for t in tested]


def oos_columns(
    tested: Sequence[Tested], records: Sequence[TrialRecord]
) -> dict[int, dict[str, Any]]:
    """``trials.csv``'s out-of-sample columns: every trial of a re-evaluated key has them."""
    key_of = {r.number: r.key for r in records}
    by_key: dict[str | None, dict[str, Any]] = {}
    for t in tested:
        by_key[key_of.get(t.trial)] = {
            "oos_score": t.score[0] if t.score else None,
            "oos_feasible": t.feasible if t.score else None,
            "oos_error": t.error,
            **{f"oos_{m}": t.metrics.get(m) for m in OOS_COLUMNS},
        }
    return {r.number: by_key[r.key] for r in records if r.key is not None and r.key in by_key}


def _with(
    result: OptimizationResult, best: dict[str, Any] | None, entry: dict[str, Any]
) -> OptimizationResult:
    return OptimizationResult(
        result.run_dir, result.study_name, best, result.stats, result.n_trials,
        result.stop_reason, entry,
    )  # fmt: skip
