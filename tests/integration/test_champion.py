"""Champions: a run's best trial kept, and re-run later bit for bit."""

from __future__ import annotations

from pathlib import Path

import pytest

from genesis.api import promote_champion, verify_champion
from genesis.config import config_from_dict
from genesis.errors import ArtifactError
from genesis.optimizer import run_optimizer

CONFIG = {
    "data": {"source": "synthetic:tBTCUSD:1h:5:3000"},
    "strategy": {"name": "ema_cross"},
    "search_space": {
        "fast": {"type": "int", "low": 4, "high": 20, "step": 4},
        "slow": {"type": "int", "low": 30, "high": 90, "step": 30},
    },
    "score": {"objectives": ["total_return_pct"]},
    "optimizer": {"n_trials": 6, "seed": 1},
}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    config = config_from_dict({**CONFIG, "output_dir": str(tmp_path / "out"), "study_name": "s"})
    return run_optimizer(config).run_dir


def test_a_promoted_champion_reproduces_exactly(run_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "champions"
    promote_champion(run_dir, "first", root=root)
    check = verify_champion("first", root=root)
    assert check.reproduced, check.differences
    assert check.score == check.recorded_score and check.key == check.recorded_key


def test_a_changed_setting_is_caught(run_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "champions"
    folder = promote_champion(run_dir, "first", root=root)
    config = folder / "config.yaml"
    config.write_text(config.read_text().replace("fee_bps: 10.0", "fee_bps: 30.0"))
    check = verify_champion("first", root=root)
    assert not check.reproduced
    assert "changed since promotion: fee_bps (10.0 → 30.0)" in check.differences
    assert any(line.startswith("score:") for line in check.differences)


def test_verify_names_a_changed_strategy_version_and_engine(run_dir: Path, tmp_path: Path) -> None:
    import json

    root = tmp_path / "champions"
    folder = promote_champion(run_dir, "first", root=root)
    path = folder / "champion.json"
    champion = json.loads(path.read_text())
    champion["spec"] = {**champion["spec"], "strategy_version": "0", "engine_version": "0"}
    path.write_text(json.dumps(champion))
    lines = verify_champion("first", root=root).differences
    assert any(line.startswith("changed since promotion: strategy version (0 → ") for line in lines)
    assert any(line.startswith("changed since promotion: engine version (0 → ") for line in lines)


def test_verify_names_changed_candles(run_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "champions"
    folder = promote_champion(run_dir, "first", root=root)
    config = folder / "config.yaml"
    config.write_text(
        config.read_text().replace("synthetic:tBTCUSD:1h:5:3000", "synthetic:tBTCUSD:1h:6:3000")
    )
    lines = verify_champion("first", root=root).differences
    assert any(line.startswith("changed since promotion: data (") for line in lines), lines


def test_champion_errors_name_the_problem(run_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "champions"
    promote_champion(run_dir, "first", root=root)
    with pytest.raises(ArtifactError, match="exists already"):
        promote_champion(run_dir, "first", root=root)
    with pytest.raises(ArtifactError, match="no champion named 'nope'"):
        verify_champion("nope", root=root)
    with pytest.raises(ArtifactError, match=r"no best_trial\.json"):
        promote_champion(tmp_path, "other", root=root)


def test_verify_works_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data file sits beside the config; the run's copy of the config names it absolute."""
    import yaml

    from genesis.api import run_optimizer as run_config
    from genesis.data import synthetic_candles, write_candles

    project = tmp_path / "project"
    project.mkdir()
    write_candles(synthetic_candles(seed=5, n_bars=3000), project / "btc.csv")
    config = {**CONFIG, "data": {"source": "btc.csv"}, "output_dir": str(tmp_path / "out")}
    (project / "cfg.yaml").write_text(yaml.safe_dump({**config, "study_name": "s"}))
    monkeypatch.chdir(tmp_path)  # neither the config's folder nor the champion's
    run_dir = run_config(project / "cfg.yaml", report=False).run_dir
    root = tmp_path / "champions"
    promote_champion(run_dir, "first", root=root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    check = verify_champion("first", root=root)
    assert check.reproduced, check.differences
    assert str((project / "btc.csv").resolve()) in (root / "first" / "config.yaml").read_text()


def test_promote_into_a_read_only_folder_is_a_named_user_error(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated: the tests may run as root, whom a read-only mode does not stop."""
    from genesis.errors import ArtifactUsageError

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(ArtifactUsageError, match="Permission denied") as raised:
        promote_champion(run_dir, "first", root=tmp_path / "read_only")
    assert raised.value.exit_code == 2 and raised.value.hint is not None
    assert "--root" in raised.value.hint
