"""The data fingerprint: changes with any price, the window, symbol or timeframe."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from genesis.data import Candles, fingerprint, synthetic_candles, window


def _with_close(candles: Candles, index: int, value: float) -> Candles:
    close = candles.close.copy()
    close[index] = value
    return Candles.from_arrays(
        candles.ts_ms,
        candles.open,
        candles.high,
        candles.low,
        close,
        candles.volume,
        symbol=candles.symbol,
        timeframe=candles.timeframe,
    )


def test_is_a_16_byte_hex_digest_and_stable() -> None:
    candles = synthetic_candles(n_bars=1_000)
    digest = fingerprint(candles)
    assert re.fullmatch(r"[0-9a-f]{32}", digest)
    assert fingerprint(synthetic_candles(n_bars=1_000)) == digest


def test_changes_when_one_price_changes() -> None:
    candles = synthetic_candles(n_bars=1_000)
    changed = _with_close(candles, 500, float(np.nextafter(candles.close[500], np.inf)))
    assert fingerprint(changed) != fingerprint(candles)


def test_changes_with_the_window() -> None:
    candles = synthetic_candles(n_bars=1_000)
    assert fingerprint(window(candles, last_n=999)) != fingerprint(candles)
    assert fingerprint(window(candles, last_n=1_000)) == fingerprint(candles)


def test_covers_symbol_and_timeframe_but_not_source() -> None:
    candles = synthetic_candles(n_bars=100)
    assert fingerprint(replace(candles, symbol="tETHUSD")) != fingerprint(candles)
    assert fingerprint(replace(candles, timeframe="4h")) != fingerprint(candles)
    assert fingerprint(replace(candles, source="elsewhere.csv")) == fingerprint(candles)
