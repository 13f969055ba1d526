"""SignalSource: indicators once per pair and window (on disk), signals once per parameter set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import talib.abstract as ta
from ftio_support import candle_frame, project, settings_of, strategy_source, write_strategy

from genesis.errors import DataError, StrategyError
from genesis.freqtrade.loading import load_strategy
from genesis.freqtrade.signals import SignalSource

COUNTING = """
indicator_calls = []
entry_calls = []

def populate_indicators(self, dataframe, metadata):
    self.indicator_calls.append(metadata["pair"])
    dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
    return dataframe

def populate_entry_trend(self, dataframe, metadata):
    self.entry_calls.append(metadata["pair"])
    dataframe.loc[dataframe["rsi"] < self.buy_rsi.value, "enter_long"] = 1
    return dataframe
"""

INFORMATIVE = """
from pandas import DataFrame
from freqtrade.strategy import IStrategy, informative, merge_informative_pair


class InfStrategy(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1h"
    minimal_roi = {"0": 0.05}
    stoploss = -0.05
    startup_candle_count = 10

    def informative_pairs(self):
        return [("ETH/USDT", "4h")]

    @informative("4h")
    def populate_indicators_4h(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["mark"] = dataframe["close"]
        return dataframe

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        eth = self.dp.get_pair_dataframe("ETH/USDT", "4h")
        eth["eth"] = eth["close"]
        dataframe = merge_informative_pair(dataframe, eth[["date", "eth"]], "1h", "4h", ffill=True)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["close"] > dataframe["mark_4h"], "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe
"""


def source(tmp_path: Path, extra: str = COUNTING, cache: bool = True, **kw: Any) -> SignalSource:
    paths = project(tmp_path, extra=extra, **kw)
    settings = settings_of(paths)
    return SignalSource(load_strategy(settings), settings, tmp_path / "cache" if cache else None)


def test_entries_are_the_strategys_on_the_trimmed_window(tmp_path: Path) -> None:
    signals = source(tmp_path, extra="")
    frames = signals.pair_frames()
    assert [f.pair for f in frames] == ["BTC/USDT", "ETH/USDT"]
    raw = candle_frame("BTC/USDT", seed=1)
    rsi = ta.RSI(raw, timeperiod=14)
    expected = (rsi < 30).to_numpy()[20:]  # startup_candle_count = 20 trimmed
    btc = frames[0].frame
    assert len(btc) == len(raw) - 20
    assert btc["date"].iloc[0] == raw["date"].iloc[20] == signals.start
    assert signals.end == raw["date"].iloc[-1]
    assert np.array_equal(btc["enter_long"].fillna(0).to_numpy() == 1, expected)
    assert expected.sum() > 0
    assert frames[0].price_ticks is not None and len(frames[0].price_ticks) == len(btc)


def test_indicators_once_signals_once_per_parameter_set(tmp_path: Path) -> None:
    signals = source(tmp_path)
    strategy = signals._strategy
    assert strategy.indicator_calls == ["BTC/USDT", "ETH/USDT"]
    first = signals.pair_frames({"buy_rsi": 30, "stoploss": -0.1})
    again = signals.pair_frames({"buy_rsi": 30})
    assert again is first
    wider = signals.pair_frames({"buy_rsi": 45})
    assert strategy.buy_rsi.value == 45
    assert wider[0].frame["enter_long"].sum() > first[0].frame["enter_long"].sum()
    assert strategy.entry_calls == ["BTC/USDT", "ETH/USDT"] * 2
    assert strategy.indicator_calls == ["BTC/USDT", "ETH/USDT"]
    # the rows trimmed once per pair are trim_dataframe's for every later signal set
    from freqtrade.data.converter import trim_dataframe

    analyzed = strategy.ft_advise_signals(signals.indicators("BTC/USDT"), {"pair": "BTC/USDT"})
    expected = trim_dataframe(analyzed, signals.dataset.timerange, startup_candles=20)
    assert len(wider[0].frame) == len(expected) < len(analyzed)
    assert np.array_equal(wider[0].frame["date"], expected["date"])
    assert np.array_equal(wider[0].frame["enter_long"], expected["enter_long"], equal_nan=True)
    assert np.array_equal(wider[0].price_ticks, first[0].price_ticks)


def test_indicators_come_from_disk_the_second_time(tmp_path: Path) -> None:
    first = source(tmp_path)
    assert (first.disk_hits, first.disk_misses) == (0, 2)
    settings = first._settings
    second = SignalSource(load_strategy(settings), settings, tmp_path / "cache")
    assert (second.disk_hits, second.disk_misses) == (2, 0)
    assert second._strategy.indicator_calls == []
    assert second.fingerprint == first.fingerprint
    pd.testing.assert_frame_equal(second.indicators("BTC/USDT"), first.indicators("BTC/USDT"))


def test_changed_strategy_file_or_data_misses(tmp_path: Path) -> None:
    first = source(tmp_path)
    settings = first._settings
    settings.strategy_path.write_text(settings.strategy_path.read_text() + "\n# changed\n")
    changed = SignalSource(load_strategy(settings), settings, tmp_path / "cache")
    assert changed.fingerprint != first.fingerprint
    assert (changed.disk_hits, changed.disk_misses) == (0, 2)
    from ftio_support import write_candles

    write_candles(settings.datadir, "ETH/USDT", seed=99)
    data_changed = SignalSource(load_strategy(settings), settings, tmp_path / "cache")
    assert data_changed.fingerprint not in (first.fingerprint, changed.fingerprint)


def test_corrupt_entry_is_recomputed(tmp_path: Path) -> None:
    first = source(tmp_path)
    entries = sorted((tmp_path / "cache").rglob("*.feather"))
    assert len(entries) == 2
    entries[0].write_bytes(b"not a feather file")
    settings = first._settings
    again = SignalSource(load_strategy(settings), settings, tmp_path / "cache")
    assert (again.disk_hits, again.disk_misses) == (1, 1)
    pd.testing.assert_frame_equal(again.indicators("BTC/USDT"), first.indicators("BTC/USDT"))
    third = SignalSource(load_strategy(settings), settings, tmp_path / "cache")
    assert third.disk_hits == 2  # the recomputed entry was written back


def test_informative_timeframes_merge_as_freqtrade(tmp_path: Path) -> None:
    paths = project(tmp_path, timeframes=("1h", "4h"))
    write_strategy(paths["strategy_path"], source=INFORMATIVE, file="inf.py")
    settings = settings_of(paths, strategy="InfStrategy")
    signals = SignalSource(load_strategy(settings), settings, None)
    plain = source(tmp_path / "plain", extra="", cache=False)
    assert signals.informative_fingerprint != plain.informative_fingerprint
    frame = signals.indicators("BTC/USDT").set_index("date")
    btc_4h = candle_frame("BTC/USDT", "4h", seed=1).set_index("date")
    eth_4h = candle_frame("ETH/USDT", "4h", seed=2).set_index("date")
    # The 08:00 4h candle closes at 12:00: it is first seen on the 11:00 1h row.
    day = pd.Timestamp("2017-01-10", tz="UTC")
    at = day + pd.Timedelta(hours=11)
    assert frame.loc[at, "mark_4h"] == btc_4h.loc[day + pd.Timedelta(hours=8), "close"]
    assert (
        frame.loc[at - pd.Timedelta(hours=1), "mark_4h"]
        == btc_4h.loc[day + pd.Timedelta(hours=4), "close"]
    )
    assert frame.loc[at, "eth_4h"] == eth_4h.loc[day + pd.Timedelta(hours=8), "close"]
    assert signals.pair_frames()[0].frame["enter_long"].sum() > 0


def test_missing_informative_file_names_pair_timeframe_and_paths(tmp_path: Path) -> None:
    paths = project(tmp_path, timeframes=("1h",))
    write_strategy(paths["strategy_path"], source=INFORMATIVE, file="inf.py")
    settings = settings_of(paths, strategy="InfStrategy")
    with pytest.raises(DataError) as caught:
        SignalSource(load_strategy(settings), settings, None)
    text = str(caught.value)
    assert "4h" in text and "BTC/USDT" in text
    assert str(paths["datadir"] / "BTC_USDT-4h.feather") in text
    assert str(paths["datadir"] / "BTC_USDT-4h.json.gz") in text


@pytest.mark.parametrize("method", ["populate_indicators", "populate_entry_trend"])
def test_a_strategy_raising_keeps_its_message_and_line(tmp_path: Path, method: str) -> None:
    body = "        raise ValueError('bad column for ' + metadata['pair'])\n"
    source_text = strategy_source().replace(
        f"    def {method}(self, dataframe: DataFrame, metadata: dict) -> DataFrame:\n",
        f"    def {method}(self, dataframe: DataFrame, metadata: dict) -> DataFrame:\n{body}",
    )
    paths = project(tmp_path)
    path = write_strategy(paths["strategy_path"], source=source_text, file="rsistrategy.py")
    settings = settings_of(paths)
    line = source_text.splitlines().index(body.rstrip("\n")) + 1
    with pytest.raises(StrategyError) as caught:
        SignalSource(load_strategy(settings), settings, None).pair_frames()
    assert caught.value.where == f"{path}:{line}"
    assert "ValueError: bad column for BTC/USDT" in caught.value.message


RANGE_EXTRA = """
ema_len = IntParameter(5, 9, default=6, space="buy")

def populate_indicators(self, dataframe, metadata):
    dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
    for length in self.ema_len.range:
        dataframe[f"ema_{length}"] = ta.EMA(dataframe, timeperiod=length)
    return dataframe

def populate_entry_trend(self, dataframe, metadata):
    ema = dataframe[f"ema_{self.ema_len.value}"]
    dataframe.loc[dataframe["close"] > ema, "enter_long"] = 1
    return dataframe
"""


def test_hyperopt_mode_computes_every_range_value_once(tmp_path: Path) -> None:
    paths = project(tmp_path, extra=RANGE_EXTRA)
    settings = settings_of(paths, hyperopt=True)
    signals = SignalSource(load_strategy(settings), settings, tmp_path / "cache")
    columns = signals.indicators("BTC/USDT").columns
    assert {f"ema_{n}" for n in range(5, 10)} <= set(columns)
    raw = candle_frame("BTC/USDT", seed=1)
    for length in (5, 9):
        frame = signals.pair_frames({"ema_len": length})[0].frame
        ema = ta.EMA(raw, timeperiod=length).to_numpy()[20:]
        expected = raw["close"].to_numpy()[20:] > ema
        assert np.array_equal(frame["enter_long"].fillna(0).to_numpy() == 1, expected)
    backtest = settings_of(paths)
    single = SignalSource(load_strategy(backtest), backtest, tmp_path / "cache")
    assert set(single.indicators("BTC/USDT").columns) & {f"ema_{n}" for n in range(5, 10)} == {
        "ema_6"
    }  # outside hyperopt .range is [value]: its own cache entry
    assert single.fingerprint != signals.fingerprint


def test_price_ticks_are_kept_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from genesis.freqtrade import signals as module
    from genesis.freqtrade.backtest import price_ticks

    first = source(tmp_path)
    stored = sorted((tmp_path / "cache" / "freqtrade-price-ticks").glob("*.npy"))
    assert len(stored) == 2
    expected = price_ticks(candle_frame("BTC/USDT", seed=1))
    assert np.array_equal(first.pair_frames()[0].price_ticks, expected[20:], equal_nan=True)

    def must_not_run(frame: pd.DataFrame) -> np.ndarray:
        raise AssertionError("price ticks recomputed")

    monkeypatch.setattr(module, "price_ticks", must_not_run)
    settings = first._settings
    again = SignalSource(load_strategy(settings), settings, tmp_path / "cache")
    assert np.array_equal(again.pair_frames()[0].price_ticks, expected[20:], equal_nan=True)
    stored[0].write_bytes(b"broken")
    monkeypatch.setattr(module, "price_ticks", price_ticks)
    third = SignalSource(load_strategy(settings), settings, tmp_path / "cache")
    assert len(third.pair_frames()) == 2
    assert np.load(stored[0]).shape == (600,)  # rewritten
