"""No password in any file genesis writes, nor in what it prints; resume reads it again.

A run's ``config.yaml`` (and so the report and a champion's copy) holds database URLs
with the password masked; ``--resume`` on that file asks for the real URL, which
``GENESIS_STORAGE_URL`` / ``GENESIS_CACHE_URL`` (or ``--storage``) give.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from genesis_cli import genesis as run_genesis  # type: ignore[import-not-found]

SECRET = "S3cretPw4genesis"
CONFIG = (
    "data: {source: 'synthetic:tBTCUSD:1h:3:1500'}\n"
    "strategy: {name: ema_cross}\n"
    "search_space:\n  fast: {type: int, low: 2, high: 40}\n"
    "  slow: {type: int, low: 50, high: 300}\n"
    "score: {objectives: [total_return_pct]}\n"
)


def genesis(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = run_genesis(*args, cwd=cwd, env=env)
    return done.returncode, done.stdout + done.stderr


def _with_password(url: str) -> tuple[str, str]:
    """``url`` with a password (its own, or :data:`SECRET` for a trust-auth server)."""
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user, _, password = creds.partition(":")
    password = password or SECRET
    return f"{scheme}://{user}:{password}@{host}", password


def _files_holding(root: Path, secret: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_a_run_that_fails_to_log_in_writes_and_prints_no_password(tmp_path: Path) -> None:
    config = tmp_path / "cfg.yaml"
    url = f"postgresql://genesis:{SECRET}@127.0.0.1:9/nowhere"  # port 9: refused at once
    # storage_retry_s: give up at once instead of waiting out an "outage"
    config.write_text(CONFIG + f"storage: '{url}'\noptimizer: {{storage_retry_s: 1}}\n")
    code, output = genesis("optimize", str(config), "--out", "out", "--study", "f", cwd=tmp_path)
    assert code == 2, output  # a URL nothing answers at is the user's to fix (StorageUsageError)
    assert "postgresql+psycopg://genesis:***@127.0.0.1:9/nowhere" in output
    assert SECRET not in output and "Traceback" not in output
    assert _files_holding(tmp_path, SECRET) == [str(config)]


def test_a_masked_url_asks_for_the_real_one(tmp_path: Path) -> None:
    saved = tmp_path / "config.yaml"  # as a run directory keeps it
    saved.write_text(CONFIG + "storage: 'postgresql://genesis:***@127.0.0.1:9/db'\n")
    code, output = genesis(
        "optimize", str(saved), "--out", "out", "--study", "m", "--resume", cwd=tmp_path
    )
    assert code == 2, output
    assert "storage: postgresql://genesis:***@127.0.0.1:9/db has its password masked" in output
    assert "GENESIS_STORAGE_URL" in output and "Traceback" not in output


@pytest.mark.slow
@pytest.mark.postgres
def test_a_postgresql_run_keeps_its_password_out_of_every_file(
    tmp_path: Path, postgres_url: str
) -> None:
    import uuid

    url, secret = _with_password(postgres_url)
    config = tmp_path / "cfg.yaml"
    config.write_text(CONFIG + f"storage: '{url}'\ncache: {{location: '{url}'}}\n")
    study = f"secret_{uuid.uuid4().hex[:8]}"
    args = ["--out", "out", "--study", study, "--trials", "4"]
    code, output = genesis("optimize", str(config), *args, cwd=tmp_path)
    assert code == 0, output
    run = tmp_path / "out" / study
    assert (run / "report.html").exists() and (run / "best_trial.json").exists()
    assert _files_holding(tmp_path / "out", secret) == []
    assert secret not in output
    env = {"GENESIS_STORAGE_URL": url, "GENESIS_CACHE_URL": url}
    more = ["--out", "out", "--study", study, "--trials", "6", "--resume"]
    code, output = genesis("optimize", str(run / "config.yaml"), *more, cwd=tmp_path, env=env)
    assert code == 0, output
    assert "trials: 6" in output
    assert _files_holding(tmp_path / "out", secret) == []
