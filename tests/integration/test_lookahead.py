"""The look-ahead check: every seeded bug caught, every built-in passes, a leak is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lookahead_bugs  # type: ignore[import-not-found]
import pytest
from genesis_cli import genesis  # type: ignore[import-not-found]
from lookahead_bugs import (  # type: ignore[import-not-found]
    BUGS,
    BackfilledWarmUp,
    FixedBarReference,
    HonestExpandingMean,
    OneShortSignals,
    ReturnsADict,
    UnseededRandom,
)

from genesis.data import synthetic_candles
from genesis.strategy import get_strategy, list_strategies, resolve_params
from genesis.strategy.lookahead import N_CUTS, check_lookahead, cut_points, early_cuts

CANDLES = synthetic_candles(n_bars=2_000, seed=5)
BUGS_FILE = Path(lookahead_bugs.__file__)


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_every_seeded_look_ahead_bug_is_caught(bug: type) -> None:
    strategy = bug()
    report = check_lookahead(strategy, CANDLES, [resolve_params(strategy, {})])
    assert report.found, f"{bug.name} was not caught"
    leak = report.leaks[0]
    assert leak.bar < leak.cut <= len(CANDLES) and leak.cut in report.cuts
    assert leak.signal in ("entry_long", "exit_long", "stop_loss")
    text = report.as_dict(CANDLES)["detail"]
    assert f"signal {leak.signal!r} at bar {leak.bar} (" in str(text)
    assert f"when the data ends at bar {leak.cut}" in str(text)


def test_the_seeded_set_is_large_and_the_cuts_many() -> None:
    assert len(BUGS) >= 10 and len({b.name for b in BUGS}) == len(BUGS)
    assert N_CUTS >= 20 and len(cut_points(2_000)) == N_CUTS


@pytest.mark.parametrize("name", list_strategies())
def test_every_builtin_passes(name: str) -> None:
    strategy = get_strategy(name)
    sets = [resolve_params(strategy, {})]
    for bound in ("low", "high"):  # every numeric param at a bound, with long periods capped
        values = {
            n: min(getattr(p, bound), 300) if p.kind == "int" else getattr(p, bound)
            for n, p in strategy.params.items() if p.kind in ("int", "float")
        }  # fmt: skip
        sets.append(resolve_params(strategy, values))
    report = check_lookahead(strategy, CANDLES, sets)
    assert report.n_params >= 2 and not report.found, report.leaks[:1]


def test_an_expanding_mean_is_reported_as_a_short_warm_up() -> None:
    strategy = HonestExpandingMean()
    report = check_lookahead(strategy, CANDLES, [resolve_params(strategy, {})])
    assert not report.found  # no look-ahead: only a memory of the first bar
    assert report.warmup_short and report.warmup_needed is not None
    assert report.warmup_needed > 100 * report.warmup_given


def _config(tmp_path: Path, strategy: str, **extra: object) -> Path:
    config = {
        "data": {"source": "synthetic:tBTCUSD:1h:7:3000", "timeframe": "1h"},
        "strategy": {"name": f"{BUGS_FILE}:{strategy}"},
        "search_space": {"period": {"type": "int", "low": 4, "high": 20, "step": 4}},
        "score": {"objectives": ["sharpe"], "min_trades": 5},
        "optimizer": {"seed": 1, "n_trials": 12, "n_startup_trials": 4},
        "output_dir": str(tmp_path / "out"),
        **extra,
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def test_optimize_refuses_a_strategy_that_looks_ahead(tmp_path: Path) -> None:
    out = genesis("optimize", str(_config(tmp_path, "RollNext")), "-q", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "strategy 'roll_next' looks ahead: signal 'entry_long' at bar" in out.stderr
    assert "changes when the data ends at bar" in out.stderr and "--allow-lookahead" in out.stderr
    assert not (tmp_path / "out").exists()  # refused before any search


def test_an_allowed_look_ahead_run_is_never_a_candidate(tmp_path: Path) -> None:
    holdout = {"holdout": {"test_fraction": 0.3}, "top_k": 3}
    path = _config(tmp_path, "RollNext", validation=holdout, study_name="leak")
    out = genesis("optimize", str(path), "-q", "--no-report", "--allow-lookahead", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    best = json.loads((tmp_path / "out" / "leak" / "best_trial.json").read_text())
    assert best["validation"]["lookahead"]["found"] is True
    assert best["verdict"]["rating"] == "do not trade"
    assert best["verdict"]["reasons"][0].startswith("looks ahead (signal 'entry_long' at bar")
    assert out.stdout.splitlines()[0] == best["verdict"]["line"]
    assert "allow_lookahead: true" in (tmp_path / "out" / "leak" / "config.yaml").read_text()


def test_backtest_refuses_a_look_ahead_unless_allowed(tmp_path: Path) -> None:
    path = _config(tmp_path, "FutureLowStop")
    refused = genesis("backtest", str(path), cwd=tmp_path)
    assert refused.returncode == 2 and "signal 'stop_loss' at bar" in refused.stderr
    allowed = genesis("backtest", str(path), "--allow-lookahead", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    honest = genesis("backtest", str(_config(tmp_path, "HonestExpandingMean")), cwd=tmp_path)
    assert honest.returncode == 0, honest.stderr


def test_a_strategy_that_fails_only_without_the_future_is_a_leak() -> None:
    strategy = FixedBarReference()
    report = check_lookahead(strategy, CANDLES, [resolve_params(strategy, {})])
    assert report.found and report.n_params == 1
    leak = report.leaks[0]
    assert leak.bar == leak.cut - 1 and leak.failed is not None and "IndexError" in leak.failed
    text = str(report.as_dict(CANDLES)["detail"])
    assert f"signals() fails when the data ends at bar {leak.cut} (" in text
    assert "so it reads later bars: IndexError" in text


@pytest.mark.parametrize("bug", [OneShortSignals, ReturnsADict], ids=lambda b: b.name)
def test_output_the_engine_refuses_is_left_to_the_trials_not_called_a_leak(bug: type) -> None:
    strategy = bug()
    report = check_lookahead(strategy, CANDLES, [resolve_params(strategy, {})])
    assert not report.found and report.n_params == 0


def test_a_strategy_that_differs_on_the_same_data_is_named_random_not_a_cut() -> None:
    strategy = UnseededRandom()
    report = check_lookahead(strategy, CANDLES, [resolve_params(strategy, {})])
    assert report.found and report.leaks[0].random and report.leaks[0].cut == len(CANDLES)
    text = str(report.as_dict(CANDLES)["detail"])
    assert "differs between two calls on the same data" in text
    assert "seed its random numbers" in text and "when the data ends" not in text


@pytest.mark.parametrize(
    "validation", [{}, {"holdout": {"test_fraction": 0.3}}, {"walk_forward": {"folds": 2}}]
)
def test_a_leak_the_search_finds_after_the_check_is_never_a_candidate(
    tmp_path: Path, validation: dict[str, Any]
) -> None:
    config = {
        "data": {"source": "synthetic:tBTCUSD:1h:7:4000", "timeframe": "1h"},
        "strategy": {"name": f"{BUGS_FILE}:LeakInOneChoice"},
        "search_space": {
            "period": {"type": "int", "low": 4, "high": 40, "step": 4},
            "mode": {"type": "categorical", "choices": ["a", "b", "c", "d", "e", "f"]},
        },
        "score": {"objectives": ["sharpe"], "min_trades": 5},
        "optimizer": {"seed": 2, "n_trials": 30},
        "validation": validation,
        "output_dir": str(tmp_path / "out"),
        "study_name": "late",
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    out = genesis("optimize", str(path), "-q", "--no-report", cwd=tmp_path)
    assert out.returncode == 0, out.stderr  # the check before the search passed
    best = json.loads((tmp_path / "out" / "late" / "best_trial.json").read_text())
    assert best["params"]["mode"] == "f"  # the search found the leak
    assert best["validation"]["lookahead"]["found"] is True
    assert best["verdict"]["rating"] == "do not trade"
    assert best["verdict"]["reasons"][0].startswith("looks ahead (signal 'entry_long' at bar")
    assert "the search's choice looks ahead" in out.stderr


@pytest.mark.parametrize("n_bars", [1, 2, 3, 7])
def test_the_cuts_of_very_short_data_stay_inside_it(n_bars: int) -> None:
    cuts = cut_points(n_bars)
    assert all(2 <= c < n_bars for c in cuts) and cuts == sorted(set(cuts))
    strategy = get_strategy("ema_cross")
    candles = synthetic_candles(n_bars=n_bars, seed=5)
    report = check_lookahead(strategy, candles, [resolve_params(strategy, {})])
    assert not report.found and report.cuts == (*cuts, *early_cuts(n_bars))


def test_a_warm_up_filled_from_later_bars_is_caught_on_a_short_cut() -> None:
    strategy = BackfilledWarmUp()
    report = check_lookahead(strategy, CANDLES, [resolve_params(strategy, {})])
    assert report.found
    leak = report.leaks[0]
    assert leak.cut in early_cuts(len(CANDLES)) and leak.bar < leak.cut < 200
    assert leak.signal in ("entry_long", "exit_long")
