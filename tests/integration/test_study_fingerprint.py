"""A study is continued only under the config it was made with, and only with --resume.

A refusal is a config error (exit 2) that names what changed and writes nothing: no
config.yaml, no trial, no run directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import optuna
import pytest

from genesis.config import config_from_dict
from genesis.errors import ConfigError
from genesis.optimizer import run_optimizer
from genesis.optimizer.fingerprint import FINGERPRINT_ATTR
from genesis.storage.storage import open_storage

CONFIG: dict[str, Any] = {
    "data": {"source": "synthetic:tBTCUSD:1h:5:3000"},
    "strategy": {"name": "ema_cross"},
    "search_space": {
        "fast": {"type": "int", "low": 4, "high": 20, "step": 4},
        "slow": {"type": "int", "low": 30, "high": 90, "step": 30},
    },
    "score": {"objectives": ["total_return_pct"]},
    "optimizer": {"n_trials": 4, "seed": 1},
}


def config(out: Path, *, resume: bool = False, **sections: Any) -> Any:
    merged = {**CONFIG, **sections, "output_dir": str(out), "study_name": "s", "resume": resume}
    return config_from_dict(merged)


def n_trials(run_dir: Path) -> int:
    study = optuna.load_study(study_name=run_dir.name, storage=open_storage(None, run_dir))
    return len(study.trials)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"data": {"source": "synthetic:tBTCUSD:1h:5:3000", "start": "2017-02-01"}}, "data window"),
        ({"backtest": {"fee_bps": 25.0}}, "fee_bps (10.0 → 25.0)"),
        (
            {
                "search_space": {
                    **CONFIG["search_space"],
                    "fast": {"type": "int", "low": 4, "high": 24, "step": 4},
                }
            },
            "search_space.fast",
        ),
        ({"score": {"objectives": ["sharpe"]}}, "objectives"),
    ],
)
def test_a_changed_config_is_refused_with_or_without_resume_and_writes_nothing(
    tmp_path: Path, change: dict[str, Any], named: str
) -> None:
    first = run_optimizer(config(tmp_path))
    written = first.run_dir.joinpath("config.yaml").read_text()
    files = sorted(p.name for p in first.run_dir.rglob("*"))
    for resume in (True, False):
        with pytest.raises(ConfigError, match=r"another config|exists already") as error:
            run_optimizer(config(tmp_path, resume=resume, **change))
        assert named in error.value.message
    assert first.run_dir.joinpath("config.yaml").read_text() == written
    assert sorted(p.name for p in first.run_dir.rglob("*")) == files
    assert n_trials(first.run_dir) == 4


def test_the_same_config_resumes_and_extra_workers_join(tmp_path: Path) -> None:
    first = run_optimizer(config(tmp_path))
    study = optuna.load_study(study_name="s", storage=open_storage(None, first.run_dir))
    assert study.user_attrs[FINGERPRINT_ATTR]["fee_bps"] == 10.0
    more = {**CONFIG["optimizer"], "n_trials": 10, "n_workers": 2}
    again = run_optimizer(config(tmp_path, resume=True, optimizer=more))
    assert again.stats.total_trials >= 10
    assert n_trials(first.run_dir) >= 10


def _genesis(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "genesis", *args, "--out", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_the_cli_refuses_with_exit_2_and_says_what_to_do(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(json.dumps(CONFIG))  # JSON is YAML
    first = _genesis(tmp_path, "optimize", str(cfg), "--study", "s", "-q", "--no-report")
    assert first.returncode == 0, first.stderr
    written = (tmp_path / "out" / "s" / "config.yaml").read_text()

    again = _genesis(tmp_path, "optimize", str(cfg), "--study", "s", "-q")
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert "exists already" in again.stderr and "--resume" in again.stderr
    assert "another --study" in again.stderr

    cfg.write_text(json.dumps({**CONFIG, "backtest": {"fee_bps": 30}}))
    changed = _genesis(tmp_path, "optimize", str(cfg), "--study", "s", "--resume", "-q")
    assert changed.returncode == 2 and "Traceback" not in changed.stderr
    assert "fee_bps (10.0 → 30.0)" in changed.stderr
    assert (tmp_path / "out" / "s" / "config.yaml").read_text() == written
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["_cache", "s"]


def test_each_walk_forward_fold_has_its_own_fingerprint_and_refuses_a_change(
    tmp_path: Path,
) -> None:
    walk = {"walk_forward": {"folds": 2, "mode": "anchored"}}
    first = run_optimizer(config(tmp_path, validation=walk))
    folds = sorted((first.run_dir / "folds").iterdir())
    windows = set()
    for fold in folds:
        study = optuna.load_study(study_name=fold.name, storage=open_storage(None, fold))
        windows.add(study.user_attrs[FINGERPRINT_ATTR]["data window"])
    assert len(folds) == 2 and len(windows) == 2  # one study per fold, over its own window

    def files() -> list[tuple[Path, int]]:  # the journal's lock comes and goes: not a write
        return sorted((p, p.stat().st_mtime_ns) for p in first.run_dir.rglob("*") if p.is_file())

    before = files()
    with pytest.raises(ConfigError, match=r"fee_bps \(10.0 → 20.0\)"):
        run_optimizer(config(tmp_path, resume=True, validation=walk, backtest={"fee_bps": 20.0}))
    assert files() == before
