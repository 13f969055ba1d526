"""A study's config fingerprint: what it holds, and how a change is named."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import optuna
import pytest

from genesis.config import config_from_dict
from genesis.errors import ConfigError
from genesis.evaluate import make_spec
from genesis.optimizer import build_problem
from genesis.optimizer.fingerprint import (
    FINGERPRINT_ATTR,
    changes,
    remember_fingerprint,
    spec_entries,
    study_fingerprint,
)
from genesis.storage.storage import open_storage

BASE: dict[str, Any] = {
    "data": {"source": "synthetic:tBTCUSD:1h:7:3000"},
    "strategy": {"name": "ema_cross", "params": {"allow_short": True}},
    "search_space": {
        "fast": {"type": "int", "low": 4, "high": 40, "step": 4},
        "slow": {"type": "int", "low": 50, "high": 200, "step": 25},
    },
    "score": {"objectives": ["total_return_pct"], "min_trades": 5},
}


def fingerprint(**sections: Any) -> dict[str, Any]:
    config = config_from_dict({**BASE, **sections})
    return study_fingerprint(config, build_problem(config))


def test_each_kind_of_change_is_named() -> None:
    base = fingerprint()
    window = changes(base, fingerprint(data={**BASE["data"], "start": "2017-02-01"}))
    assert any(c.startswith("data window (all → 2017-02-01..)") for c in window), window
    assert any(c.startswith("data (") for c in window)  # other candles too
    fees = changes(base, fingerprint(backtest={"fee_bps": 25.0}))
    assert fees == ["fee_bps (10.0 → 25.0)"]
    space = {**BASE["search_space"], "fast": {"type": "int", "low": 4, "high": 48, "step": 4}}
    assert [c.split(" ")[0] for c in changes(base, fingerprint(search_space=space))] == [
        "search_space.fast"
    ]
    score = changes(base, fingerprint(score={"objectives": ["sharpe"], "min_trades": 5}))
    assert [c.split(" ")[0] for c in score] == ["objectives"]
    fixed = changes(base, fingerprint(strategy={"name": "ema_cross", "params": {}}))
    assert [c.split(" ")[0] for c in fixed] == ["strategy.params.allow_short"]
    assert changes(base, fingerprint()) == []


def test_the_fingerprint_is_the_cache_key_minus_the_params_plus_the_space() -> None:
    config = config_from_dict(BASE)
    problem = build_problem(config)
    spec = make_spec(
        problem.strategy, {"fast": 8, "slow": 50}, problem.data_fingerprint,
        problem.settings, problem.score_spec, window=problem.window,
    )  # fmt: skip
    entries = spec_entries(spec.canonical())
    assert "params" not in entries and "fast" not in entries
    assert {"data", "data window", "strategy", "strategy version", "engine version"} <= set(entries)
    assert {"fee_bps", "slippage_bps", "objectives", "score.min_trades"} <= set(entries)
    assert entries.items() <= study_fingerprint(config, problem).items()


def test_a_study_keeps_its_first_fingerprint_and_refuses_another() -> None:
    study = optuna.create_study(study_name="f")
    remember_fingerprint(study, fingerprint())
    assert study.user_attrs[FINGERPRINT_ATTR] == fingerprint()
    remember_fingerprint(study, fingerprint())  # the same config: fine
    with pytest.raises(ConfigError, match=r"study 'f' was made with another config.*fee_bps"):
        remember_fingerprint(study, fingerprint(backtest={"fee_bps": 1.0}))


def test_a_study_made_before_fingerprints_adopts_this_configs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    study = optuna.create_study(study_name="old")
    study.optimize(lambda t: t.suggest_int("x", 0, 3), n_trials=1)
    with caplog.at_level("WARNING", logger="genesis"):
        remember_fingerprint(study, fingerprint())
    assert "has no config fingerprint" in caplog.text
    assert study.user_attrs[FINGERPRINT_ATTR] == fingerprint()


def test_a_joining_worker_waits_for_the_study_then_gives_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from genesis.artifacts import RunDir
    from genesis.optimizer import fingerprint as module

    monkeypatch.setattr(module, "JOIN_WAIT_S", 0.6)
    journal = f"journal:{tmp_path / 'shared.journal'}"
    config = config_from_dict({**BASE, "storage": journal, "output_dir": str(tmp_path)})
    problem = build_problem(config)
    run = RunDir(tmp_path / "j")
    with pytest.raises(ConfigError, match="no study 'j' to join"):
        module.check_study(config, problem, run, joining=True)
    assert not run.root.exists()

    def create_later() -> None:
        time.sleep(0.2)
        storage = open_storage(journal, run.root)
        optuna.create_study(study_name="j", storage=storage)

    maker = threading.Thread(target=create_later)
    maker.start()
    module.check_study(config, problem, run, joining=True)  # found it: no error
    maker.join()
    with pytest.raises(ConfigError, match="exists already"):
        module.check_study(config, problem, run, joining=False)
