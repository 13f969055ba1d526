"""Results computed while the cache server is down reach the cache once it is back.

A real outage: the run's result cache is a private PostgreSQL server
(``pg_server.PrivateServer``), stopped in the middle of the search and started again a few
seconds later. At the end every unique backtest of the run is in the cache, and the
summary says how many were written late.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_server import PrivateServer, start_private_server  # type: ignore[import-not-found]
from slow_strategy import slow_config  # type: ignore[import-not-found]

from genesis.cache import SqlCache

pytestmark = pytest.mark.slow


@pytest.fixture
def cache_pg() -> Iterator[PrivateServer]:
    server = start_private_server()
    yield server
    server.destroy()


def _count(url: str) -> int:
    try:
        cache = SqlCache(url)
    except Exception:  # the server is starting: not yet
        return 0
    try:
        return sum(1 for _ in cache.entries())
    finally:
        cache.close()


def test_results_computed_during_a_cache_outage_are_stored_once_it_is_back(
    tmp_path: Path, cache_pg: PrivateServer
) -> None:
    config = slow_config(tmp_path, 0.08)
    run = subprocess.Popen(
        [sys.executable, "-m", "genesis", "optimize", str(config), "--trials", "90",
         "--study", "s", "--out", "o", "--no-report"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "GENESIS_CACHE_URL": cache_pg.url},
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while _count(cache_pg.url) < 10 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.1)
    cache_pg.stop()  # the outage: the run goes on, its results cannot be written
    time.sleep(3.0)
    assert run.poll() is None, "the run ended before the cache came back: a longer run"
    cache_pg.start()
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    stats = json.loads((tmp_path / "o" / "s" / "cache_stats.json").read_text())
    assert stats["written_late"] > 0 and stats["not_stored"] == 0
    assert "not stored yet (tried again later)" in stderr
    assert f"cache: {stats['written_late']} results written late" in stdout
    assert _count(cache_pg.url) == stats["unique_backtests"]
