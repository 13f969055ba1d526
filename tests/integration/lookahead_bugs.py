"""Small user strategies, each with one look-ahead bug that traders really write.

Shared by the look-ahead tests; not a test module itself. Every class is a complete
strategy (name, version, params, signals); ``BUGS`` lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from genesis.engine.types import Signals
from genesis.features import Features
from genesis.strategy import ParamSpec


class _Leaky:
    """Long when ``score(features) > 0``, out when it is not; no stop unless ``stop``."""

    version = "1"
    params: Mapping[str, ParamSpec] = {"period": ParamSpec("int", 10, 2, 100)}

    def score(self, f: Features, period: int) -> np.ndarray:
        raise NotImplementedError

    def stop(self, f: Features, period: int) -> np.ndarray | None:
        return None

    def signals(self, features: Features, params: Mapping[str, Any]) -> Signals:
        period = int(params["period"])
        s = np.nan_to_num(np.asarray(self.score(features, period), dtype=float), nan=0.0)
        return Signals(entry_long=s > 0, exit_long=s <= 0, stop_loss=self.stop(features, period))


class RollNext(_Leaky):
    name = "roll_next"

    def score(self, f: Features, period: int) -> np.ndarray:
        return np.roll(f.close, -1) - f.close  # tomorrow's close, wrapped around


class PandasShift(_Leaky):
    name = "pandas_shift"

    def score(self, f: Features, period: int) -> np.ndarray:
        close = pd.Series(f.close)
        return (close.shift(-period) - close).to_numpy()


class CentredWindow(_Leaky):
    name = "centred_window"

    def score(self, f: Features, period: int) -> np.ndarray:
        close = pd.Series(f.close)
        return (close - close.rolling(2 * period + 1, center=True).mean()).to_numpy()


class SameConvolution(_Leaky):
    name = "same_convolution"

    def score(self, f: Features, period: int) -> np.ndarray:
        smooth = np.convolve(f.close, np.ones(period) / period, mode="same")  # centred kernel
        return f.close - smooth


class FullSeriesZScore(_Leaky):
    name = "full_series_zscore"

    def score(self, f: Features, period: int) -> np.ndarray:
        return (f.close - f.close.mean()) / f.close.std() - 0.2


class MinMaxScaling(_Leaky):
    name = "min_max_scaling"

    def score(self, f: Features, period: int) -> np.ndarray:
        scaled = (f.close - f.close.min()) / (f.close.max() - f.close.min())
        return scaled - 0.5


class WholeSeriesQuantile(_Leaky):
    name = "whole_series_quantile"

    def score(self, f: Features, period: int) -> np.ndarray:
        return f.close - np.quantile(f.close, 0.6)


class FutureHigh(_Leaky):
    name = "future_high"

    def score(self, f: Features, period: int) -> np.ndarray:
        ahead = pd.Series(f.high[::-1]).rolling(period, min_periods=1).max().to_numpy()[::-1]
        return ahead - 1.01 * f.close  # the highest high of the next bars


class FutureLowStop(_Leaky):
    """Right signals, but a stop placed at the lowest low still to come."""

    name = "future_low_stop"

    def score(self, f: Features, period: int) -> np.ndarray:
        return f.close - f.ema(period)

    def stop(self, f: Features, period: int) -> np.ndarray:
        ahead = pd.Series(f.low[::-1]).rolling(period, min_periods=1).min().to_numpy()[::-1]
        return np.maximum(f.close - ahead, 1e-9)


class DailyWithoutShift(_Leaky):
    """Hourly bars resampled to days; the day's close is used from the day's first hour."""

    name = "daily_without_shift"

    def score(self, f: Features, period: int) -> np.ndarray:
        index = pd.to_datetime(f.candles.ts_ms, unit="ms")
        close = pd.Series(f.close, index=index)
        daily = close.resample("1D").last()
        day_open = close.resample("1D").first()
        up = (daily - day_open).reindex(index, method="ffill")
        return up.to_numpy()


class CentralGradient(_Leaky):
    name = "central_gradient"

    def score(self, f: Features, period: int) -> np.ndarray:
        return np.gradient(f.close)  # central differences use the next bar


class LastClose(_Leaky):
    name = "last_close"

    def score(self, f: Features, period: int) -> np.ndarray:
        return f.close[-1] - f.close  # the price at the end of the data


class ReversedCumulativeReturn(_Leaky):
    name = "reversed_cumulative_return"

    def score(self, f: Features, period: int) -> np.ndarray:
        returns = np.diff(np.log(f.close), append=np.log(f.close[-1]))
        return np.cumsum(returns[::-1])[::-1]  # the return from here to the end


BUGS = [
    RollNext, PandasShift, CentredWindow, SameConvolution, FullSeriesZScore, MinMaxScaling,
    WholeSeriesQuantile, FutureHigh, FutureLowStop, DailyWithoutShift, CentralGradient,
    LastClose, ReversedCumulativeReturn,
]  # fmt: skip


class HonestExpandingMean(_Leaky):
    """No look-ahead, but an expanding mean: its results depend on where the data starts."""

    name = "honest_expanding_mean"

    def score(self, f: Features, period: int) -> np.ndarray:
        mean = np.cumsum(f.close) / np.arange(1, len(f.close) + 1)
        return f.close - mean


class FixedBarReference(_Leaky):
    """Compares with the close of bar 1,900 (tested on 2,000 bars): fails on shorter data."""

    name = "fixed_bar_reference"

    def score(self, f: Features, period: int) -> np.ndarray:
        return f.close - f.close[1_900]


class OneShortSignals(_Leaky):
    """No look-ahead, but one value short: the engine refuses it, the check must not."""

    name = "one_short_signals"

    def score(self, f: Features, period: int) -> np.ndarray:
        return np.diff(f.close)


class ReturnsADict(_Leaky):
    """No look-ahead, but returns a dict instead of Signals."""

    name = "returns_a_dict"

    def signals(self, features: Features, params: Mapping[str, Any]) -> Signals:
        return {"entry_long": features.close > 0}  # type: ignore[return-value]


class UnseededRandom(_Leaky):
    """No look-ahead, but unseeded random entries: every call differs, cut or not."""

    name = "unseeded_random"

    def score(self, f: Features, period: int) -> np.ndarray:
        return np.random.default_rng().random(len(f.close)) - 0.5


class LeakInOneChoice:
    """Honest but for one choice of ``mode``, which reads the next close: the check before
    a search (the defaults and one draw) may miss it; the search finds it (it scores well)."""

    name = "leak_in_one_choice"
    version = "1"
    params: Mapping[str, ParamSpec] = {
        "period": ParamSpec("int", 10, 2, 50),
        "mode": ParamSpec("categorical", "a", choices=("a", "b", "c", "d", "e", "f")),
    }

    def signals(self, features: Features, params: Mapping[str, Any]) -> Signals:
        close = features.close
        if params["mode"] == "f":
            up = np.append(close[1:], close[-1]) > close
        else:
            with np.errstate(invalid="ignore"):
                up = close > features.sma(int(params["period"]))
        return Signals(entry_long=up, exit_long=~up)


class BackfilledWarmUp(_Leaky):
    """Fills an average's warm-up NaNs backwards (``bfill``): those bars see a later close."""

    name = "backfilled_warm_up"
    params: Mapping[str, ParamSpec] = {"period": ParamSpec("int", 200, 2, 500)}

    def score(self, f: Features, period: int) -> np.ndarray:
        return f.close - pd.Series(f.sma(period)).bfill().to_numpy()
