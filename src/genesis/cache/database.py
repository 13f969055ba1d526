"""What a database URL or a failed connection means, in the user's words.

Shared by the SQL result cache and the study storage (:mod:`genesis.storage.rdb`), so
that both name a wrong URL the same way:

- :func:`check_scheme` answers an unknown scheme with a close match (``postgress://`` →
  did you mean ``postgresql``) instead of SQLAlchemy's "Can't load plugin" error;
- :func:`connect_problem` tells a connection that can never succeed (wrong password,
  unknown role, database or host, nothing listening) from an outage worth waiting out,
  and says what the server said (``database "x" does not exist``).

libpq gives no SQLSTATE for a refused connection, only its message: the server's FATAL
line (English unless the server's ``lc_messages`` says otherwise; an unrecognised one is
treated as an outage, as before) or the client's own words for DNS and TCP failures.
Nothing here imports SQLAlchemy or psycopg.
"""

from __future__ import annotations

import difflib
import re

from genesis.errors import UsageError

_PERMANENT = re.compile(
    r"password authentication failed|no password supplied|authentication failed"
    r'|no pg_hba\.conf entry|(?:database|role) ".*" does not exist'
    r"|failed to resolve host|could not translate host name|name or service not known",
    re.IGNORECASE,
)
"""The server's (or libpq's) words for a connection that no retry can make succeed."""
_REFUSED = "connection refused"
_CANONICAL = {"postgres": "postgresql"}
"""An accepted alias is never the suggestion: ``postgress`` → ``postgresql``."""
_FATAL = re.compile(r"(?:FATAL|ERROR):\s+(.*)")
_CHAIN_DEPTH = 8


def check_scheme(url: str, schemes: tuple[str, ...], *, field: str, usage: str) -> None:
    """Refuse a URL whose scheme is none of ``schemes``, with the closest one as a hint.

    The part after ``+`` (the driver) is ignored: ``postgresql+psycopg`` is ``postgresql``.

    Args:
        url: The URL (a plain path, without ``://``, passes).
        schemes: The schemes that can work here.
        field: The setting the URL came from, named in the error.
        usage: The hint when no scheme is close (what a valid value looks like).

    Raises:
        UsageError: the scheme is unknown (``unknown scheme 'postgress'``).
    """
    if "://" not in url:
        return
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme in schemes:
        return
    close = difflib.get_close_matches(scheme, schemes, n=1, cutoff=0.6)
    hint = f"did you mean {_CANONICAL.get(close[0], close[0])!r}?" if close else usage
    raise UsageError(f"unknown scheme {scheme!r}", where=field, hint=hint)


def connect_problem(error: BaseException, *, refused_is_final: bool) -> str | None:
    """What makes a connection fail for good, in one line, or None if it may be an outage.

    Args:
        error: The error raised by a connection attempt (its causes are searched).
        refused_is_final: Count "connection refused" as final (when a storage is first
            opened nothing listening is more often a wrong host or port than a restart;
            once a run has used the server, it is an outage).
    """
    for text in _messages(error):
        if _PERMANENT.search(text):
            return _server_words(text)
        if refused_is_final and _REFUSED in text.lower():
            words = _server_words(text)
            return f"{words}: nothing listens there, or the server is down"
    return None


def _messages(error: BaseException) -> list[str]:
    """The texts of ``error`` and its causes, innermost first."""
    chain: list[BaseException] = [error]
    while len(chain) < _CHAIN_DEPTH and (nxt := chain[-1].__cause__ or chain[-1].__context__):
        chain.append(nxt)
    return [str(e).strip() for e in reversed(chain) if str(e).strip()]


def _server_words(text: str) -> str:
    """``connection … failed: FATAL:  database "x" does not exist`` → ``database "x" …``."""
    found = _FATAL.search(text)
    words = found.group(1) if found else text.splitlines()[0].removeprefix("connection failed: ")
    return " ".join(words.split()).rstrip(".")


__all__ = ["check_scheme", "connect_problem"]
