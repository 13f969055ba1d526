# ruff: noqa: RUF012  (Freqtrade reads minimal_roi as a class-level dict, as users write it)
"""Small Freqtrade strategies, one per backtest rule the parity tests check.

Each uses Freqtrade's interface as a user's file would; the entries come from simple
moving-average and RSI conditions, frequent enough on random-walk candles that every rule
fires many times.
"""

from datetime import datetime

import talib.abstract as ta
from freqtrade.persistence import Trade
from freqtrade.strategy import IStrategy, informative, stoploss_from_open
from pandas import DataFrame


class _Base(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1h"
    startup_candle_count = 30
    can_short = False
    minimal_roi = {"0": 0.05, "120": 0.03, "300": 0.015, "600": 0}
    stoploss = -0.06
    process_only_new_candles = True

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        dataframe["sma_fast"] = ta.SMA(dataframe, timeperiod=8)
        dataframe["sma_slow"] = ta.SMA(dataframe, timeperiod=21)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[
            (dataframe["rsi"] < 40) & (dataframe["sma_fast"] > dataframe["sma_fast"].shift(1)),
            "enter_long",
        ] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[(dataframe["rsi"] > 65), "exit_long"] = 1
        return dataframe


class RoiSteps(_Base):
    """A multi-step ROI table on 1h candles (new steps start on candle opens)."""

    minimal_roi = {"0": 0.05, "60": 0.035, "180": 0.02, "360": 0.008, "720": -1}
    use_exit_signal = False


class RoiStepsOffGrid(_Base):
    """ROI steps that start inside a candle, with exit signals and exit tags."""

    minimal_roi = {"0": 0.06, "45": 0.03, "150": 0.012}

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[(dataframe["rsi"] > 60), ["exit_long", "exit_tag"]] = (1, "rsi_high")
        dataframe.loc[(dataframe["sma_fast"] < dataframe["sma_slow"] * 0.97), "exit_long"] = 1
        return dataframe


class TrailingOffset(_Base):
    """Trailing stop with a positive distance once an offset is reached."""

    minimal_roi = {"0": 0.5}
    stoploss = -0.08
    trailing_stop = True
    trailing_stop_positive = 0.01
    trailing_stop_positive_offset = 0.025
    trailing_only_offset_is_reached = True
    use_exit_signal = False


class TrailingPlain(TrailingOffset):
    """Trailing stop from the start, switching to a tighter distance past the offset."""

    stoploss = -0.04
    use_exit_signal = True
    trailing_stop_positive = 0.015
    trailing_stop_positive_offset = 0.03
    trailing_only_offset_is_reached = False


class ExitProfitOnly(_Base):
    """Exit signals count only above a profit offset; ROI is ignored on entry signals."""

    minimal_roi = {"0": 0.08, "240": 0.04}
    exit_profit_only = True
    exit_profit_offset = 0.004
    ignore_roi_if_entry_signal = True

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[(dataframe["rsi"] > 55), "exit_long"] = 1
        return dataframe


class InformativeTf(_Base):
    """An informative 4h timeframe through the @informative decorator."""

    startup_candle_count = 80

    @informative("4h")
    def populate_indicators_4h(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=10)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[
            (dataframe["rsi"] < 45) & (dataframe["rsi_4h"] > 45),
            "enter_long",
        ] = 1
        return dataframe


class CustomStop(_Base):
    """custom_stoploss: a stop tightened in steps of the profit (stoploss_from_open)."""

    use_custom_stoploss = True
    stoploss = -0.08
    use_exit_signal = False

    def custom_stoploss(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        after_fill: bool,
        **kwargs,
    ) -> float | None:
        if current_profit > 0.04:
            return stoploss_from_open(0.02, current_profit)
        if current_profit > 0.02:
            return stoploss_from_open(0.005, current_profit)
        if (current_time - trade.open_date_utc).total_seconds() > 6 * 3600:
            return -0.03
        return None


class CustomExit(_Base):
    """custom_exit: named exits on profit and on age."""

    minimal_roi = {"0": 0.5}

    def custom_exit(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        **kwargs,
    ) -> str | bool | None:
        if current_profit > 0.025:
            return "take_2_5"
        if (current_time - trade.open_date_utc).total_seconds() >= 10 * 3600:
            return "too_long" if current_profit < 0 else True
        return None
