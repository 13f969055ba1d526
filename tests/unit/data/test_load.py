"""load_candles: the three source forms and the public surface of genesis.data."""

from __future__ import annotations

from pathlib import Path

import pytest

import genesis.data
from genesis.data import (
    candle_file_path,
    fingerprint,
    load_candles,
    synthetic_candles,
    write_candles,
)
from genesis.errors import DataError


def test_synthetic_source_defaults_and_overrides() -> None:
    default = load_candles("synthetic:tBTCUSD:1h")
    assert (len(default), default.symbol, default.timeframe) == (50_000, "tBTCUSD", "1h")
    small = load_candles("synthetic:tETHUSD:4h:7:300")
    assert fingerprint(small) == fingerprint(
        synthetic_candles(symbol="tETHUSD", timeframe="4h", seed=7, n_bars=300)
    )
    assert len(load_candles("synthetic:tBTCUSD:1h:7")) == 50_000


@pytest.mark.parametrize(
    "source", ["synthetic:", "synthetic:tBTCUSD", "synthetic:X:1h:seed", "synthetic:X:1h:1:0"]
)
def test_bad_synthetic_sources(source: str) -> None:
    with pytest.raises(DataError, match="synthetic"):
        load_candles(source)


def test_exchange_source_reads_the_fetched_file(tmp_path: Path) -> None:
    candles = synthetic_candles(n_bars=100)
    write_candles(candles, candle_file_path(tmp_path, "bitfinex", "tBTCUSD", "1h"))
    loaded = load_candles("exchange:bitfinex:tBTCUSD:1h", data_dir=tmp_path)
    assert fingerprint(loaded) == fingerprint(candles)
    assert (tmp_path / "bitfinex" / "tBTCUSD_1h.parquet").is_file()


def test_missing_exchange_file_hints_at_fetch(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="genesis data fetch tBTCUSD 1h"):
        load_candles("exchange:bitfinex:tBTCUSD:1h", data_dir=tmp_path)


@pytest.mark.parametrize(
    ("exchange", "symbol", "name"),
    [
        ("bitfinex", "tBTCUSD", "tBTCUSD_1h.parquet"),
        ("bitfinex", "BTC/USD", "tBTCUSD_1h.parquet"),
        ("bitfinex", "AAVE/USD", "tAAVE-USD_1h.parquet"),
        ("binance", "BTC/USDT", "BTCUSDT_1h.parquet"),
    ],
)
def test_fetched_file_naming_rule(exchange: str, symbol: str, name: str) -> None:
    assert candle_file_path(Path("d"), exchange, symbol, "1h") == Path("d", exchange, name)


def test_symbol_mismatch_for_named_sources() -> None:
    with pytest.raises(DataError, match="holds tBTCUSD, not tETHUSD"):
        load_candles("synthetic:tBTCUSD:1h:1:10", symbol="tETHUSD")


def test_public_surface() -> None:
    assert sorted(genesis.data.__all__) == sorted(
        name for name in genesis.data.__all__ if hasattr(genesis.data, name)
    )
    for name in ("load_candles", "validate_candles", "fingerprint", "window", "resample"):
        assert name in genesis.data.__all__
