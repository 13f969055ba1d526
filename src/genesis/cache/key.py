"""The cache key: a hash of the canonical JSON of a :class:`~genesis.evaluate.BacktestSpec`.

Change anything that changes a score (a param, the strategy version, the candles, fees,
score settings, the window, the engine) and the key changes, so old entries simply stop
matching. Equal params written differently (``10`` vs ``10.0`` for an int param, another
key order) give the same key because the spec is canonical before it is hashed.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only annotated: keeps `import genesis.cache` free of numba and the engine
    from genesis.evaluate import BacktestSpec


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: the one text form that is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def cache_key(spec: BacktestSpec) -> str:
    """The 64-hex-digit SHA-256 key of ``spec``."""
    return hashlib.sha256(canonical_json(spec.canonical()).encode()).hexdigest()
