"""Validation end to end: the sampler sees only in-sample bars; holdout, walk-forward and
the overfitting statistics reach best_trial.json, trials.csv, validation.json and the summary."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_cli import genesis  # type: ignore[import-not-found]
from test_optimize import make_config  # type: ignore[import-not-found]

from genesis.config import config_from_dict
from genesis.data import synthetic_candles, write_candles
from genesis.data._candles import Candles
from genesis.optimizer import OptimizationResult, run_optimizer

HOLDOUT = {"holdout": {"test_fraction": 0.3}, "top_k": 4}


def run(out: Path, **changes: Any) -> OptimizationResult:
    return run_optimizer(config_from_dict(make_config(out, **changes)))


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_holdout_tests_the_top_k_out_of_sample_without_adding_trials(tmp_path: Path) -> None:
    result = run(tmp_path, validation=HOLDOUT, **{"score.min_trades": 10})
    table = rows(result.run_dir / "trials.csv")
    assert len(table) == 20  # the out-of-sample backtests are not trials of the study
    tested = [r for r in table if r["oos_score"]]
    keys = {r["key"] for r in tested}
    assert len(keys) == 4  # every trial of a tested key shows its out-of-sample result
    assert all(r["oos_score"] for r in table if r["key"] in keys)
    best = json.loads((result.run_dir / "best_trial.json").read_text())
    v = best["validation"]
    assert v["method"] == "holdout" and v["select_by"] == "out_of_sample"
    assert set(v) >= {"in_sample", "out_of_sample", "deflated_sharpe", "pbo", "n_trials_counted"}
    assert v["n_trials_counted"] == result.stats.unique_backtests
    assert 0.0 <= v["deflated_sharpe"]["probability"] <= 1.0
    assert 0.0 <= v["pbo"]["probability"] <= 1.0
    # The champion is the best out of sample among the tested trials.
    first = {}
    for r in tested:
        first.setdefault(r["key"], r)
    oos = {
        int(r["number"]): float(r["oos_score"]) for r in first.values() if r["feasible"] == "true"
    }
    assert best["trial"] == max(oos, key=lambda n: (oos[n], -n))
    assert v["out_of_sample"]["score"][0] == oos[best["trial"]]
    # min_trades is stated for all the bars: the search on 70 % of them needs 7.
    assert "min_trades: 7" in (result.run_dir / "config.yaml").read_text()
    document = json.loads((result.run_dir / "validation.json").read_text())
    assert len(document["tested"]) == 4
    assert document["curves"]["strategy"]["equity"] and document["curves"]["buy_and_hold"]["equity"]
    # The out-of-sample backtests went through the cache: a second run reads them back.
    again = run(
        tmp_path / "again", validation=HOLDOUT, cache={"location": str(tmp_path / "_cache")},
        **{"score.min_trades": 10},
    )  # fmt: skip
    document = json.loads((again.run_dir / "validation.json").read_text())
    assert {t["source"] for t in document["tested"]} == {"cache"}


def test_in_sample_selection_keeps_the_in_sample_best(tmp_path: Path) -> None:
    result = run(tmp_path, validation={**HOLDOUT, "select_by": "in_sample"})
    table = rows(result.run_dir / "trials.csv")
    complete = [r for r in table if r["state"] == "COMPLETE"]
    best = max(complete, key=lambda r: (float(r["score"]), -int(r["number"])))
    assert result.best is not None and result.best["trial"] == int(best["number"])


def _perturbed(candles: Candles, first: int, seed: int) -> Candles:
    """The same bars, every candle from ``first`` on replaced by another valid one."""
    rng = np.random.default_rng(seed)
    factor = np.ones(len(candles))
    factor[first:] = np.exp(np.cumsum(0.01 * rng.standard_normal(len(candles) - first)))
    o, h, lo, c = (getattr(candles, n) * factor for n in ("open", "high", "low", "close"))
    return Candles(
        ts_ms=candles.ts_ms, open=o, high=np.maximum(h, np.maximum(o, c)),
        low=np.minimum(lo, np.minimum(o, c)), close=c, volume=candles.volume,
        symbol=candles.symbol, timeframe=candles.timeframe,
    )  # fmt: skip


def test_the_sampler_never_sees_an_out_of_sample_candle(tmp_path: Path) -> None:
    candles = synthetic_candles(n_bars=3000, seed=7)
    outcomes = []
    for i, data in enumerate([candles, _perturbed(candles, 2100, seed=1)]):
        path = tmp_path / f"candles_{i}.csv"
        write_candles(data, path)
        result = run(
            tmp_path / f"out_{i}", validation=HOLDOUT, data={"source": str(path)}, study_name="s"
        )
        table = rows(result.run_dir / "trials.csv")
        in_sample = [
            {k: v for k, v in r.items() if not k.startswith("oos_") and k != "duration_s"}
            for r in table
        ]
        outcomes.append((in_sample, [r["oos_score"] for r in table]))
    (first_is, first_oos), (second_is, second_oos) = outcomes
    assert first_is == second_is  # the same params sampled, the same in-sample scores, bit for bit
    assert first_oos != second_oos  # while the out-of-sample bars did change


def test_walk_forward_searches_each_fold_and_stitches_the_tests(tmp_path: Path) -> None:
    folds = {"folds": 3, "mode": "rolling", "train_bars": 1000, "test_bars": 500}
    wf = {"walk_forward": folds, "top_k": 3}
    result = run(tmp_path, validation=wf, **{"optimizer.n_trials": 12})
    folds = sorted((result.run_dir / "folds").iterdir())
    assert [f.name for f in folds] == [f"{result.run_dir.name}-fold{i}" for i in (1, 2, 3)]
    for fold in folds:
        assert len(rows(fold / "trials.csv")) == 12
        assert json.loads((fold / "best_trial.json").read_text())["validation"]["method"] == (
            "walk_forward"
        )
        assert "fast_window: false" in (fold / "config.yaml").read_text()
    v = json.loads((result.run_dir / "validation.json").read_text())
    assert [f["fold"] for f in v["folds"]] == [1, 2, 3]
    assert v["expected"]["folds_tested"] == [1, 2, 3]
    expected = v["expected"]["metrics"]
    growth = np.prod(
        [1 + f["out_of_sample"]["metrics"]["total_return_pct"] / 100 for f in v["folds"]]
    )
    assert expected["total_return_pct"] == pytest.approx(100 * (growth - 1))
    assert v["buy_and_hold"]["n_trades"] == 0
    assert len(v["curves"]["strategy"]["ts_ms"]) == len(v["curves"]["strategy"]["equity"])
    last = json.loads((folds[-1] / "best_trial.json").read_text())
    assert result.best is not None and result.best["params"] == last["params"]
    assert result.stats.total_trials == 36


def test_no_validation_still_reports_the_statistics(tmp_path: Path) -> None:
    result = run(tmp_path)
    v = result.best["validation"]  # type: ignore[index]
    assert v["method"] == "none" and v["out_of_sample"] is None
    assert v["n_trials_counted"] == result.stats.unique_backtests
    assert v["deflated_sharpe"]["n_trials"] == result.stats.unique_backtests
    assert v["pbo"]["n_strategies"] == result.stats.unique_backtests
    assert not (result.run_dir / "trials.csv").read_text().count("oos_")


def _random_walk(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3000
    close = 100.0 * np.exp(np.cumsum(0.01 * rng.standard_normal(n)))
    open_ = np.concatenate(([100.0], close[:-1]))
    spread = 0.003 * close * rng.random(n)
    base = synthetic_candles(n_bars=n, seed=1)
    write_candles(
        Candles(
            ts_ms=base.ts_ms, open=open_, high=np.maximum(open_, close) + spread,
            low=np.minimum(open_, close) - spread, close=close, volume=base.volume,
            symbol="tRWUSD", timeframe="1h",
        ),
        path,
    )  # fmt: skip


def test_a_random_walk_is_said_to_be_not_significant(tmp_path: Path) -> None:
    data = tmp_path / "walk.csv"
    _random_walk(data, seed=11)
    config = make_config(tmp_path / "out", data={"source": str(data), "timeframe": "1h"})
    config["score"] = {"objectives": ["sharpe"]}
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(config))
    out = genesis("optimize", str(path), "--trials", "30", "-q", "--no-report", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Deflated Sharpe Ratio of the in-sample best #" in out.stdout
    assert "Probability of Backtest Overfitting:" in out.stdout
    assert "WARNING: not significant" in out.stdout


def test_holdout_and_walk_forward_together_is_a_config_error(tmp_path: Path) -> None:
    config = make_config(tmp_path, validation={"holdout": {}, "walk_forward": {"folds": 2}})
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(config))
    out = genesis("optimize", str(path), cwd=tmp_path)
    assert out.returncode == 2
    assert "choose holdout or walk_forward, not both" in out.stderr
    assert "Traceback" not in out.stderr
    assert not any(p.is_dir() for p in tmp_path.iterdir())


def test_the_report_shows_the_validation_and_a_walk_forward_links_its_folds(tmp_path: Path) -> None:
    from genesis.report import write_report

    holdout = run(tmp_path / "h", validation=HOLDOUT)
    page = write_report(holdout.run_dir).read_text()
    assert "Validation · holdout" in page and "Deflated Sharpe Ratio" in page
    assert 'id="fig-oos-scatter"' in page and 'id="fig-oos-equity"' in page
    folds = {"folds": 2, "mode": "anchored"}
    wf = run(tmp_path / "w", validation={"walk_forward": folds}, **{"optimizer.n_trials": 8})
    page = write_report(wf.run_dir).read_text()
    assert "Validation · walk-forward" in page and "walk-forward efficiency" in page
    for i in (1, 2):
        link = f"folds/{wf.run_dir.name}-fold{i}/report.html"
        assert link in page and (wf.run_dir / link).is_file()


_EARLY_ONLY = '''
import numpy as np
from genesis.engine.types import Signals
from genesis.strategy import ParamSpec


class EarlyOnly:
    """Trades every ``every`` bars, but only before a fixed time: never out of sample."""

    name = "early_only"
    version = "1"
    params = {"every": ParamSpec("int", 10, 2, 50)}

    def signals(self, features, params):
        n = len(features.close)
        bars = np.arange(n)
        early = features.candles.ts_ms < {cutoff}
        entry = (bars % params["every"] == 0) & early
        return Signals(entry_long=entry, exit_long=(bars % params["every"] == 3))
'''


def test_a_trial_that_cannot_be_scored_out_of_sample_keeps_its_metrics_and_no_score(
    tmp_path: Path,
) -> None:
    strategy = tmp_path / "early.py"
    cutoff = int(synthetic_candles(n_bars=3000, seed=7).ts_ms[1500])  # make_config's data
    strategy.write_text(_EARLY_ONLY.replace("{cutoff}", str(cutoff)))
    result = run(
        tmp_path, validation=HOLDOUT, strategy={"name": f"{strategy}:EarlyOnly", "params": {}},
        search_space={"every": {"type": "int", "low": 4, "high": 40, "step": 4}},
        score={"objectives": ["sharpe"]},
    )  # fmt: skip
    tested = json.loads((result.run_dir / "validation.json").read_text())["tested"]
    assert tested and all(t["source"] == "failed" and t["score"] == [] for t in tested)
    assert all("undefined" in t["error"] and t["metrics"]["n_trades"] == 0 for t in tested)
    table = rows(result.run_dir / "trials.csv")
    assert {r["oos_score"] for r in table if r["oos_error"]} == {""}
    best = json.loads((result.run_dir / "best_trial.json").read_text())
    assert best["validation"]["out_of_sample"]["score"] == []  # nothing invented


def test_a_walk_forward_resumes_every_fold_to_the_new_budget(tmp_path: Path) -> None:
    wf = {"walk_forward": {"folds": 2, "mode": "anchored"}, "top_k": 2}
    first = run(tmp_path, validation=wf, study_name="wf", **{"optimizer.n_trials": 6})
    assert first.stats.total_trials == 12
    again = run(tmp_path, validation=wf, study_name="wf", resume=True, **{"optimizer.n_trials": 9})
    assert again.stats.total_trials == 18
    for i in (1, 2):
        table = rows(tmp_path / "wf" / "folds" / f"wf-fold{i}" / "trials.csv")
        assert [int(r["number"]) for r in table] == list(range(9))
    assert again.best is not None and again.best["validation"]["method"] == "walk_forward"


def test_a_walk_forward_champion_is_promoted_with_its_fold_config_and_verifies(
    tmp_path: Path,
) -> None:
    from genesis.api import promote_champion, verify_champion

    wf = {"walk_forward": {"folds": 2, "mode": "anchored"}, "top_k": 2}
    result = run(tmp_path, validation=wf, **{"optimizer.n_trials": 8})
    promote_champion(result.run_dir, "wf", root=tmp_path / "champions", force=True)
    check = verify_champion("wf", root=tmp_path / "champions")
    assert check.reproduced, check.differences


def test_a_walk_forward_name_reused_without_resume_is_refused_by_its_own_name(
    tmp_path: Path,
) -> None:
    from genesis.errors import ConfigError

    wf = {"walk_forward": {"folds": 2, "mode": "anchored"}}
    run(tmp_path, validation=wf, study_name="wf", **{"optimizer.n_trials": 4})
    with pytest.raises(ConfigError, match="study 'wf' exists already"):
        run(tmp_path, validation=wf, study_name="wf", **{"optimizer.n_trials": 4})


def test_the_out_of_sample_result_is_reproduced_by_its_backtest_command(tmp_path: Path) -> None:
    import shlex

    from genesis.api import read_params, run_backtest

    result = run(tmp_path, validation=HOLDOUT)
    oos = json.loads((result.run_dir / "best_trial.json").read_text())["validation"]
    oos = oos["out_of_sample"]
    words = shlex.split(oos["reproduce"])
    assert words[:2] == ["genesis", "backtest"]
    flags = dict(zip(words[3::2], words[4::2], strict=True))
    report = run_backtest(
        words[2], read_params(flags["--params"]), trade_from=flags["--trade-from"],
        overrides={"data.start": flags["--start"], "data.end": flags["--end"]},
    )  # fmt: skip
    assert report.evaluation.metrics.as_dict() == oos["metrics"]
    assert list(report.evaluation.score.values) == oos["score"]
    out = genesis(*words[1:], cwd=Path.cwd())
    assert out.returncode == 0, out.stderr
