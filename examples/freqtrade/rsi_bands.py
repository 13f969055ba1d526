"""A small Freqtrade strategy (IStrategy, interface 3) for genesis's Freqtrade examples.

It is an ordinary Freqtrade file: `freqtrade backtesting --strategy RsiBands` runs it as
it is, and so does `genesis freqtrade backtesting --strategy RsiBands`.
"""

import talib.abstract as ta
from freqtrade.strategy import DecimalParameter, IntParameter, IStrategy
from pandas import DataFrame


class RsiBands(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1h"
    minimal_roi = {"0": 0.06, "120": 0.03, "480": 0.0}  # noqa: RUF012 (Freqtrade's idiom)
    stoploss = -0.08
    trailing_stop = True
    trailing_stop_positive = 0.01
    trailing_stop_positive_offset = 0.03
    trailing_only_offset_is_reached = True
    startup_candle_count = 30

    buy_rsi = IntParameter(10, 45, default=30, space="buy")
    buy_band = DecimalParameter(0.95, 1.0, default=0.99, decimals=3, space="buy")
    sell_rsi = IntParameter(55, 90, default=70, space="sell")

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        bands = ta.BBANDS(dataframe, timeperiod=20, nbdevup=2.0, nbdevdn=2.0)
        dataframe["bb_lower"] = bands["lowerband"]
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[
            (dataframe["rsi"] < self.buy_rsi.value)
            & (dataframe["close"] < dataframe["bb_lower"] / self.buy_band.value)
            & (dataframe["volume"] > 0),
            "enter_long",
        ] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] > self.sell_rsi.value, "exit_long"] = 1
        return dataframe
