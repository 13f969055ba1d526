"""Fixtures shared by every test: the PostgreSQL URL.

Tests that need PostgreSQL take ``postgres_url``. Locally they skip (with the reason)
when ``GENESIS_TEST_POSTGRES_URL`` is unset or the server is unreachable, and the end of
the run says how many were skipped and how to run them; under ``CI`` they fail instead,
because CI starts PostgreSQL (``.ci/run``).
"""

from __future__ import annotations

import os

import pytest

from genesis.cache.sql import mask_url

_ENABLE = "set GENESIS_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test to run"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say once, at the end, how many PostgreSQL tests were skipped and how to run them."""
    skipped = terminalreporter.stats.get("skipped", [])
    n = sum("GENESIS_TEST_POSTGRES_URL" in str(report.longrepr) for report in skipped)
    if n:
        terminalreporter.write_line(
            f"{n} PostgreSQL test(s) skipped: {_ENABLE} them (a database you may create "
            "tables in; CI starts one)",
            yellow=True,
        )


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of a reachable PostgreSQL, from ``GENESIS_TEST_POSTGRES_URL``.

    Skips (with the reason) when the variable is unset or the server unreachable, except
    when ``CI`` is set: CI starts PostgreSQL, so there a missing server FAILS the tests.
    """
    url = os.environ.get("GENESIS_TEST_POSTGRES_URL", "")
    in_ci = bool(os.environ.get("CI"))
    if not url:
        reason = f"needs PostgreSQL: {_ENABLE} it"
        if in_ci:
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    import sqlalchemy as sa

    driver_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(driver_url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        reason = f"PostgreSQL at {mask_url(url)} is unreachable: {error.__class__.__name__}"
        if in_ci:
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url
