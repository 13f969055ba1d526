"""The functions users and the CLI call: thin, typed, one per thing a user does."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesis.config import GenesisConfig, load_config
from genesis.data import Candles
from genesis.errors import ConfigError
from genesis.evaluate import BacktestSpec, Evaluation
from genesis.optimizer import OptimizationResult, Problem, TrialOutcome, build_problem
from genesis.optimizer import run_optimizer as _run_optimizer
from genesis.optimizer.problem import ProblemBuilder

if TYPE_CHECKING:
    import pandas as pd

    from genesis.artifacts.runs import RunDetail, RunSummary


def run_optimizer(
    config: Path | str | GenesisConfig,
    *,
    overrides: Mapping[str, Any] | None = None,
    on_outcome: Callable[[TrialOutcome], None] | None = None,
    report: bool = True,
    worker_index: int = 0,
    build: ProblemBuilder | None = None,
) -> OptimizationResult:
    """Run the optimization a config file describes, then write its ``report.html``.

    Args:
        config: A YAML file (or an already validated config).
        overrides: Dotted config paths to override, e.g. ``{"optimizer.n_trials": 20}``
            (applied after the ``GENESIS_*`` environment, like command-line flags).
        on_outcome: Called after each trial (for progress displays).
        report: Write ``report.html`` into the run directory at the end.
        worker_index: Offsets the sampler seed; see :func:`genesis.optimizer.run_optimizer`.
        build: Makes the problem (default: :func:`problem_builder_for` the config).

    Returns:
        The run directory, the best trial, the cache statistics and why it stopped.
    """
    if not isinstance(config, GenesisConfig):
        config = load_config(config, overrides=overrides)
    elif overrides:
        raise ConfigError("overrides apply to a config file, not to a GenesisConfig")
    build = build or problem_builder_for(config)
    result = _run_optimizer(config, on_outcome=on_outcome, worker_index=worker_index, build=build)
    if report:
        from genesis.report import write_report
        from genesis.storage.log import log_stage

        log_stage("writing report.html")
        write_report(result.run_dir, build=build)
    if config.freqtrade is not None and config.freqtrade.export_params and worker_index == 0:
        from genesis.freqtrade.params_export import export_best

        export_best(config, result.run_dir, build)  # where `freqtrade trade` reads it
    return result


def write_run_report(run_dir: Path | str, *, out: Path | None = None) -> Path:
    """Write the HTML report of a run directory (``genesis report``).

    The best trial is re-run by the problem its ``config.yaml`` needs (genesis's own, or
    an adapter's for a Freqtrade strategy); a config that cannot be read leaves that to
    the report, which says why the backtest is not shown.
    """
    from genesis.errors import GenesisError
    from genesis.report import write_report

    build: ProblemBuilder | None = None
    try:
        build = problem_builder_for(load_config(Path(run_dir) / "config.yaml"))
    except GenesisError:
        build = None
    return write_report(Path(run_dir), out=out, build=build)


def problem_builder_for(config: GenesisConfig) -> ProblemBuilder:
    """What builds ``config``'s problem: genesis's own, or an adapter's for its strategies.

    A ``strategy.name`` ``path/to/file.py:ClassName`` whose file imports freqtrade, or a
    config with a ``freqtrade`` section, is a Freqtrade strategy (:mod:`genesis.freqtrade`,
    imported only then); anything else is genesis's (its own strategy files included).
    """
    from genesis.freqtrade.detect import names_freqtrade_strategy

    freqtrade = config.freqtrade is not None
    if names_freqtrade_strategy(config.strategy.name, has_section=freqtrade):
        from genesis.freqtrade.hyperopt import FtProblemBuilder

        return FtProblemBuilder()  # one loaded strategy for the search, report and export
    return build_problem


@dataclass(frozen=True)
class BacktestReport:
    """One backtest with everything it produced, and the candles it ran on.

    ``equity`` and ``buy_hold`` are pandas Series indexed by each bar's open time (UTC),
    ``trades`` a DataFrame with entry/exit times, side, prices, PnL and the exit reason by
    name (see :mod:`genesis.artifacts.backtest`).
    """

    spec: BacktestSpec
    evaluation: Evaluation
    key: str
    candles: Candles = field(repr=False)

    @property
    def equity(self) -> pd.Series:
        """Equity marked at each close, indexed by the bar's open time."""
        from genesis.artifacts.backtest import equity_series

        return equity_series(self.evaluation.result, self.candles.ts_ms)

    @property
    def buy_hold(self) -> pd.Series:
        """The initial capital held in the asset over the same bars (no costs)."""
        from genesis.artifacts.backtest import buy_hold_series

        return buy_hold_series(self.evaluation.result, self.candles.ts_ms)

    @property
    def trades(self) -> pd.DataFrame:
        """The closed trades, one row each."""
        from genesis.artifacts.backtest import trades_frame

        return trades_frame(self.evaluation.result, self.candles.ts_ms)

    def as_dict(self) -> dict[str, Any]:
        """The full result as JSON-ready data: metrics, score, timestamped equity, trades."""
        from genesis.artifacts.backtest import equity_json, trades_json

        ev = self.evaluation
        return {
            "key": self.key,
            "spec": self.spec.canonical(),
            "score": {
                "values": list(ev.score.values),
                "names": list(ev.score.names),
                "constraints": dict(ev.score.constraints),
                "feasible": ev.score.feasible,
            },
            "metrics": ev.metrics.as_dict(),
            "equity": equity_json(ev.result, self.candles.ts_ms),
            "trades": trades_json(ev.result, self.candles.ts_ms),
            "elapsed_s": ev.elapsed_s,
        }


def run_backtest(
    config: Path | str | GenesisConfig,
    params: Mapping[str, Any] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    trade_from: str | None = None,
) -> BacktestReport:
    """One backtest of the config's strategy on its data, with ``params`` over the defaults.

    Params not given take the config's fixed values, then the strategy's defaults (the
    search space is not sampled). The same function scores every optimizer trial. With
    ``trade_from`` (an ISO date) the account trades from that bar on, flat, and the bars
    before it only warm the indicators up: how a validation tests out of sample. The
    strategy is first checked for look-ahead with these params.

    Raises:
        ConfigError, DataError: the config, the data or ``trade_from`` is wrong.
        StrategyError: the strategy looks ahead (and the config does not allow it).
    """
    from genesis.cache import cache_key

    if not isinstance(config, GenesisConfig):
        config = load_config(config, overrides=overrides)
    from genesis.optimizer.lookahead import guard

    problem = problem_builder_for(config)(config)
    given = {**problem.space.fixed, **(params or {})}
    problem = guard(problem, allowed=config.strategy.allow_lookahead, given=given)
    if trade_from is not None:
        problem = _trading_from(problem, trade_from)
    spec = problem.spec(given)
    evaluation = problem.evaluate(spec)
    traded = problem.candles.slice(problem.trade_from, len(problem.candles))
    return BacktestReport(spec, evaluation, cache_key(spec), traded)


def _trading_from(problem: Problem, date: str) -> Problem:
    """``problem`` trading from the first bar at or after ``date`` (the earlier ones warm up)."""
    import dataclasses

    import numpy as np

    from genesis.data import format_ts, parse_date_ms

    first = int(np.searchsorted(problem.candles.ts_ms, parse_date_ms(date), side="left"))
    if first >= len(problem.candles):
        raise ConfigError(f"--trade-from {date} is after the last bar of the data")
    label = f"{problem.window}|trade_from:{format_ts(int(problem.candles.ts_ms[first]))}"
    return dataclasses.replace(problem, trade_from=first, window=label)


def read_params(text: str) -> dict[str, Any]:
    """Params from a JSON file or inline JSON.

    The file may be a ``best_trial.json``, a trial file (``trials/trial_0005.json``), the
    ``--json`` output of ``genesis backtest``, or a plain mapping of name: value.

    Raises:
        ConfigError: neither a readable file nor a JSON object.
    """
    path = Path(text)
    source = text
    if text.lstrip()[:1] not in ("{", "["):  # inline JSON, else a file
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot read params: {error.strerror}", where=text) from None
    try:
        data = json.loads(source)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"params are not valid JSON: {error.msg} (line {error.lineno})", where=text
        ) from None
    if isinstance(data, dict) and isinstance(data.get("params"), dict):
        data = data["params"]  # best_trial.json, champion.json
    elif isinstance(data, dict) and isinstance((data.get("spec") or {}).get("params"), dict):
        data = data["spec"]["params"]  # a trial file (trials/trial_NNNN.json), a --json output
    if not isinstance(data, dict):
        raise ConfigError("params must be a JSON object of name: value", where=text)
    return data


RESULTS_DIR = Path("results/hparam_search")


def list_runs(out: Path | str = RESULTS_DIR) -> list[RunSummary]:
    """The runs under the results root ``out``, oldest first (see :class:`RunSummary`).

    Raises:
        ArtifactError: ``out`` is not a directory or a run's files are unreadable.
    """
    from genesis.artifacts.runs import list_runs as _list_runs

    return _list_runs(Path(out))


def show_run(run: Path | str, *, out: Path | str = RESULTS_DIR, top: int = 10) -> RunDetail:
    """One run's summary, cache statistics, best and ``top`` trials, and how to go on.

    Args:
        run: A run directory, or the name of one under ``out``.
        out: The results root names are looked up in.
        top: How many of the best trials to include (feasible first, first objective).

    Raises:
        ArtifactError: there is no such run.
    """
    from genesis.artifacts.runs import find_run, run_detail, run_objectives
    from genesis.errors import GenesisError
    from genesis.metrics import objective_direction

    root = find_run(str(run), Path(out))
    try:
        maximize = objective_direction(run_objectives(root)[0]) == "maximize"
    except GenesisError:  # an objective this version does not know: assume maximize
        maximize = True
    return run_detail(root, top=top, maximize=maximize)


CHAMPIONS_DIR = Path("results/champions")


@dataclass(frozen=True)
class ChampionCheck:
    """The outcome of re-running a champion's backtest."""

    name: str
    reproduced: bool
    recorded_score: Any
    score: Any
    recorded_key: str
    key: str
    differences: list[str]


def promote_champion(
    run_dir: Path | str, name: str, *, root: Path = CHAMPIONS_DIR, force: bool = False
) -> Path:
    """Keep a run's best trial as champion ``name``: its params, config, key and score.

    Writes ``root/name/champion.json`` and a copy of the run's resolved ``config.yaml``,
    so that :func:`verify_champion` can reproduce it later without the run directory.
    A best whose verdict is "do not trade" is promoted only with ``force``.

    Raises:
        ArtifactError: the run has no best trial, or the champion already exists.
        UsageError: the verdict is "do not trade" and ``force`` is not set.
    """
    import shutil

    from genesis.artifacts import RunDir, write_json
    from genesis.errors import ArtifactError, ArtifactUsageError

    run = RunDir(Path(run_dir))
    if not run.best_trial.exists():
        raise ArtifactUsageError(
            "no best_trial.json: no trial of this run completed", where=str(run.root)
        )
    if not name or "/" in name or name.startswith("."):
        raise ArtifactUsageError(f"champion name {name!r} must be a plain directory name")
    target = root / name
    if target.exists():
        raise ArtifactUsageError(
            "champion exists already", where=str(target), hint="pick another name"
        )
    best = json.loads(run.best_trial.read_text(encoding="utf-8"))
    _refuse_do_not_trade(best, run.root, force)
    missing = [field for field in ("key", "data_fingerprint", "metrics") if not best.get(field)]
    if missing:
        raise ArtifactError(
            f"the best trial lacks {', '.join(missing)} (its result is in neither the cache "
            "nor a trial file), so it could not be verified later",
            where=str(run.best_trial),
        )
    champion = {"name": name, "promoted_from": str(run.root), **best}
    champion.pop("reproduce", None)
    champion["reproduce"] = f"genesis champion verify {name}"
    try:
        target.mkdir(parents=True)
    except OSError as error:  # a read-only folder, or a file where a folder should be
        raise ArtifactUsageError(
            f"cannot create the champion's folder: {error.strerror}", where=str(target),
            hint="pick a folder you can write with --root",
        ) from None  # fmt: skip
    try:
        # The config its score was found with: the run's, or a walk-forward's last fold's.
        config = run.root / str(best.get("config") or "config.yaml")
        shutil.copyfile(config, target / "config.yaml")
        write_json(target / "champion.json", champion)
    except (OSError, ArtifactError) as error:
        shutil.rmtree(target, ignore_errors=True)  # no half champion: promoting again works
        if isinstance(error, ArtifactError):
            raise
        raise ArtifactError(
            f"cannot write the champion: {error.strerror}", where=str(target)
        ) from None
    return target


def _refuse_do_not_trade(best: Mapping[str, Any], where: Path, force: bool) -> None:
    from genesis.errors import UsageError

    verdict = best.get("verdict") or {}
    if verdict.get("rating") == "do not trade" and not force:
        raise UsageError(
            f"the best trial's verdict is do not trade: {'; '.join(verdict.get('reasons', []))}",
            where=str(where),
            hint="add --force to promote it anyway",
        )


def _spec_changes(champion: Mapping[str, Any], report: BacktestReport) -> list[str]:
    """Which part of the backtest's fingerprint changed since the champion was promoted.

    Names the entry (``data``, ``strategy version``, ``fee_bps``, ``engine version``,
    ``score.min_trades`` …) from the spec recorded in ``best_trial.json``; a champion
    promoted before specs were recorded gets the coarser data / key comparison.
    """
    from genesis.optimizer.fingerprint import changes, spec_entries

    recorded = champion.get("spec")
    if isinstance(recorded, Mapping):
        found = changes(spec_entries(recorded), spec_entries(report.spec.canonical()))
        return [f"changed since promotion: {line}" for line in found]
    differences = []
    if report.spec.data_fingerprint != champion.get("data_fingerprint"):
        differences.append("the candles differ from the ones the champion was found on")
    if report.key != champion.get("key"):
        differences.append("the backtest's key differs (strategy version, costs or engine changed)")
    return differences


def verify_champion(name: str, *, root: Path = CHAMPIONS_DIR) -> ChampionCheck:
    """Re-run champion ``name``'s backtest and compare key, score and metrics exactly.

    Raises:
        ArtifactError: there is no such champion.
    """
    from genesis.errors import ArtifactUsageError

    folder = root / name
    try:
        champion = json.loads((folder / "champion.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactUsageError(f"no champion named {name!r}", where=str(root)) from None
    report = run_backtest(folder / "config.yaml", champion["params"])
    values = list(report.evaluation.score.values)
    score: Any = values[0] if len(values) == 1 else values
    differences = _spec_changes(champion, report)
    metrics = report.evaluation.metrics.as_dict()
    for metric, recorded in champion.get("metrics", {}).items():
        if metrics.get(metric) != recorded:
            differences.append(f"{metric}: recorded {recorded}, now {metrics.get(metric)}")
    if score != champion.get("score"):
        differences.append(f"score: recorded {champion.get('score')}, now {score}")
    return ChampionCheck(
        name, not differences, champion.get("score"), score,
        str(champion.get("key")), report.key, differences,
    )  # fmt: skip
