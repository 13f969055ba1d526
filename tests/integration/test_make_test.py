"""``make test`` says what it installs and why, and how to run the tests it skips."""

from __future__ import annotations

import os
import subprocess
import sys

from genesis_cli import ROOT  # type: ignore[import-not-found]


def test_make_test_announces_chromium_and_postgresql() -> None:
    dry = subprocess.run(
        ["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    said = dry.stdout
    assert "apt-get" in said and "Chromium" in said and "headless" in said
    assert "GENESIS_TEST_POSTGRES_URL" in said


def test_skipped_postgresql_tests_say_how_to_enable_them() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GENESIS_TEST_POSTGRES_URL", "CI")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/unit/cache/test_sql_cache.py::test_location_hides_the_password"],
        cwd=ROOT, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout
    enable = "set GENESIS_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test to run"
    assert f"needs PostgreSQL: {enable} it" in run.stdout  # the skip's reason (-ra)
    assert f"1 PostgreSQL test(s) skipped: {enable} them" in run.stdout  # the run's last word
