"""datadir: Freqtrade's data directory read with its own loaders; missing/broken data named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ftio_support import candle_frame, write_candles

from genesis.errors import DataError
from genesis.freqtrade.datadir import load_dataset


@pytest.mark.parametrize("data_format", ["feather", "parquet", "json", "jsongz"])
def test_every_freqtrade_format_is_read(tmp_path: Path, data_format: str) -> None:
    path = write_candles(tmp_path, "BTC/USDT", data_format=data_format, n_bars=300)
    dataset = load_dataset(tmp_path, ["BTC/USDT"], "1h")  # feather looked for first
    assert dataset.paths["BTC/USDT"] == path
    assert dataset.data_format == data_format
    expected = candle_frame("BTC/USDT", n_bars=300)
    got = dataset.frames["BTC/USDT"]
    assert len(got) == 300
    assert np.allclose(got["close"].to_numpy(), expected["close"].to_numpy())


def test_fingerprint_is_of_the_candles_not_the_file(tmp_path: Path) -> None:
    write_candles(tmp_path / "a", "BTC/USDT", data_format="feather", n_bars=300)
    write_candles(tmp_path / "b", "BTC/USDT", data_format="parquet", n_bars=300)
    write_candles(tmp_path / "c", "BTC/USDT", data_format="feather", n_bars=300, seed=5)
    prints = [load_dataset(tmp_path / d, ["BTC/USDT"], "1h").fingerprint for d in "abc"]
    assert prints[0] == prints[1] != prints[2]


def test_timerange_with_startup_candles_as_freqtrade(tmp_path: Path) -> None:
    write_candles(tmp_path, "BTC/USDT", n_bars=600)
    dataset = load_dataset(
        tmp_path, ["BTC/USDT"], "1h", timerange="20170110-20170115", startup_candles=10
    )
    frame = dataset.frames["BTC/USDT"]
    assert frame["date"].iloc[0] == pd.Timestamp("2017-01-10", tz="UTC") - pd.Timedelta(hours=10)
    assert frame["date"].iloc[-1] <= pd.Timestamp("2017-01-15", tz="UTC")
    assert dataset.timerange.startdt == pd.Timestamp("2017-01-10", tz="UTC")


def test_without_timerange_the_start_moves_past_the_startup_candles(tmp_path: Path) -> None:
    write_candles(tmp_path, "BTC/USDT", n_bars=100)
    dataset = load_dataset(tmp_path, ["BTC/USDT"], "1h", startup_candles=30)
    assert dataset.timerange.startdt == pd.Timestamp("2017-01-01", tz="UTC") + pd.Timedelta(
        hours=30
    )


def test_missing_pair_names_pair_timeframe_and_every_path(tmp_path: Path) -> None:
    write_candles(tmp_path, "BTC/USDT")
    with pytest.raises(DataError) as caught:
        load_dataset(tmp_path, ["BTC/USDT", "XRP/USDT"], "1h")
    text = str(caught.value)
    assert "XRP/USDT" in text and "1h" in text
    for name in (
        "XRP_USDT-1h.feather",
        "XRP_USDT-1h.parquet",
        "XRP_USDT-1h.json",
        "XRP_USDT-1h.json.gz",
    ):
        assert str(tmp_path / name) in text


def test_broken_candle_is_named_with_file_and_date(tmp_path: Path) -> None:
    frame = candle_frame("BTC/USDT", n_bars=100)
    frame.loc[42, "high"] = frame.loc[42, "low"] * 0.5
    path = write_candles(tmp_path, "BTC/USDT", frame=frame)
    with pytest.raises(DataError) as caught:
        load_dataset(tmp_path, ["BTC/USDT"], "1h")
    assert caught.value.where == str(path)
    assert "2017-01-02T18:00" in caught.value.message and "high" in caught.value.message


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "BTC_USDT-1h.feather"
    path.write_bytes(b"\x00garbage")
    with pytest.raises(DataError) as caught:
        load_dataset(tmp_path, ["BTC/USDT"], "1h")
    assert caught.value.where == str(path)


def test_no_candles_in_the_timerange(tmp_path: Path) -> None:
    write_candles(tmp_path, "BTC/USDT", n_bars=100)
    with pytest.raises(DataError, match="in the timerange"):
        load_dataset(tmp_path, ["BTC/USDT"], "1h", timerange="20200101-20200201")


def test_bad_timerange_text(tmp_path: Path) -> None:
    write_candles(tmp_path, "BTC/USDT", n_bars=100)
    with pytest.raises(DataError) as caught:
        load_dataset(tmp_path, ["BTC/USDT"], "1h", timerange="last-week")
    assert caught.value.where == "--timerange"
