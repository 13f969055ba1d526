"""A database URL that cannot work is named at once, in the server's words, with no retry.

An unknown database, an unknown role, a port nobody listens on, a wrong password and a
misspelt scheme, each through the study storage and the SQL result cache. The wrong
password needs a server that asks for one: a private one (``pg_server.PrivateServer``,
scram-sha-256), as the shared test server trusts every local client.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pg_server import PrivateServer, start_private_server  # type: ignore[import-not-found]

from genesis.cache import open_cache
from genesis.errors import CacheError, StorageUsageError, UsageError
from genesis.storage.storage import open_storage

AT_ONCE_S = 5.0
"""Well under the 10 s an outage is waited out when a storage is opened."""


def _with(url: str, *, database: str | None = None, port: int | None = None,
          user: str | None = None) -> str:  # fmt: skip
    """``url`` with its database, port or user replaced."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    changed = parsed.set(
        database=database or parsed.database, port=port or parsed.port,
        username=user or parsed.username,
    )  # fmt: skip
    return changed.render_as_string(hide_password=False)


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again: nothing listens there


def _refusal(open_it: Callable[[str], object], url: str, expected: type[Exception]) -> str:
    """Open ``url`` with ``open_it``; the error's text, after checking it came at once."""
    started = time.monotonic()
    with pytest.raises(expected) as raised:
        open_it(url)
    assert time.monotonic() - started < AT_ONCE_S, "retried as if it were an outage"
    return str(raised.value)


def _opener(kind: str, tmp_path: Path) -> tuple[Callable[[str], object], type[Exception]]:
    """How to open a URL as ``kind`` (a study storage or a result cache), and its error."""
    if kind == "storage":  # a StorageUsageError exits 2: the URL is the user's to fix
        return (lambda url: open_storage(url, tmp_path, retry_s=60.0)), StorageUsageError
    return open_cache, CacheError


@pytest.mark.parametrize("kind", ["storage", "cache"])
def test_an_unknown_database_is_named_at_once(postgres_url: str, tmp_path: Path, kind: str) -> None:
    name = f"genesis_missing_{uuid.uuid4().hex[:8]}"
    url = _with(postgres_url, database=name)
    opener, error = _opener(kind, tmp_path)
    text = _refusal(opener, url, error)
    assert f'database "{name}" does not exist' in text
    assert "did not answer" not in text and "OperationalError" not in text


@pytest.mark.parametrize("kind", ["storage", "cache"])
def test_an_unknown_role_and_a_port_nobody_listens_on_are_named_at_once(
    postgres_url: str, tmp_path: Path, kind: str
) -> None:
    opener, error = _opener(kind, tmp_path)
    text = _refusal(opener, _with(postgres_url, user="genesis_nobody"), error)
    assert 'role "genesis_nobody" does not exist' in text
    port = _unused_port()
    text = _refusal(opener, _with(postgres_url, port=port), error)
    assert f"port {port} failed: Connection refused: nothing listens there" in text


@pytest.mark.parametrize("kind", ["storage", "cache"])
def test_a_misspelt_scheme_gets_a_did_you_mean(tmp_path: Path, kind: str) -> None:
    opener, _ = _opener(kind, tmp_path)
    text = _refusal(opener, "postgress://postgres@127.0.0.1/test", UsageError)
    assert "unknown scheme 'postgress' (did you mean 'postgresql'?)" in text
    assert "plugin" not in text


@pytest.fixture(scope="module")
def password_pg() -> Iterator[PrivateServer]:
    server = start_private_server(password="right-horse")
    yield server
    server.destroy()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["storage", "cache"])
def test_a_wrong_password_is_named_at_once(
    password_pg: PrivateServer, tmp_path: Path, kind: str
) -> None:
    opener, error = _opener(kind, tmp_path)
    assert opener(password_pg.url) is not None  # the right one logs in
    wrong = password_pg.url.replace("right-horse", "wrong-horse")
    text = _refusal(opener, wrong, error)
    assert 'password authentication failed for user "postgres"' in text
    assert "wrong-horse" not in text and "right-horse" not in text  # masked
    text = _refusal(opener, password_pg.url.replace(":right-horse", ""), error)
    assert "no password supplied" in text
