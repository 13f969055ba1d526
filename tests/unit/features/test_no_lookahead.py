"""No indicator looks ahead: replacing every bar after t changes none of its values up to t.

The same test the built-in strategies pass (tests/unit/strategy/test_builtins.py), run on
every indicator the store offers, with the params a strategy would use.
"""

from __future__ import annotations

import numpy as np
import pytest

from genesis.data._candles import Candles
from genesis.features import INDICATOR_NAMES, Features

from .conftest import random_walk_candles

PARAMS: dict[str, tuple[float, ...]] = {
    "adx": (14,), "atr": (14,), "bbands": (20, 2.0), "donchian": (20,), "ema": (20,),
    "highest": (20,), "lowest": (20,), "macd": (12, 26, 9), "rsi": (14,), "sma": (20,),
    "stoch": (14, 3, 3), "vwap": (20,),
}  # fmt: skip


def spliced(base: Candles, other: Candles, cut: int) -> Candles:
    """``base`` up to and including bar ``cut``, ``other`` after it (all five columns)."""

    def join(column: str) -> np.ndarray:
        a, b = getattr(base, column), getattr(other, column)
        return np.concatenate((a[: cut + 1], b[cut + 1 :]))

    columns = (join(c) for c in ("open", "high", "low", "close", "volume"))
    return Candles.from_arrays(base.ts_ms, *columns)


def test_every_indicator_has_params_here() -> None:
    assert set(PARAMS) == set(INDICATOR_NAMES)


@pytest.mark.parametrize("name", INDICATOR_NAMES)
@pytest.mark.parametrize("cut", [60, 777, 2_000])
def test_no_look_ahead(name: str, cut: int) -> None:
    base = random_walk_candles(3_000, seed=5)
    other = random_walk_candles(3_000, seed=99, start=float(base.close[cut]) * 1.3)
    changed = spliced(base, other, cut)
    before = Features(base).get(name, *PARAMS[name])
    after = Features(changed).get(name, *PARAMS[name])
    for a, b in zip(*(v if isinstance(v, tuple) else (v,) for v in (before, after)), strict=True):
        np.testing.assert_array_equal(a[: cut + 1], b[: cut + 1])
        assert not np.array_equal(a[cut + 1 :], b[cut + 1 :], equal_nan=True)


@pytest.mark.parametrize("name", ["sma", "ema", "rsi", "macd", "highest"])
def test_no_look_ahead_on_any_series(name: str) -> None:
    """An indicator of a derived series (the spread) is as causal as one of the close."""
    base = random_walk_candles(3_000, seed=5)
    changed = spliced(base, random_walk_candles(3_000, seed=99), 900)
    params = PARAMS[name]
    before = getattr(Features(base), name)(*params, of=base.high - base.low)
    after = getattr(Features(changed), name)(*params, of=changed.high - changed.low)
    for a, b in zip(*(v if isinstance(v, tuple) else (v,) for v in (before, after)), strict=True):
        np.testing.assert_array_equal(a[:901], b[:901])
