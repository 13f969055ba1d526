"""Freqtrade's own backtest, run in-process and offline: the reference genesis must match.

Freqtrade loads the exchange's markets over the network before a backtest. As Freqtrade's
own test suite does (its ``tests/conftest.py`` patches the exchange's market loading), this
harness patches :meth:`freqtrade.exchange.exchange.Exchange.reload_markets` to set a fixed
markets dict (binance-like, ccxt TICK_SIZE precision) on both ccxt objects, then runs
Freqtrade's ``Backtesting`` on feather files written to a temporary data directory.

It returns Freqtrade's trades and the frames Freqtrade's strategy populated (indicators and
entry/exit columns, unshifted, startup candles included), so genesis's kernel is fed the
very signals Freqtrade traded and a parity test isolates the loop.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd

from genesis.freqtrade.backtest import PairFrame
from genesis.freqtrade.rules import Market, Wallet

AMOUNT_STEP = 1e-5
_TF_FREQ = {"1m": "1min", "5m": "5min", "15m": "15min", "30m": "30min", "1h": "1h", "4h": "4h"}


STRATEGIES = Path(__file__).parent / "strategies"
# Pairs at different price scales and decimals, so price ticks from 1e-6 to 0.1 are used.
PAIRS = {
    "BTC/USDT": (100.0, 2),
    "ETH/USDT": (2.5, 4),
    "XRP/USDT": (30000.0, 1),
    "SOL/USDT": (0.05, 6),
}
N_CANDLES = 3000


def write_datadir(
    datadir: Path, pairs: Sequence[str], timeframe: str, informative: Sequence[str] = ()
) -> None:
    """Seeded candles for ``pairs`` (and their informative timeframes) as feather files."""
    for seed, pair in enumerate(pairs, start=1):
        price, decimals = PAIRS[pair]
        frame = synthetic_candles(
            N_CANDLES, seed=seed, timeframe=timeframe, price=price, decimals=decimals
        )
        write_candles(datadir, pair, timeframe, frame)
        for higher in informative:
            write_candles(datadir, pair, higher, resample(frame, higher))


def synthetic_candles(
    n: int,
    *,
    seed: int,
    timeframe: str = "1h",
    price: float = 100.0,
    decimals: int = 2,
    start: str = "2024-01-01",
    vol: float = 0.008,
) -> pd.DataFrame:
    """A seeded random walk with wicks, volatile enough that ROI, stops and trailing fire.

    Prices are rounded to ``decimals`` (Freqtrade derives the price tick from the digits).
    """
    rng = np.random.default_rng(seed)
    regime = np.repeat(rng.normal(0.0, 0.4 * vol, n // 50 + 1), 50)[:n]
    log_close = np.log(price) + np.cumsum(rng.standard_t(4, n) * vol * 0.7 + regime)
    close = np.exp(log_close)
    open_ = np.r_[price, close[:-1]] * np.exp(rng.normal(0.0, vol * 0.1, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, vol * 0.6, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, vol * 0.6, n)))
    frame = pd.DataFrame(
        {
            "date": pd.date_range(start, periods=n, freq=_TF_FREQ[timeframe], tz="UTC"),
            "open": open_.round(decimals),
            "high": high.round(decimals),
            "low": low.round(decimals),
            "close": close.round(decimals),
            "volume": rng.lognormal(8.0, 1.0, n).round(3),
        }
    )
    frame["high"] = frame[["open", "high", "close"]].max(axis=1)
    frame["low"] = frame[["open", "low", "close"]].min(axis=1)
    return frame


def resample(frame: pd.DataFrame, timeframe: str) -> pd.DataFrame:
    """The candles of a higher timeframe (for an informative pair's own file)."""
    rule = _TF_FREQ[timeframe]
    grouped = frame.set_index("date").resample(rule, label="left", closed="left")
    out = grouped.agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    return out.dropna().reset_index()


def write_candles(datadir: Path, pair: str, timeframe: str, frame: pd.DataFrame) -> Path:
    """Write ``frame`` where Freqtrade reads it: ``<BASE>_<QUOTE>-<tf>.feather``."""
    datadir.mkdir(parents=True, exist_ok=True)
    path = datadir / f"{pair.replace('/', '_')}-{timeframe}.feather"
    frame[["date", "open", "high", "low", "close", "volume"]].reset_index(drop=True).to_feather(
        path
    )
    return path


def markets(pairs: Sequence[str], *, amount_step: float = AMOUNT_STEP) -> dict[str, Any]:
    """A binance-like markets dict (TICK_SIZE precision, no limits) for ``pairs``."""
    result: dict[str, Any] = {}
    for pair in pairs:
        base, quote = pair.split("/")
        result[pair] = {
            "id": f"{base}{quote}",
            "symbol": pair,
            "base": base,
            "quote": quote,
            "baseId": base,
            "quoteId": quote,
            "active": True,
            "type": "spot",
            "spot": True,
            "margin": False,
            "swap": False,
            "future": False,
            "option": False,
            "contract": False,
            "linear": None,
            "inverse": None,
            "contractSize": None,
            "precision": {"amount": amount_step, "price": 1e-8, "base": 1e-8, "quote": 1e-8},
            "limits": {
                "amount": {"min": None, "max": None},
                "price": {"min": None, "max": None},
                "cost": {"min": None, "max": None},
                "leverage": {"min": None, "max": None},
            },
            "info": {},
        }
    return result


@contextmanager
def offline_markets(fixed: Mapping[str, Any]) -> Iterator[None]:
    """Patch Freqtrade's exchange so its markets come from ``fixed``, not the network."""
    from freqtrade.exchange.exchange import Exchange
    from freqtrade.util import dt_ts

    def reload_markets(self: Any, force: bool = False, **_: Any) -> None:
        self._api.set_markets(dict(fixed))
        self._api_async.set_markets(dict(fixed))
        self._markets = self._api.markets
        self._last_markets_refresh = dt_ts()

    with mock.patch.object(Exchange, "reload_markets", reload_markets):
        yield


def ft_config(
    tmp: Path,
    strategy_file: Path,
    strategy: str,
    pairs: Sequence[str],
    timeframe: str,
    wallet: Wallet,
    **extra: Any,
) -> dict[str, Any]:
    """A Freqtrade backtesting config for a strategy file copied into ``tmp``."""
    from freqtrade.configuration import Configuration
    from freqtrade.enums import RunMode

    user_dir = tmp / "user_data"
    strategies = user_dir / "strategies"
    strategies.mkdir(parents=True, exist_ok=True)
    shutil.copy(strategy_file, strategies / strategy_file.name)
    config: dict[str, Any] = {
        "strategy": strategy,
        "strategy_path": str(strategies),
        "user_data_dir": str(user_dir),
        "datadir": str(tmp / "data"),
        "timeframe": timeframe,
        "max_open_trades": wallet.max_open_trades,
        "stake_currency": pairs[0].split("/")[1],
        "stake_amount": "unlimited" if wallet.stake_amount is None else wallet.stake_amount,
        "tradable_balance_ratio": wallet.tradable_balance_ratio,
        "dry_run_wallet": wallet.dry_run_wallet,
        "dry_run": True,
        "fee": wallet.fee,
        "trading_mode": "spot",
        "exchange": {"name": "binance", "pair_whitelist": list(pairs), "pair_blacklist": []},
        "pairlists": [{"method": "StaticPairList"}],
        "entry_pricing": {"price_side": "same", "use_order_book": False},
        "exit_pricing": {"price_side": "same", "use_order_book": False},
        "dataformat_ohlcv": "feather",
        "export": "none",
    }
    config.update(extra)
    path = tmp / "config.json"
    path.write_text(json.dumps(config))
    merged: dict[str, Any] = Configuration(
        {"config": [str(path)], "datadir": str(tmp / "data")}, RunMode.BACKTEST
    ).get_config()
    return merged


@dataclass(frozen=True)
class Reference:
    """What Freqtrade's backtest did, and the frames its strategy populated."""

    trades: pd.DataFrame
    frames: dict[str, pd.DataFrame]
    start: pd.Timestamp
    end: pd.Timestamp
    strategy: Any
    wallet: Wallet

    def pair_frames(self) -> list[PairFrame]:
        """The populated frames as genesis's input (one ``PairFrame`` per pair)."""
        market = Market(amount_step=AMOUNT_STEP)
        return [PairFrame(pair, frame, market) for pair, frame in self.frames.items()]


def run_freqtrade(config: dict[str, Any], wallet: Wallet) -> Reference:
    """Run Freqtrade's Backtesting on ``config`` offline; return its trades and frames."""
    from freqtrade.data.converter import trim_dataframes
    from freqtrade.data.history import get_timerange
    from freqtrade.optimize.backtesting import Backtesting

    pairs = config["exchange"]["pair_whitelist"]
    with offline_markets(markets(pairs)):
        backtesting = Backtesting(config)
        data, timerange = backtesting.load_bt_data()
        strategy = backtesting.strategylist[0]
        backtesting._set_strategy(strategy)
        analyzed = strategy.advise_all_indicators(data)
        frames = {
            pair: strategy.ft_advise_signals(frame.copy(), {"pair": pair})
            for pair, frame in analyzed.items()
        }
        trimmed = trim_dataframes(analyzed, timerange, backtesting.required_startup)
        start, end = get_timerange(trimmed)
        result = backtesting.backtest(processed=analyzed, start_date=start, end_date=end)
    return Reference(
        result["results"], frames, pd.Timestamp(start), pd.Timestamp(end), strategy, wallet
    )


RATE_TOLERANCE = 1e-4
_KEY = ["pair", "open_date"]
_SHOWN = ["pair", "open_date", "close_date", "exit_reason", "open_rate", "close_rate"]


@dataclass(frozen=True)
class Parity:
    """How far genesis's trades are from Freqtrade's (the issue's criteria)."""

    n_freqtrade: int
    n_genesis: int
    n_identical: int
    profit_freqtrade: float
    profit_genesis: float
    mismatches: str

    @property
    def identical_share(self) -> float:
        return self.n_identical / self.n_freqtrade if self.n_freqtrade else 1.0

    @property
    def profit_diff_pct(self) -> float:
        base = abs(self.profit_freqtrade)
        return 100.0 * abs(self.profit_genesis - self.profit_freqtrade) / base if base else 0.0

    def passes(self) -> bool:
        """Same count, >= 99 % identical, total profit within 0.1 %."""
        return (
            self.n_freqtrade == self.n_genesis
            and self.identical_share >= 0.99
            and abs(self.profit_genesis - self.profit_freqtrade)
            <= 0.001 * abs(self.profit_freqtrade) + 1e-6
        )

    def report(self) -> str:
        return (
            f"trades freqtrade={self.n_freqtrade} genesis={self.n_genesis}, identical "
            f"{self.n_identical} ({100 * self.identical_share:.2f} %), profit freqtrade="
            f"{self.profit_freqtrade:.6f} genesis={self.profit_genesis:.6f} "
            f"(diff {self.profit_diff_pct:.4f} %)\n{self.mismatches}"
        )


def _normalized(trades: pd.DataFrame) -> pd.DataFrame:
    out = trades[[*_SHOWN, "profit_abs"]].copy()
    for column in ("open_date", "close_date"):
        out[column] = pd.to_datetime(out[column], utc=True)
    return out.reset_index(drop=True)


def compare(freqtrade: pd.DataFrame, genesis: pd.DataFrame) -> Parity:
    """Match trades on (pair, open date) and count the identical ones."""
    ft, gen = _normalized(freqtrade), _normalized(genesis)
    merged = ft.merge(gen, on=_KEY, how="outer", suffixes=("_ft", "_gen"), indicator=True)
    both = merged["_merge"] == "both"
    same = both & (merged["close_date_ft"] == merged["close_date_gen"])
    same &= merged["exit_reason_ft"] == merged["exit_reason_gen"]
    for rate in ("open_rate", "close_rate"):
        diff = (merged[f"{rate}_gen"] - merged[f"{rate}_ft"]).abs()
        same &= diff <= RATE_TOLERANCE * merged[f"{rate}_ft"].abs()
    bad = merged[~same].sort_values(_KEY).head(25)
    columns = [c for c in bad.columns if c != "profit_abs_ft" and c != "profit_abs_gen"]
    return Parity(
        n_freqtrade=len(ft),
        n_genesis=len(gen),
        n_identical=int(same.sum()),
        profit_freqtrade=float(ft["profit_abs"].sum()),
        profit_genesis=float(gen["profit_abs"].sum()),
        mismatches="" if bad.empty else bad[columns].to_string(),
    )


ParityCase = Callable[..., Parity]
"""The ``parity_case`` fixture: (strategy file, class, pairs, stake, ...) -> Parity."""
