"""Damaged inputs meet the user as one named error with its exit code, never a traceback.

Each case runs the real CLI: a binary config, a damaged or binary study journal, a
strategy whose ``signals()`` returns garbage, a cache entry whose checksum is right but
whose score is not a number. Nothing is lost: a damaged journal is left as it was.
"""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest
from genesis_cli import genesis  # type: ignore[import-not-found]

from genesis.cache._codec import checksum_of, encode_entry
from genesis.cache.key import canonical_json

SYNTH = "data: {source: 'synthetic:tBTCUSD:1h:3:1500'}\n"
SPACE = (
    "search_space:\n  fast: {type: int, low: 2, high: 40}\n"
    "  slow: {type: int, low: 50, high: 300}\n"
    "score: {objectives: [total_return_pct]}\n"
)


def _config(tmp_path: Path, strategy: str = "ema_cross") -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(f"{SYNTH}strategy: {{name: '{strategy}'}}\n{SPACE}")
    return path


def _optimize(tmp_path: Path, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return genesis(
        "optimize", str(config), "--out", str(tmp_path / "out"), "--no-report", *extra,
        cwd=tmp_path,
    )  # fmt: skip


def test_a_binary_config_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "cfg.yaml"
    config.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    result = _optimize(tmp_path, config)
    assert result.returncode == 2, result.stderr
    assert "cfg.yaml: not a text file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "damage",
    [b'{"op_code": 4, "study_id": 0, garbage}\n', b"\x00\xff\xfe\x89PNG\r\n\x1a\n\x00\n"],
    ids=["garbage-line", "binary"],
)
def test_a_damaged_journal_is_a_storage_error_and_is_left_alone(
    tmp_path: Path, damage: bytes
) -> None:
    config = _config(tmp_path)
    assert _optimize(tmp_path, config, "--trials", "3", "--study", "s").returncode == 0
    journal = tmp_path / "out" / "s" / "study.journal"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:3]) + damage + b"".join(lines[3:]))
    before = journal.read_bytes()
    result = _optimize(tmp_path, config, "--trials", "6", "--study", "s", "--resume")
    assert result.returncode == 1, result.stderr
    assert f"{journal}:4: not an Optuna journal record" in result.stderr
    assert "Traceback" not in result.stderr
    assert journal.read_bytes() == before


def test_a_strategy_returning_none_fails_its_trials_with_one_message(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        "from genesis.strategy.builtin import EmaCross\n"
        "class Broken(EmaCross):\n"
        "    name = 'broken'\n"
        "    def signals(self, features, params):\n"
        "        return None\n"
    )
    config = _config(tmp_path, f"{tmp_path / 'broken.py'}:Broken")
    result = _optimize(tmp_path, config, "--trials", "4", "--study", "b")
    assert result.returncode == 1, result.stderr
    said = "signals() returned None, not Signals"
    # one line for the first failure, the others point to it, and the summary repeats it
    assert result.stderr.count(said) == 2, result.stderr
    assert result.stderr.count("the same error as trial #0") == 3, result.stderr
    assert "no trial completed, 4 failed" in result.stderr
    assert "Traceback" not in result.stderr
    with (tmp_path / "out" / "b" / "trials.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["state"] for r in rows] == ["FAIL"] * 4
    assert all(said in r["error"] for r in rows)


@pytest.mark.slow
def test_a_cache_entry_with_a_valid_checksum_and_a_text_score_is_recomputed(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    assert _optimize(tmp_path, config, "--trials", "3", "--study", "a").returncode == 0
    entries = sorted((tmp_path / "out" / "_cache").rglob("*.json"))
    assert entries
    for path in entries:  # rewrite each entry as a buggy writer would: checksum and all
        entry = json.loads(path.read_bytes())
        payload = {**entry["payload"], "score": {**entry["payload"]["score"], "values": ["abc"]}}
        text = canonical_json(payload)
        path.write_bytes(encode_entry(entry["key"], entry["created"], text, checksum_of(text)))
    result = _optimize(tmp_path, config, "--trials", "3", "--study", "b")
    assert result.returncode == 0, result.stderr
    assert "corrupt entry ignored, recomputing" in result.stderr
    assert "not 1 finite number(s)" in result.stderr
    assert "Traceback" not in result.stderr
    stats = json.loads((tmp_path / "out" / "b" / "cache_stats.json").read_text())
    assert stats["corrupt_entries"] >= 1 and stats["completed"] == 3


def test_an_absurd_trial_budget_is_refused_before_the_search(tmp_path: Path) -> None:
    result = _optimize(tmp_path, _config(tmp_path), "--trials", "99999999999999999999999")
    assert result.returncode == 2, result.stderr
    assert "--trials: optimizer.n_trials" in result.stderr
    assert "10000000" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_a_cache_location_under_a_file_is_one_config_error_before_the_search(
    tmp_path: Path,
) -> None:
    (tmp_path / "a_file").write_text("not a directory")
    config = _config(tmp_path)
    config.write_text(config.read_text() + f"cache: {{location: '{tmp_path / 'a_file' / 'c'}'}}\n")
    result = _optimize(tmp_path, config, "--trials", "5")
    assert result.returncode == 2, result.stderr
    assert "cache.location" in result.stderr and "is unusable" in result.stderr
    assert "Not a directory" in result.stderr and "cache.enabled: false" in result.stderr
    assert "corrupt entry" not in result.stderr and "Traceback" not in result.stderr
    assert "trial #" not in result.stderr  # refused before the first trial
