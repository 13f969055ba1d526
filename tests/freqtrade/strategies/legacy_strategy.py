# ruff: noqa: RUF012  (Freqtrade reads minimal_roi as a class-level dict, as users write it)
"""A strategy in Freqtrade's legacy API: populate_buy_trend/populate_sell_trend, buy/sell
columns and the old attribute names (use_sell_signal, sell_profit_only)."""

import talib.abstract as ta
from freqtrade.strategy import IStrategy
from pandas import DataFrame


class LegacyApi(IStrategy):
    timeframe = "1h"
    startup_candle_count = 30
    minimal_roi = {"0": 0.06, "240": 0.02}
    stoploss = -0.05
    use_sell_signal = True
    sell_profit_only = True
    sell_profit_offset = 0.005

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        return dataframe

    def populate_buy_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[(dataframe["rsi"] < 35), "buy"] = 1
        return dataframe

    def populate_sell_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[(dataframe["rsi"] > 60), "sell"] = 1
        return dataframe
