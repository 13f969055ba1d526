"""What decides a Freqtrade backtest besides the signals: exit rules, markets, the wallet.

:class:`ExitRules` holds the strategy attributes Freqtrade's ``should_exit`` reads
(``minimal_roi``, ``stoploss``, ``trailing_*``, ``use_exit_signal``, ``exit_profit_only``,
``exit_profit_offset``, ``ignore_roi_if_entry_signal``); hyperopt changes them per trial
without touching the signals. :class:`Market` is one pair's exchange rules (precision and
limits), :class:`Wallet` the account (slots, stake, balance, fee). All three are plain frozen
values: the kernel in :mod:`genesis.freqtrade._kernels` reads them as numbers.

What the kernel does not follow is refused here, before any work, naming the attribute:
shorting, futures/margin, position adjustment and the order callbacks whose effect is not
reproduced (:func:`check_supported`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from genesis.errors import ConfigError, StrategyError

# Legacy (interface v2) attribute names Freqtrade's resolver still maps onto the new ones.
_LEGACY_NAMES = {
    "use_exit_signal": "use_sell_signal",
    "exit_profit_only": "sell_profit_only",
    "exit_profit_offset": "sell_profit_offset",
    "ignore_roi_if_entry_signal": "ignore_roi_if_buy_signal",
}

# Callbacks whose effect the kernel does not reproduce; overriding one would change the
# trades silently, so it is refused. custom_stoploss/custom_exit go through _callbacks.py.
_REFUSED_CALLBACKS = {
    "adjust_trade_position": "position adjustment (DCA) is not supported",
    "custom_entry_price": "custom entry prices are not supported",
    "custom_exit_price": "custom exit prices are not supported",
    "custom_stake_amount": "custom stake amounts are not supported",
    "confirm_trade_entry": "confirm_trade_entry is not supported",
    "confirm_trade_exit": "confirm_trade_exit is not supported",
    "adjust_entry_price": "entry order replacement is not supported",
    "adjust_exit_price": "exit order replacement is not supported",
    "adjust_order_price": "order replacement is not supported",
    "custom_sell": "custom_sell is not supported (rename it custom_exit)",
}


@dataclass(frozen=True)
class ExitRules:
    """The exit rules of a Freqtrade strategy (what hyperopt's roi/stoploss/trailing change).

    Attributes:
        minimal_roi: ``(minutes, ratio)`` steps sorted by minutes, as Freqtrade's
            ``minimal_roi`` dict; an empty table never exits on ROI.
        stoploss: The stop as a ratio below the entry, e.g. ``-0.10``.
        trailing_stop: Whether the stop trails the high.
        trailing_stop_positive: The trailing distance once the offset is passed.
        trailing_stop_positive_offset: Profit after which ``trailing_stop_positive`` applies.
        trailing_only_offset_is_reached: Trail only once the offset is reached.
        use_exit_signal: Whether ``exit_long`` closes trades.
        exit_profit_only: Exit signals count only above ``exit_profit_offset``.
        exit_profit_offset: See ``exit_profit_only``.
        ignore_roi_if_entry_signal: No ROI exit while the entry signal holds.
    """

    minimal_roi: tuple[tuple[int, float], ...]
    stoploss: float
    trailing_stop: bool = False
    trailing_stop_positive: float | None = None
    trailing_stop_positive_offset: float = 0.0
    trailing_only_offset_is_reached: bool = False
    use_exit_signal: bool = True
    exit_profit_only: bool = False
    exit_profit_offset: float = 0.0
    ignore_roi_if_entry_signal: bool = False

    def __post_init__(self) -> None:
        if not -1.0 <= self.stoploss < 0.0 or math.isnan(self.stoploss):
            raise ConfigError(
                f"stoploss must be a negative ratio in [-1, 0), got {self.stoploss}",
                hint="e.g. stoploss = -0.10 for a stop 10 % below the entry",
            )
        minutes = [step[0] for step in self.minimal_roi]
        if minutes != sorted(set(minutes)) or any(m < 0 for m in minutes):
            raise ConfigError(
                f"minimal_roi steps must have distinct non-negative minutes, sorted: {minutes}"
            )

    @classmethod
    def from_strategy(cls, strategy: Any) -> ExitRules:
        """Read the exit rules from an ``IStrategy`` instance (legacy names too).

        Raises:
            StrategyError: the strategy shorts, trades futures or adjusts positions.
        """
        check_supported(strategy)

        def attr(name: str, default: Any) -> Any:
            legacy = _LEGACY_NAMES.get(name)
            if legacy is not None and hasattr(strategy, legacy):
                return getattr(strategy, legacy)
            return getattr(strategy, name, default)

        tsp = getattr(strategy, "trailing_stop_positive", None)
        return cls(
            minimal_roi=roi_table(getattr(strategy, "minimal_roi", None) or {}),
            stoploss=float(strategy.stoploss),
            trailing_stop=bool(getattr(strategy, "trailing_stop", False)),
            trailing_stop_positive=None if tsp is None else float(tsp),
            trailing_stop_positive_offset=float(
                getattr(strategy, "trailing_stop_positive_offset", 0.0) or 0.0
            ),
            trailing_only_offset_is_reached=bool(
                getattr(strategy, "trailing_only_offset_is_reached", False)
            ),
            use_exit_signal=bool(attr("use_exit_signal", True)),
            exit_profit_only=bool(attr("exit_profit_only", False)),
            exit_profit_offset=float(attr("exit_profit_offset", 0.0) or 0.0),
            ignore_roi_if_entry_signal=bool(attr("ignore_roi_if_entry_signal", False)),
        )


def roi_table(minimal_roi: Mapping[Any, Any]) -> tuple[tuple[int, float], ...]:
    """Freqtrade's ``minimal_roi`` dict (keys minutes as str or int) as sorted steps."""
    try:
        steps = sorted((int(key), float(value)) for key, value in minimal_roi.items())
    except (TypeError, ValueError) as error:
        raise ConfigError(f"minimal_roi must map minutes to ratios: {error}") from error
    return tuple(steps)


def check_supported(strategy: Any) -> None:
    """Refuse what the kernel does not follow, naming the attribute or callback.

    Raises:
        StrategyError: shorting, futures/margin, position adjustment, or an overridden
            callback that would change the trades (see ``_REFUSED_CALLBACKS``).
    """
    name = type(strategy).__name__
    if getattr(strategy, "can_short", False):
        raise StrategyError(
            "shorting (can_short = True) is not supported", where=name, hint="set can_short = False"
        )
    if getattr(strategy, "position_adjustment_enable", False):
        raise StrategyError(
            "position adjustment (position_adjustment_enable = True) is not supported",
            where=name,
            hint="set position_adjustment_enable = False",
        )
    config = getattr(strategy, "config", None) or {}
    mode = str(config.get("trading_mode", "spot")).lower().rsplit(".", 1)[-1]
    if mode not in ("spot", ""):
        raise StrategyError(
            f"trading_mode {mode!r} is not supported, only spot", where=name, hint="use spot"
        )
    if getattr(strategy, "use_custom_roi", False):
        raise StrategyError("custom_roi (use_custom_roi = True) is not supported", where=name)
    for callback, message in _REFUSED_CALLBACKS.items():
        if overrides(strategy, callback):
            raise StrategyError(f"{callback}: {message}", where=name, hint=f"remove {callback}")


def overrides(strategy: Any, callback: str) -> bool:
    """Whether ``strategy`` overrides the ``IStrategy`` method ``callback``."""
    istrategy = next((c for c in type(strategy).__mro__ if c.__name__ == "IStrategy"), None)
    if istrategy is None or callback not in vars(istrategy):
        return False
    return getattr(type(strategy), callback) is not vars(istrategy)[callback]


@dataclass(frozen=True)
class Market:
    """One pair's exchange rules, as Freqtrade reads them from the exchange's markets.

    Attributes:
        amount_step: Amount precision as a step (ccxt TICK_SIZE mode); amounts are
            truncated to it. None = no rounding.
        price_step: Price precision as a step, used when the candles do not give one
            (Freqtrade derives the price tick from the candles' digits first).
        min_stake: The market's ``limits.cost.min`` in stake currency (None = none).
        min_amount: The market's ``limits.amount.min`` in base currency (None = none).
    """

    amount_step: float | None = None
    price_step: float | None = None
    min_stake: float | None = None
    min_amount: float | None = None


@dataclass(frozen=True)
class Wallet:
    """The account: slots, stake rule, starting balance and fee, as Freqtrade's config.

    Attributes:
        max_open_trades: Slots shared by all pairs; -1 = unlimited.
        stake_amount: Stake per trade in stake currency; None = ``"unlimited"`` (the
            available balance divided by the free slots).
        dry_run_wallet: Starting balance.
        tradable_balance_ratio: Share of the balance the bot may use.
        fee: Fee ratio charged on each side.
    """

    max_open_trades: int
    stake_amount: float | None
    dry_run_wallet: float = 1000.0
    tradable_balance_ratio: float = 0.99
    fee: float = 0.001

    def __post_init__(self) -> None:
        if self.max_open_trades == 0 or self.max_open_trades < -1:
            raise ConfigError(f"max_open_trades must be -1 or positive, got {self.max_open_trades}")
        if self.stake_amount is None and self.max_open_trades == -1:
            raise ConfigError(
                'stake_amount "unlimited" needs a finite max_open_trades',
                hint="set max_open_trades to the number of trades to run at once",
            )
        if self.stake_amount is not None and not self.stake_amount > 0:
            raise ConfigError(f"stake_amount must be positive, got {self.stake_amount}")
        if not 0.0 < self.tradable_balance_ratio <= 1.0:
            raise ConfigError(
                f"tradable_balance_ratio must be in (0, 1], got {self.tradable_balance_ratio}"
            )
        if not 0.0 <= self.fee < 1.0:
            raise ConfigError(f"fee must be a ratio in [0, 1), got {self.fee}")
