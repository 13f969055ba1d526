"""Reading and writing candle files: column matching, timestamp forms, round trips."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from genesis.data import (
    fingerprint,
    load_candles,
    read_candles_file,
    synthetic_candles,
    write_candles,
)
from genesis.errors import DataError

from ._rows import GOOD_ROWS

EXPECTED_MS = [1_514_764_800_000 + h * 3_600_000 for h in range(4)]


def test_iso_timestamps(write_csv: Callable[..., Path]) -> None:
    candles = load_candles(write_csv(GOOD_ROWS))
    assert candles.ts_ms.tolist() == EXPECTED_MS
    assert candles.close.tolist() == [105, 108, 102, 104]
    assert candles.timeframe == "1h"


@pytest.mark.parametrize("scale", [1, 1000], ids=["epoch-s", "epoch-ms"])
def test_epoch_timestamps_and_odd_column_case(scale: int, write_csv: Callable[..., Path]) -> None:
    rows = [
        f"{ms // 1000 * scale},{row.split(',', 1)[1]}"
        for ms, row in zip(EXPECTED_MS, GOOD_ROWS, strict=True)
    ]
    path = write_csv(rows, header="MTS,Open,HIGH,low,Close,VOLUME")
    assert load_candles(path).ts_ms.tolist() == EXPECTED_MS


def test_other_time_column_names(write_csv: Callable[..., Path]) -> None:
    path = write_csv(GOOD_ROWS, header="Date,open,high,low,close,volume")
    assert load_candles(path).ts_ms.tolist() == EXPECTED_MS


def test_symbol_and_timeframe_from_file_name(write_csv: Callable[..., Path]) -> None:
    candles = load_candles(write_csv(GOOD_ROWS, name="tETHUSD_1h_test.csv"))
    assert (candles.symbol, candles.timeframe) == ("tETHUSD", "1h")


def test_parquet_round_trip_keeps_arrays_symbol_and_timeframe(tmp_path: Path) -> None:
    original = synthetic_candles(n_bars=500, timeframe="4h", symbol="tETHUSD")
    path = write_candles(original, tmp_path / "whatever.parquet")
    loaded = load_candles(path)
    assert (loaded.symbol, loaded.timeframe) == ("tETHUSD", "4h")
    for name in ("ts_ms", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(original, name))
    assert fingerprint(loaded) == fingerprint(original)


def test_csv_round_trip_is_exact_and_looks_like_the_bitfinex_file(tmp_path: Path) -> None:
    original = synthetic_candles(n_bars=300, symbol="tBTCUSD")
    path = write_candles(original, tmp_path / "tBTCUSD_1h.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "timestamp,open,high,low,close,volume"
    assert lines[1].startswith("2017-01-01T00:00:00Z,4000,")
    assert fingerprint(load_candles(path)) == fingerprint(original)


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    candles = synthetic_candles(n_bars=50)
    write_candles(candles, tmp_path / "a.parquet")
    write_candles(candles, tmp_path / "a.parquet")  # overwrite in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet"]


def test_unsupported_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"\.json"):
        read_candles_file(tmp_path / "x.json")
    with pytest.raises(DataError, match="not found"):
        read_candles_file(tmp_path / "missing.csv")
    with pytest.raises(DataError, match=r"\.txt"):
        write_candles(synthetic_candles(n_bars=5), tmp_path / "x.txt")


def test_read_does_not_validate_so_inspect_sees_broken_files(
    write_csv: Callable[..., Path],
) -> None:
    path = write_csv([GOOD_ROWS[1], GOOD_ROWS[0]])
    assert len(read_candles_file(path)) == 2
    with pytest.raises(DataError, match="out of order"):
        load_candles(path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_written_candles_are_readable_by_others_under_the_usual_umask(
    tmp_path: Path, suffix: str
) -> None:
    previous = os.umask(0o022)
    try:
        path = write_candles(synthetic_candles(n_bars=20), tmp_path / f"a{suffix}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not mkstemp's 0600
