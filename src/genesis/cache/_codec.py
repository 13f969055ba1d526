"""Payload ⇄ stored text, with the checksum every backend writes and verifies.

A payload is stored as its canonical JSON (:func:`~genesis.cache.key.canonical_json`:
sorted keys, compact, ASCII, no NaN) and the checksum is the SHA-256 of that text. The
backends differ only in where the text goes; the checks on the way back are all here,
so every backend reports damage in the same words.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from genesis.cache.base import ENTRY_FORMAT, Payload
from genesis.cache.key import canonical_json
from genesis.errors import CacheError, CorruptCacheEntry


def checksum_of(text: str) -> str:
    """SHA-256 hex digest of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode()).hexdigest()


def encode_payload(key: str, payload: Payload) -> tuple[str, str]:
    """The canonical text of ``payload`` and its checksum.

    Raises:
        CacheError: ``payload`` is not a dict of JSON values with finite numbers.
    """
    if not isinstance(payload, dict):
        raise CacheError(f"payload for key {key[:12]}… is a {type(payload).__name__}, not a dict")
    try:
        text = canonical_json(payload)
    except (TypeError, ValueError) as error:
        raise CacheError(
            f"payload for key {key[:12]}… is not storable as JSON: {error}",
            hint="store undefined metrics as None, and only str/int/float/bool/list/dict",
        ) from error
    return text, checksum_of(text)


def decode_payload(text: str, checksum: str | None, *, where: str) -> Payload:
    """Parse stored canonical ``text`` after checking it against ``checksum``.

    Raises:
        CorruptCacheEntry: the checksum does not match, or the text is not a JSON object.
    """
    if not isinstance(text, str) or checksum != checksum_of(text):
        raise CorruptCacheEntry(
            "checksum mismatch: the payload was changed or truncated", where=where
        )
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise CorruptCacheEntry(f"payload is not JSON ({error})", where=where) from error
    if not isinstance(payload, dict):
        raise CorruptCacheEntry("payload is not a JSON object", where=where)
    return payload


def check_result(key: str, payload: Payload, n_objectives: int | None = None) -> Payload:
    """``payload`` if it holds a score a run can use, else :class:`CorruptCacheEntry`.

    The one check of a result's content, applied by a run to every entry it reads and by
    ``genesis cache verify`` and ``prune --corrupt``: the checksum proves an entry is as
    written, not that its writer wrote a score.

    Args:
        key: The entry's key (named in the error).
        payload: The decoded payload.
        n_objectives: How many score values the run expects; default: as many as the
            objectives named in the payload's own spec (the key hashes that spec).
    """
    score = payload.get("score")
    values = score.get("values") if isinstance(score, dict) else None
    constraints = score.get("constraints") if isinstance(score, dict) else None
    n = _objectives_in(payload) if n_objectives is None else n_objectives
    counted = isinstance(values, list) and (len(values) == n if n is not None else bool(values))
    if not (counted and all(map(_finite, values))):  # type: ignore[arg-type]
        problem = f"its score values are {values!r}, not {n or 'one or more'} finite number(s)"
    elif not (isinstance(constraints, dict) and all(map(_finite, constraints.values()))):
        problem = f"its constraints are {constraints!r}, not finite numbers by name"
    else:
        return payload
    raise CorruptCacheEntry(problem, where=f"cache entry {key[:12]}…")


def _objectives_in(payload: Payload) -> int | None:
    spec = payload.get("spec")
    score = spec.get("score") if isinstance(spec, dict) else None
    objectives = score.get("objectives") if isinstance(score, dict) else None
    return len(objectives) if isinstance(objectives, list) and objectives else None


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def encode_entry(key: str, created_s: float, text: str, checksum: str) -> bytes:
    """The bytes of one entry file: a small envelope around the canonical payload text."""
    created = json.dumps(created_s)
    return (
        f'{{"format":{ENTRY_FORMAT},"key":"{key}","created":{created},'
        f'"checksum":"{checksum}","payload":{text}}}'
    ).encode()


def decode_entry(raw: bytes, key: str, *, where: str) -> Payload:
    """Check one entry file's envelope and payload; return the payload.

    The checksum is recomputed from the *parsed* payload, so an entry reformatted by hand
    (pretty-printed, keys reordered) still verifies while any changed value does not.

    Raises:
        CorruptCacheEntry: not JSON, wrong format, key mismatch or checksum mismatch.
    """
    try:
        entry: Any = json.loads(raw)
    except ValueError as error:  # includes UnicodeDecodeError
        raise CorruptCacheEntry(f"not valid JSON ({error})", where=where) from error
    if not isinstance(entry, dict):
        raise CorruptCacheEntry("not a JSON object", where=where)
    if entry.get("format") != ENTRY_FORMAT:
        raise CorruptCacheEntry(
            f"format {entry.get('format')!r}, expected {ENTRY_FORMAT}", where=where
        )
    if entry.get("key") != key:
        raise CorruptCacheEntry(f"holds key {entry.get('key')!r}, expected {key}", where=where)
    payload = entry.get("payload")
    if not isinstance(payload, dict):
        raise CorruptCacheEntry("payload is missing or not a JSON object", where=where)
    try:
        actual = checksum_of(canonical_json(payload))
    except ValueError as error:  # NaN/inf literals parse but are not canonical
        raise CorruptCacheEntry(f"payload is not canonical JSON ({error})", where=where) from error
    if entry.get("checksum") != actual:
        raise CorruptCacheEntry("checksum mismatch: the payload was changed", where=where)
    return payload
