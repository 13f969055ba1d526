"""The objective of a Freqtrade hyperopt: Freqtrade's own loss class applied to genesis's trades.

The loss is resolved by name with Freqtrade's ``HyperOptLossResolver`` (a built-in such as
``SharpeHyperOptLoss``, or a user's ``IHyperOptLoss`` subclass found on ``--hyperopt-path``)
and called with the arguments Freqtrade's ``HyperOptimizer`` passes: the trades in
Freqtrade's field names, the trade count, the backtest's first and last date, the config,
the processed frames, ``backtest_stats`` from Freqtrade's ``generate_strategy_stats`` and
the starting balance. Nothing is rewritten: the value is Freqtrade's for the same trades.

``backtest_stats`` costs more than most losses (it builds per-pair and per-tag tables), so
it is computed only when the loss reads it. Lower is better, as in Freqtrade; genesis
minimizes it. Freqtrade's ``MAX_LOSS`` for too few trades is not used: ``--min-trades`` is a
constraint of the score (see :mod:`genesis.freqtrade.hyperopt`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genesis.errors import BacktestError, ConfigError, StrategyError
from genesis.freqtrade._imports import require_freqtrade
from genesis.metrics.score import LOSS_PREFIX


@dataclass(frozen=True)
class BacktestWindow:
    """What a loss learns of the backtest besides its trades.

    Attributes:
        pairs: The pairlist (``generate_strategy_stats`` reports per pair).
        min_date: The first traded candle's date (Freqtrade's ``min_date``).
        max_date: The last candle's date (Freqtrade's ``max_date``).
        starting_balance: The wallet at the start (``dry_run_wallet``).
        processed: The pairs' frames after the strategy's ``populate_*`` methods.
        market_change: Freqtrade's ``calculate_market_change`` of those frames.
    """

    pairs: Sequence[str]
    min_date: datetime
    max_date: datetime
    starting_balance: float
    processed: Mapping[str, pd.DataFrame]
    market_change: float = 0.0


@dataclass(frozen=True)
class FtLoss:
    """A Freqtrade hyperopt loss, resolved once per run."""

    name: str
    function: Callable[..., float]
    strategy_name: str

    @property
    def objective(self) -> str:
        """The loss's name among genesis's objectives."""
        return LOSS_PREFIX + self.name

    def value(
        self, trades: pd.DataFrame, window: BacktestWindow, config: Mapping[str, Any]
    ) -> float:
        """The loss of ``trades`` (Freqtrade's field names), as Freqtrade computes it.

        Raises:
            StrategyError: the loss function raised (the trial fails with the message).
            BacktestError: the loss is not a finite number.
        """
        results = results_frame(trades, config.get("fee"))
        stats = _LazyStats(lambda: self._stats(results, window, config))
        try:
            loss = self.function(
                results=results, trade_count=len(results), min_date=window.min_date,
                max_date=window.max_date, config=config, processed=window.processed,
                backtest_stats=stats, starting_balance=window.starting_balance,
            )  # fmt: skip
        except Exception as error:  # a user's loss may raise anything: name it, keep going
            raise StrategyError(
                f"hyperopt loss {self.name} raised {type(error).__name__}: {error}"
            ) from error
        loss = float(loss)
        if not math.isfinite(loss):
            raise BacktestError(f"hyperopt loss {self.name} is {loss!r} ({len(results)} trades)")
        return loss

    def _stats(
        self, results: pd.DataFrame, window: BacktestWindow, config: Mapping[str, Any]
    ) -> dict[str, Any]:
        return strategy_stats(results, window, config, self.strategy_name)


def strategy_stats(
    results: pd.DataFrame, window: BacktestWindow, config: Mapping[str, Any], strategy_name: str
) -> dict[str, Any]:
    """Freqtrade's ``generate_strategy_stats`` of ``results`` (as its hyperopt calls it)."""
    require_freqtrade()
    from freqtrade.optimize.optimize_reports import generate_strategy_stats

    final_balance = window.starting_balance + float(results["profit_abs"].sum())
    content = {
        "results": results, "config": dict(config), "locks": [], "rejected_signals": 0,
        "timedout_entry_orders": 0, "timedout_exit_orders": 0, "canceled_trade_entries": 0,
        "canceled_entry_orders": 0, "replaced_entry_orders": 0, "final_balance": final_balance,
        "backtest_start_time": 0, "backtest_end_time": 0,
    }  # fmt: skip
    stats: dict[str, Any] = generate_strategy_stats(
        list(window.pairs), strategy_name, content, window.min_date, window.max_date,
        market_change=window.market_change, is_hyperopt=True,
    )  # fmt: skip
    return stats


class _LazyStats(Mapping[str, Any]):
    """``backtest_stats`` computed on first use (most losses never read it)."""

    def __init__(self, compute: Callable[[], dict[str, Any]]) -> None:
        self._compute = compute
        self._stats: dict[str, Any] | None = None

    def _loaded(self) -> dict[str, Any]:
        if self._stats is None:
            self._stats = self._compute()
        return self._stats

    def __getitem__(self, key: str) -> Any:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def results_frame(trades: pd.DataFrame, fee: float | None = None) -> pd.DataFrame:
    """``trades`` with every column of Freqtrade's backtest results a loss may read.

    The columns genesis's backtest writes are kept as they are; the others get the value
    Freqtrade's backtest gives a long spot trade closed by the backtest: ``trade_duration``
    in whole minutes, ``is_open`` False, ``leverage`` 1, no ``enter_tag``, no funding fees,
    the timestamps in milliseconds, and the two filled orders whose ``cost`` Freqtrade's
    backtest sets to ``amount * rate * (1 + fee)`` (``fee_open``/``fee_close`` when
    present, else ``fee``). The missing columns are added in one step (a column at a time
    costs milliseconds each on a frame with string-typed column labels).
    """
    require_freqtrade()
    from freqtrade.data.btanalysis import BT_DATA_COLUMNS

    n = len(trades)
    epoch, ms = pd.Timestamp(0, tz="UTC"), pd.Timedelta(milliseconds=1)
    derived: dict[str, Any] = {
        "trade_duration": lambda: (
            (trades["close_date"] - trades["open_date"]).dt.total_seconds() // 60
        ).astype("int64"),
        "is_open": lambda: [False] * n,
        "leverage": lambda: [1.0] * n,
        "enter_tag": lambda: [None] * n,
        "funding_fees": lambda: [0.0] * n,
        "is_short": lambda: [False] * n,
        "max_stake_amount": lambda: trades["stake_amount"],
        "open_timestamp": lambda: (trades["open_date"] - epoch) // ms,
        "close_timestamp": lambda: (trades["close_date"] - epoch) // ms,
        "orders": lambda: _orders(trades, fee),
    }
    missing = {
        column: derived[column]() if column in derived else [None] * n
        for column in BT_DATA_COLUMNS
        if column not in trades
    }
    if not missing:
        return trades.copy()
    added = pd.DataFrame(missing, index=trades.index)
    return pd.concat([trades, added], axis=1)


def _orders(results: pd.DataFrame, fee: float | None) -> list[list[dict[str, float]]]:
    """The entry and exit order of each trade, with the ``cost`` Freqtrade's stats sum up."""
    n = len(results)
    fee_open = results["fee_open"] if "fee_open" in results else pd.Series([fee] * n)
    fee_close = results["fee_close"] if "fee_close" in results else pd.Series([fee] * n)
    if n and (fee_open.isna().any() or fee_close.isna().any()):
        raise BacktestError("the trades have no fee_open/fee_close and no fee was given")
    amount = results["amount"].to_numpy(np.float64)
    opened = results["open_rate"].to_numpy(np.float64) * (1 + fee_open.to_numpy(np.float64))
    closed = results["close_rate"].to_numpy(np.float64) * (1 + fee_close.to_numpy(np.float64))
    entry, exit_ = amount * opened, amount * closed
    return [[{"cost": a}, {"cost": b}] for a, b in zip(entry.tolist(), exit_.tolist(), strict=True)]


def loss_name(flag: str | None, config: Mapping[str, Any]) -> str:
    """``--hyperopt-loss``, else the Freqtrade config's ``hyperopt_loss``.

    Raises:
        ConfigError: neither is set (Freqtrade refuses to start then too).
    """
    require_freqtrade()
    from freqtrade.constants import HYPEROPT_LOSS_BUILTIN

    name = flag or config.get("hyperopt_loss")
    if not name:
        raise ConfigError(
            "no hyperopt loss set",
            where="--hyperopt-loss",
            hint=f"built-in losses: {', '.join(HYPEROPT_LOSS_BUILTIN)}",
        )
    return str(name)


def resolve_loss(
    name: str, config: Mapping[str, Any], *, hyperopt_path: Path | None = None
) -> FtLoss:
    """Freqtrade's loss class ``name``, found as ``freqtrade hyperopt --hyperopt-loss`` does.

    Raises:
        ConfigError: no loss class of that name (built-ins listed), or it does not load.
    """
    require_freqtrade()
    from freqtrade.constants import HYPEROPT_LOSS_BUILTIN
    from freqtrade.exceptions import OperationalException
    from freqtrade.resolvers.hyperopt_resolver import HyperOptLossResolver

    lookup = dict(config)
    lookup["hyperopt_loss"] = name
    if hyperopt_path is not None:
        lookup["hyperopt_path"] = str(hyperopt_path)
    lookup["user_data_dir"] = Path(lookup.get("user_data_dir") or "user_data")
    try:
        loss = HyperOptLossResolver.load_hyperoptloss(lookup)
    except OperationalException as error:
        raise ConfigError(
            f"hyperopt loss {name!r}: {error}",
            where="--hyperopt-loss",
            hint=f"built-in losses: {', '.join(HYPEROPT_LOSS_BUILTIN)}; a class of your own "
            "goes in a file found by --hyperopt-path",
        ) from None
    return FtLoss(name, loss.hyperopt_loss_function, str(config.get("strategy", "")))


__all__ = [
    "LOSS_PREFIX", "BacktestWindow", "FtLoss", "loss_name", "resolve_loss", "results_frame",
]  # fmt: skip
