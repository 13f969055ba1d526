"""Passwords in database URLs: masked in every file and message genesis writes.

A run directory's ``config.yaml`` holds the storage and cache URLs with the password
replaced by ``***``; the real URL comes again from the original config file, the
``--storage`` flag or ``GENESIS_STORAGE_URL`` / ``GENESIS_CACHE_URL`` (or, better, from
no URL at all: libpq reads ``PGPASSWORD`` and ``~/.pgpass``).
"""

from __future__ import annotations

MASK = "***"


def mask_password(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for files, messages and logs)."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":" + MASK
    return f"{scheme}://{creds}@{host}"


def has_masked_password(url: str) -> bool:
    """Whether ``url`` is one :func:`mask_password` made (it cannot log in)."""
    return "://" in url and "@" in url and mask_password(url) == url and f":{MASK}@" in url
