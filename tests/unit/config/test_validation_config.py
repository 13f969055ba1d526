"""The validation block: holdout or walk-forward, and how the champion is chosen."""

from __future__ import annotations

from pathlib import Path

import pytest

from genesis.config import load_config
from genesis.errors import ConfigError


def _load(tmp_path: Path, block: str) -> object:
    path = tmp_path / "cfg.yaml"
    path.write_text("optimizer: {n_trials: 5}\n" + block)
    return load_config(path, env={}).validation


def test_no_block_means_no_out_of_sample_check(tmp_path: Path) -> None:
    v = _load(tmp_path, "")
    assert v.method == "none" and v.top_k == 10 and v.select_by == "out_of_sample"  # type: ignore[attr-defined]


def test_the_issue_shapes_validate(tmp_path: Path) -> None:
    v = _load(
        tmp_path,
        "validation:\n  holdout: {split: 2018-01-01}\n  top_k: 5\n  select_by: in_sample\n",
    )
    assert v.method == "holdout" and v.holdout.split == "2018-01-01" and v.top_k == 5  # type: ignore[attr-defined]
    v = _load(tmp_path, "validation:\n  walk_forward: {folds: 4, mode: rolling, test_bars: 500}\n")
    assert v.method == "walk_forward" and v.walk_forward.mode == "rolling"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "validation:\n  holdout: {}\n  walk_forward: {}\n",
            "validation: choose holdout or walk_forward",
        ),
        ("validation:\n  holdout: {test_fraction: 0.3, split: 2018-01-01}\n", "not both"),
        ("validation:\n  holdout: {test_fraction: 1.5}\n", "validation.holdout.test_fraction"),
        ("validation:\n  walk_forward: {folds: 1}\n", "validation.walk_forward.folds"),
        ("validation:\n  walk_forward: {mode: sideways}\n", "validation.walk_forward.mode"),
        ("validation:\n  pbo_splits: 7\n", "must be even"),
        ("validation:\n  select_by: luck\n", "validation.select_by"),
        (
            "validation:\n  holdout: {split: soon}\n",
            "validation.holdout.split: 'soon' is not an ISO",
        ),
        ("validation:\n  walk_forward: {train_bars: 500}\n", "train_bars is for mode: rolling"),
        ("validation:\n  walk_forward: {}\n  select_by: in_sample\n", "select_by is for a holdout"),
        ("validation:\n  select_by: in_sample\n", "select_by need a holdout"),
        ("validation:\n  top_k: 5\n", "top_k need a holdout or a walk_forward"),
    ],
)
def test_a_wrong_block_is_a_config_error_naming_the_field(
    tmp_path: Path, block: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, block)


def test_a_dumped_config_loads_again(tmp_path: Path) -> None:
    from genesis.config import dump_config

    path = tmp_path / "cfg.yaml"
    path.write_text("validation:\n  holdout: {test_fraction: 0.25}\n  top_k: 3\n")
    config = load_config(path, env={})
    for validation in (config.validation, type(config.validation)()):
        again = tmp_path / "again.yaml"
        again.write_text(dump_config(config.model_copy(update={"validation": validation})))
        assert load_config(again, env={}).validation == validation
