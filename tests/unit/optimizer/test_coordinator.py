"""The coordinator's bookkeeping, on an in-process stand-in for the Dask cluster: a key in
flight is sent once, every asked trial is told once, duplicates get the same real score.

The same coordinator on a real Dask LocalCluster, with SIGKILLs, is tested in
tests/integration/test_cluster.py.
"""

from __future__ import annotations

import csv
import importlib
import uuid
from pathlib import Path
from typing import Any, ClassVar

import optuna
import pytest
from optuna.trial import TrialState

from genesis.config import GenesisConfig, config_from_dict
from genesis.errors import ConfigError
from genesis.optimizer import _dask, coordinator, run_optimizer
from genesis.storage.storage import open_storage


class InlineCluster:
    """Runs the tasks one by one when collected: the others stay in flight (and out of the
    cache) meanwhile."""

    sent: ClassVar[list[str]] = []  # the keys sent to a "worker", in order

    def __init__(self, url: str) -> None:
        self.url = url
        self._pending: list[tuple[str, Any, tuple[Any, ...]]] = []

    def capacity(self) -> int:
        return 3

    def submit(self, fn: Any, rows: list[tuple[Any, ...]], keys: list[str]) -> None:
        for key, args in zip(keys, rows, strict=True):
            InlineCluster.sent.append(args[3])
            self._pending.append((key, fn, args))

    def finished(self) -> list[tuple[str, Any, str | None]]:
        key, fn, args = self._pending.pop(0)
        return [(key, fn(*args), None)]

    def close(self) -> None:
        pass


def _config(tmp_path: Path, n_trials: int, **extra: Any) -> GenesisConfig:
    return config_from_dict({
        "data": {"source": "synthetic:tBTCUSD:1h:3:600"},
        "strategy": {"name": "ema_cross"},
        "search_space": {
            "fast": {"type": "int", "low": 2, "high": 40},
            "slow": {"type": "int", "low": 50, "high": 300},
        },
        "optimizer": {"n_trials": n_trials, "seed": 3, "cluster": "tcp://stand-in:8786"},
        "output_dir": str(tmp_path / "out"), "study_name": "s", **extra,
    })  # fmt: skip


def _rows(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "out" / "s" / "trials.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_key_in_flight_is_sent_once_and_every_trial_is_told_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coordinator, "Cluster", InlineCluster)
    InlineCluster.sent = []
    run_optimizer(_config(tmp_path, 2))
    storage = open_storage(None, tmp_path / "out" / "s")
    study = optuna.load_study(study_name="s", storage=storage)
    for _ in range(3):  # the same new params three times, asked before any result is back
        study.enqueue_trial({"fast": 7, "slow": 77})
    InlineCluster.sent = []

    result = run_optimizer(_config(tmp_path, 6, resume=True))

    rows = _rows(tmp_path)
    assert [r["state"] for r in rows] == ["COMPLETE"] * 6  # the budget: exactly 6 trials
    dup = [r for r in rows if (r["param_fast"], r["param_slow"]) == ("7", "77")]
    assert [r["cache_source"] for r in dup] == ["computed", "memory", "memory"]
    assert len({r["score"] for r in dup}) == 1  # the real score, three times
    # 2 trials before, 3 queued copies of one key, 1 new: 7/77 and the new one are sent.
    assert len(InlineCluster.sent) == len(set(InlineCluster.sent)) == 2
    assert result.stats.unique_backtests == 4
    trial_files = sorted(p.name for p in (tmp_path / "out" / "s" / "trials").iterdir())
    assert len(trial_files) == 4  # one per real backtest, written by the coordinator
    told = optuna.load_study(study_name="s", storage=open_storage(None, tmp_path / "out" / "s"))
    assert all(t.state == TrialState.COMPLETE for t in told.get_trials())


def test_a_second_study_is_answered_from_the_shared_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coordinator, "Cluster", InlineCluster)
    InlineCluster.sent = []
    run_optimizer(
        _config(
            tmp_path,
            4,
            optimizer={
                "n_trials": 4,
                "seed": 3,
                "sampler": "random",
                "cluster": "tcp://stand-in:8786",
            },
        )
    )
    first = InlineCluster.sent
    InlineCluster.sent = []
    config = _config(tmp_path, 4)
    config = config.model_copy(
        update={
            "study_name": "t",
            "optimizer": config.optimizer.model_copy(update={"sampler": "random"}),
        }
    )
    run_optimizer(config)
    assert len(first) == 4
    assert InlineCluster.sent == []  # the same seed asks the same params: all cached
    with (tmp_path / "out" / "t" / "trials.csv").open(newline="") as handle:
        assert [r["cache_source"] for r in csv.DictReader(handle)] == ["cache"] * 4


def test_cluster_and_local_workers_exclude_each_other(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cluster .* or n_workers"):
        config_from_dict({
            "strategy": {"name": "ema_cross"},
            "search_space": {"fast": {"type": "int", "low": 2, "high": 4}},
            "optimizer": {"cluster": "local:2", "n_workers": 2},
        })  # fmt: skip


@pytest.mark.parametrize("url", ["local:0", "local:two", "scheduler:8786"])
def test_a_cluster_is_an_address_or_local_n(url: str) -> None:
    with pytest.raises(ConfigError, match="neither a scheduler address"):
        config_from_dict({
            "strategy": {"name": "ema_cross"},
            "search_space": {"fast": {"type": "int", "low": 2, "high": 4}},
            "optimizer": {"cluster": url},
        })  # fmt: skip


def test_local_n_must_be_a_positive_number() -> None:
    with pytest.raises(ConfigError, match="local:N"):
        _dask.local_workers("local:zero")
    assert _dask.local_workers("local:3") == 3
    assert _dask.local_workers("tcp://host:8786") is None


def test_without_dask_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def missing(name: str, *args: Any) -> Any:
        if name == "distributed":
            raise ImportError("No module named 'distributed'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(ConfigError) as caught:
        _dask.require_distributed()
    assert "genesis[cluster]" in str(caught.value.hint)


@pytest.mark.postgres
def test_the_coordinator_tells_a_postgresql_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    monkeypatch.setattr(coordinator, "Cluster", InlineCluster)
    InlineCluster.sent = []
    name = f"cluster_{uuid.uuid4().hex[:8]}"
    config = _config(tmp_path, 5).model_copy(update={"storage": postgres_url, "study_name": name})
    try:
        result = run_optimizer(config)
        study = optuna.load_study(study_name=name, storage=postgres_url)
        trials = study.get_trials()
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 5
        assert len(InlineCluster.sent) == result.stats.unique_backtests == 5
        assert all(t.user_attrs["cache_source"] == "computed" for t in trials)
        assert all("worker" in t.user_attrs for t in trials)  # its owner, for the sweep
    finally:
        optuna.delete_study(study_name=name, storage=postgres_url)
