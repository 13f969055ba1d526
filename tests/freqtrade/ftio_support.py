"""Helpers for the ft-io tests: a Freqtrade project in tmp_path (config, strategy, candles)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from genesis.data import synthetic_candles

STRATEGY = """
import talib.abstract as ta
from pandas import DataFrame
from freqtrade.strategy import IStrategy, IntParameter


class {name}(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1h"
    minimal_roi = {{"0": 0.05, "60": 0.02}}
    stoploss = -0.05
    startup_candle_count = 20
    buy_rsi = IntParameter(10, 50, default=30, space="buy")
    sell_rsi = IntParameter(50, 90, default=70, space="sell")

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] < self.buy_rsi.value, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] > self.sell_rsi.value, "exit_long"] = 1
        return dataframe
{extra}
"""


def strategy_source(name: str = "RsiStrategy", extra: str = "") -> str:
    """A small IStrategy file (RSI entry/exit with buy/sell parameters); ``extra`` is appended."""
    return STRATEGY.format(name=name, extra=textwrap.indent(textwrap.dedent(extra), "    "))


def write_strategy(
    directory: Path,
    name: str = "RsiStrategy",
    extra: str = "",
    *,
    source: str | None = None,
    file: str | None = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (file or f"{name.lower()}.py")
    path.write_text(source if source is not None else strategy_source(name, extra))
    return path


def base_config(pairs: list[str], **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "max_open_trades": 2,
        "stake_currency": "USDT",
        "stake_amount": "unlimited",
        "tradable_balance_ratio": 0.99,
        "dry_run_wallet": 1000,
        "fee": 0.001,
        "exchange": {"name": "binance", "pair_whitelist": pairs, "pair_blacklist": []},
        "pairlists": [{"method": "StaticPairList"}],
        "entry_pricing": {"price_side": "same", "use_order_book": False, "order_book_top": 1},
        "exit_pricing": {"price_side": "same", "use_order_book": False, "order_book_top": 1},
    }
    config.update(overrides)
    return config


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2))
    return path


def candle_frame(
    pair: str, timeframe: str = "1h", n_bars: int = 600, seed: int = 1
) -> pd.DataFrame:
    """Synthetic candles with cent prices, as an exchange's (rounding keeps high/low order)."""
    candles = synthetic_candles(symbol=pair, timeframe=timeframe, n_bars=n_bars, seed=seed)
    return pd.DataFrame(
        {
            "date": pd.to_datetime(candles.ts_ms, unit="ms", utc=True),
            "open": candles.open.round(2),
            "high": candles.high.round(2),
            "low": candles.low.round(2),
            "close": candles.close.round(2),
            "volume": candles.volume.round(3),
        }
    )


def write_candles(
    datadir: Path,
    pair: str,
    timeframe: str = "1h",
    frame: pd.DataFrame | None = None,
    data_format: str = "feather",
    **kwargs: Any,
) -> Path:
    """Store candles with Freqtrade's own data handler (as `freqtrade download-data` does)."""
    from freqtrade.data.history.datahandlers import get_datahandler
    from freqtrade.enums import CandleType

    datadir.mkdir(parents=True, exist_ok=True)
    frame = candle_frame(pair, timeframe, **kwargs) if frame is None else frame
    handler = get_datahandler(datadir, data_format)
    handler.ohlcv_store(pair, timeframe, frame, CandleType.SPOT)
    return handler._pair_data_filename(datadir, pair, timeframe, CandleType.SPOT)


def project(
    tmp_path: Path,
    pairs: tuple[str, ...] = ("BTC/USDT", "ETH/USDT"),
    *,
    extra: str = "",
    timeframes: tuple[str, ...] = ("1h",),
    n_bars: int = 600,
    **config: Any,
) -> dict[str, Any]:
    """A config, a strategy dir with RsiStrategy and a datadir with candles for ``pairs``."""
    strategies = tmp_path / "strategies"
    write_strategy(strategies, extra=extra)
    datadir = tmp_path / "data"
    for seed, pair in enumerate(pairs, start=1):
        for tf in timeframes:
            write_candles(datadir, pair, tf, seed=seed, n_bars=n_bars)
    path = write_config(tmp_path / "config.json", base_config(list(pairs), **config))
    return {"config": path, "strategy_path": strategies, "datadir": datadir}


def settings_of(paths: dict[str, Any], *configs: Path, **flags: Any) -> Any:
    """load_settings on a :func:`project` (RsiStrategy), ``configs`` after its config."""
    from genesis.freqtrade.settings import load_settings

    flags.setdefault("strategy", "RsiStrategy")
    flags.setdefault("datadir", paths["datadir"])
    return load_settings([paths["config"], *configs], strategy_path=paths["strategy_path"], **flags)
