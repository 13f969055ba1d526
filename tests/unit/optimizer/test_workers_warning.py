"""More workers than cores: one warning with the numbers, before the search starts."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from genesis.config import config_from_dict
from genesis.optimizer import run_optimizer, workers


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_more_workers_than_cores_warns_with_the_numbers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: {0, 1})
    caplog.set_level(logging.WARNING, logger="genesis")
    workers.warn_if_more_workers_than_cores(2)
    assert warnings_of(caplog) == []
    workers.warn_if_more_workers_than_cores(64)
    (said,) = warnings_of(caplog)
    assert "64 workers on 2 CPU core(s)" in said and "--workers 2 or fewer" in said


@pytest.mark.slow
def test_a_run_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(workers, "usable_cores", lambda: 1)
    caplog.set_level(logging.INFO, logger="genesis")
    config = config_from_dict({
        "data": {"source": "synthetic:tBTCUSD:1h:5:1500"},
        "strategy": {"name": "ema_cross"},
        "search_space": {"fast": {"type": "int", "low": 4, "high": 20}},
        "score": {"objectives": ["total_return_pct"]},
        "optimizer": {"n_trials": 4, "n_workers": 2},
        "output_dir": str(tmp_path / "out"),
    })  # fmt: skip
    run_optimizer(config)
    said = [m for m in warnings_of(caplog) if "CPU core" in m]
    assert len(said) == 1 and "2 workers on 1 CPU core(s)" in said[0]
