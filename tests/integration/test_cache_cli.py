"""``genesis cache stats|verify|prune|clear`` on a real directory cache and on SQLite."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genesis.cache import DirectoryCache
from genesis.cli import cache as cache_cli
from genesis.errors import UsageError

runner = CliRunner()


def make_key(label: object) -> str:
    return hashlib.sha256(str(label).encode()).hexdigest()


@pytest.fixture
def filled(tmp_path: Path) -> DirectoryCache:
    """A directory cache with three entries, the first one a day old."""
    cache = DirectoryCache(tmp_path / "_cache")
    for i in range(3):
        score = {"values": [i / 10], "constraints": {}}  # a result a run can use
        cache.put(make_key(i), {"score": score, "metrics": {"trades": i}})
    path = cache.path_of(make_key(0))
    day_ago = path.stat().st_mtime - 86400
    os.utime(path, (day_ago, day_ago))
    return cache


def invoke(*args: str) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(cache_cli.app, list(args))
    return result.exit_code, result.output, result.exception


def test_stats_shows_entries_size_and_ages(filled: DirectoryCache) -> None:
    code, output, _ = invoke("stats", "--cache", filled.location)
    assert code == 0
    assert "entries" in output and "3" in output
    assert "total size" in output and "B" in output
    assert "oldest" in output and "newest" in output


def test_verify_ok_then_reports_corrupt_entry_and_exits_1(filled: DirectoryCache) -> None:
    code, output, _ = invoke("verify", "--cache", filled.location)
    assert code == 0
    assert "3 ok, 0 corrupt" in output
    damaged = filled.path_of(make_key(1))
    damaged.write_bytes(damaged.read_bytes()[:20])
    code, output, _ = invoke("verify", "--cache", filled.location)
    assert code == 1
    assert f"corrupt: {damaged}: not valid JSON" in output
    assert "2 ok, 1 corrupt" in output


def test_verify_reports_an_entry_whose_score_is_text_as_a_run_does(
    filled: DirectoryCache,
) -> None:
    key = make_key("oops")
    filled.put(key, {"score": {"values": ["oops"], "constraints": {}}})  # a valid checksum
    code, output, _ = invoke("verify", "--cache", filled.location)
    assert code == 1
    assert f"corrupt: {filled.path_of(key)}: its score values are ['oops']" in output


def test_prune_older_than_keep_and_corrupt(filled: DirectoryCache) -> None:
    code, output, _ = invoke("prune", "--cache", filled.location, "--older-than", "12h")
    assert (code, output.split(" from")[0]) == (0, "removed 1 entry")
    filled.path_of(make_key(2)).write_text("{}")
    code, output, _ = invoke("prune", "--cache", filled.location, "--corrupt")
    assert output.startswith("removed 1 entry")
    code, output, _ = invoke("prune", "--cache", filled.location, "--keep", "0")
    assert output.startswith("removed 1 entry")
    assert list(filled.entries()) == []


def test_prune_rejects_a_bad_duration(filled: DirectoryCache) -> None:
    _, _, error = invoke("prune", "--cache", filled.location, "--older-than", "soon")
    assert isinstance(error, UsageError)
    assert error.exit_code == 2
    assert "30d" in str(error)


def test_clear_without_yes_refuses_when_not_interactive(filled: DirectoryCache) -> None:
    _, _, error = invoke("clear", "--cache", filled.location)
    assert isinstance(error, UsageError)
    assert error.exit_code == 2
    assert "--yes" in str(error)
    assert len(list(filled.entries())) == 3


def test_clear_asks_when_interactive(
    filled: DirectoryCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_cli, "_is_interactive", lambda: True)
    result = runner.invoke(cache_cli.app, ["clear", "--cache", filled.location], input="n\n")
    assert result.exit_code == 1
    assert len(list(filled.entries())) == 3
    result = runner.invoke(cache_cli.app, ["clear", "--cache", filled.location], input="y\n")
    assert result.exit_code == 0
    assert "removed 3 entries" in result.output


def test_clear_yes_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cache.db'}"
    from genesis.cache import SqlCache

    SqlCache(url).put(make_key(1), {"score": 1.0})
    code, output, _ = invoke("clear", "--cache", url, "--yes")
    assert code == 0
    assert output.startswith("removed 1 entry")
    code, output, _ = invoke("verify", "--cache", url)
    assert code == 0 and "0 ok, 0 corrupt" in output


@pytest.mark.parametrize(
    ("text", "seconds"), [("30d", 30 * 86400.0), ("12h", 43200.0), ("90m", 5400.0), ("45", 45.0)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert cache_cli.parse_duration(text) == seconds
