"""The functions users and the CLI call: thin, typed, one per thing a user does."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genesis.config import GenesisConfig, load_config
from genesis.errors import ConfigError
from genesis.evaluate import BacktestSpec, Evaluation, evaluate, make_spec
from genesis.optimizer import OptimizationResult, TrialOutcome, build_problem
from genesis.optimizer import run_optimizer as _run_optimizer


def run_optimizer(
    config: Path | str | GenesisConfig,
    *,
    overrides: Mapping[str, Any] | None = None,
    on_outcome: Callable[[TrialOutcome], None] | None = None,
    report: bool = True,
    worker_index: int = 0,
) -> OptimizationResult:
    """Run the optimization a config file describes, then write its ``report.html``.

    Args:
        config: A YAML file (or an already validated config).
        overrides: Dotted config paths to override, e.g. ``{"optimizer.n_trials": 20}``
            (applied after the ``GENESIS_*`` environment, like command-line flags).
        on_outcome: Called after each trial (for progress displays).
        report: Write ``report.html`` into the run directory at the end.
        worker_index: Offsets the sampler seed; see :func:`genesis.optimizer.run_optimizer`.

    Returns:
        The run directory, the best trial, the cache statistics and why it stopped.
    """
    if not isinstance(config, GenesisConfig):
        config = load_config(config, overrides=overrides)
    elif overrides:
        raise ConfigError("overrides apply to a config file, not to a GenesisConfig")
    result = _run_optimizer(config, on_outcome=on_outcome, worker_index=worker_index)
    if report:
        from genesis.report import write_report

        write_report(result.run_dir)
    return result


@dataclass(frozen=True)
class BacktestReport:
    """One backtest with everything it produced."""

    spec: BacktestSpec
    evaluation: Evaluation
    key: str

    def as_dict(self) -> dict[str, Any]:
        """The full result as JSON-ready data: metrics, score, trades, equity summary."""
        ev = self.evaluation
        trades = ev.result.trades
        equity = ev.result.equity
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
            "equity": {
                "initial": ev.result.initial_capital,
                "final": float(equity[-1]) if len(equity) else ev.result.initial_capital,
                "min": float(equity.min()) if len(equity) else None,
                "max": float(equity.max()) if len(equity) else None,
                "n_bars": len(equity),
            },
            "trades": [
                {
                    "entry_idx": int(trades.entry_idx[i]),
                    "exit_idx": int(trades.exit_idx[i]),
                    "direction": "long" if trades.direction[i] > 0 else "short",
                    "entry_price": float(trades.entry_price[i]),
                    "exit_price": float(trades.exit_price[i]),
                    "size": float(trades.size[i]),
                    "pnl": float(trades.pnl[i]),
                    "return_pct": float(trades.return_pct[i]),
                    "exit_reason": int(trades.exit_reason[i]),
                }
                for i in range(len(trades))
            ],
            "elapsed_s": ev.elapsed_s,
        }


def run_backtest(
    config: Path | str | GenesisConfig,
    params: Mapping[str, Any] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
) -> BacktestReport:
    """One backtest of the config's strategy on its data, with ``params`` over the defaults.

    Params not given take the config's fixed values, then the strategy's defaults (the
    search space is not sampled). The same function scores every optimizer trial.
    """
    from genesis.cache import cache_key

    if not isinstance(config, GenesisConfig):
        config = load_config(config, overrides=overrides)
    problem = build_problem(config)
    merged = {**problem.space.fixed, **(params or {})}
    spec = make_spec(
        problem.strategy, merged, problem.data_fingerprint, problem.settings,
        problem.score_spec, window=problem.window,
    )  # fmt: skip
    evaluation = evaluate(spec, problem.strategy, problem.features)
    return BacktestReport(spec, evaluation, cache_key(spec))


def read_params(text: str) -> dict[str, Any]:
    """Params from a JSON file (``best_trial.json`` or a plain mapping) or inline JSON.

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
        data = data["params"]
    if not isinstance(data, dict):
        raise ConfigError("params must be a JSON object of name: value", where=text)
    return data


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


def promote_champion(run_dir: Path | str, name: str, *, root: Path = CHAMPIONS_DIR) -> Path:
    """Keep a run's best trial as champion ``name``: its params, config, key and score.

    Writes ``root/name/champion.json`` and a copy of the run's resolved ``config.yaml``,
    so that :func:`verify_champion` can reproduce it later without the run directory.

    Raises:
        ArtifactError: the run has no best trial, or the champion already exists.
    """
    import shutil

    from genesis.artifacts import RunDir, write_json
    from genesis.errors import ArtifactError

    run = RunDir(Path(run_dir))
    if not run.best_trial.exists():
        raise ArtifactError(
            "no best_trial.json: no trial of this run completed", where=str(run.root)
        )
    if not name or "/" in name or name.startswith("."):
        raise ArtifactError(f"champion name {name!r} must be a plain directory name")
    target = root / name
    if target.exists():
        raise ArtifactError("champion exists already", where=str(target), hint="pick another name")
    best = json.loads(run.best_trial.read_text(encoding="utf-8"))
    missing = [field for field in ("key", "data_fingerprint", "metrics") if not best.get(field)]
    if missing:
        raise ArtifactError(
            f"the best trial lacks {', '.join(missing)} (its result is in neither the cache "
            "nor a trial file), so it could not be verified later",
            where=str(run.best_trial),
        )
    target.mkdir(parents=True)
    # The config its score was found with: the run's, or a walk-forward's last fold's.
    shutil.copyfile(run.root / str(best.get("config") or "config.yaml"), target / "config.yaml")
    champion = {"name": name, "promoted_from": str(run.root), **best}
    champion.pop("reproduce", None)
    champion["reproduce"] = f"genesis champion verify {name}"
    write_json(target / "champion.json", champion)
    return target


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
    from genesis.errors import ArtifactError

    folder = root / name
    try:
        champion = json.loads((folder / "champion.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"no champion named {name!r}", where=str(root)) from None
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
