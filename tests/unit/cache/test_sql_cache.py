"""SqlCache specifics: URLs, masked passwords, errors translated where they enter."""

from __future__ import annotations

from pathlib import Path

import pytest

from genesis.cache import SqlCache
from genesis.cache.sql import mask_url
from genesis.errors import CacheError

KEY = "ab" * 32


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://bob:s3cret@db:5432/x", "postgresql://bob:***@db:5432/x"),
        ("postgresql+psycopg://bob:p%40ss@db/x", "postgresql+psycopg://bob:***@db/x"),
        ("postgresql://bob@db/x", "postgresql://bob@db/x"),
        ("sqlite:///cache.db", "sqlite:///cache.db"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_unreachable_database_is_a_cache_error_without_the_password() -> None:
    with pytest.raises(CacheError) as raised:
        SqlCache("postgresql://bob:s3cret@127.0.0.1:1/nowhere?connect_timeout=2")
    message = str(raised.value)
    assert "s3cret" not in message
    assert "bob:***@127.0.0.1:1/nowhere" in message
    assert "cannot open the result cache" in message


def test_invalid_url_is_a_cache_error() -> None:
    with pytest.raises(CacheError, match="cannot open"):
        SqlCache("nosuchdialect://x/y")


def test_broken_database_file_is_a_cache_error(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    db.write_bytes(b"this is not a sqlite database" * 100)
    with pytest.raises(CacheError, match="cannot open the result cache"):
        SqlCache(f"sqlite:///{db}")


def test_table_name_must_be_plain() -> None:
    with pytest.raises(ValueError, match="table name"):
        SqlCache("sqlite://", table="x; DROP TABLE y")


def test_two_tables_in_one_database_are_separate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cache.db'}"
    first, second = SqlCache(url, table="first_cache"), SqlCache(url, table="second_cache")
    first.put(KEY, {"score": 1.0})
    assert second.get(KEY) is None
    assert first.get(KEY) == {"score": 1.0}
    assert "second_cache" in repr(second)
    first.close()
    second.close()


def test_location_hides_the_password(postgres_url: str) -> None:
    cache = SqlCache(postgres_url, table="genesis_result_cache_location_test")
    try:
        assert cache.location == mask_url(cache.location)  # no password left to mask
        assert cache.location.startswith("postgresql+psycopg://")
    finally:
        import sqlalchemy as sa

        with cache._engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE genesis_result_cache_location_test"))
        cache.close()
