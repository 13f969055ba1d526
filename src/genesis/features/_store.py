"""The feature store (compute each indicator once per process) and the Features view.

A :class:`FeatureStore` maps *(candles, indicator name, params)* to the computed, read-only
array(s). Candles are keyed by object identity: the store keeps a reference to every
Candles it has seen, so an ``id()`` can never be reused for other bars while the store
lives. Strategies never see the store directly; they get a :class:`Features` view bound
to one Candles, whose methods (``ema(20)``, ``atr(14)`` …) are a tuple-key dict lookup
when warm: an optimizer re-runs the same strategy thousands of times on the same bars,
so the per-call cost must stay in the microseconds.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeAlias

from genesis.errors import StrategyError
from genesis.features import indicators

if TYPE_CHECKING:
    from genesis.data._candles import Candles, FloatArray

Param: TypeAlias = int | float
FeatureValue: TypeAlias = "FloatArray | tuple[FloatArray, ...]"
_Compute: TypeAlias = "Callable[..., FeatureValue]"

_INDICATORS: dict[str, _Compute] = {
    "sma": lambda c, period: indicators.sma(c.close, period),
    "ema": lambda c, period: indicators.ema(c.close, period),
    "rsi": lambda c, period: indicators.rsi(c.close, period),
    "atr": lambda c, period: indicators.atr(c.high, c.low, c.close, period),
    "adx": lambda c, period: indicators.adx(c.high, c.low, c.close, period),
    "bbands": lambda c, period, k: indicators.bbands(c.close, period, k),
    "donchian": lambda c, period: indicators.donchian(c.high, c.low, period),
}
"""Indicator name → how to compute it from a Candles and its params (in order)."""

INDICATOR_NAMES: tuple[str, ...] = tuple(sorted(_INDICATORS))


def _freeze(value: FeatureValue) -> FeatureValue:
    arrays = value if isinstance(value, tuple) else (value,)
    for array in arrays:
        array.setflags(write=False)
    return value


class FeatureStore:
    """Computes each *(indicator, params, candles)* once and hands out the same array.

    Contract:
        * Ownership: returned arrays are read-only and shared by every caller; never copy
          them to mutate, compute a new array instead.
        * Lifetime: entries and the Candles they refer to live as long as the store (one
          per process or per optimization run); :meth:`clear` drops them all.
        * Concurrency: safe to share between threads (each dict operation is atomic);
          two threads missing on the same key may both compute it, and both then receive
          the first stored array. Not shared between processes.

    Attributes:
        hits: Requests answered from the store.
        misses: Requests that computed an indicator.
    """

    def __init__(self) -> None:
        self._values: dict[tuple[int, str, tuple[Param, ...]], FeatureValue] = {}
        self._candles: dict[int, Candles] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._values)

    def get(self, candles: Candles, name: str, params: tuple[Param, ...]) -> FeatureValue:
        """Return indicator ``name`` with ``params`` on ``candles``, computing it on a miss.

        Raises:
            StrategyError: on an unknown indicator name (with close matches) or bad params.
        """
        value = self._values.get((id(candles), name, params))
        if value is not None:
            self.hits += 1
            return value
        return self._compute(candles, name, params)

    def _compute(self, candles: Candles, name: str, params: tuple[Param, ...]) -> FeatureValue:
        try:
            compute = _INDICATORS[name]
        except KeyError:
            close = difflib.get_close_matches(name, INDICATOR_NAMES, n=3)
            raise StrategyError(
                f"unknown indicator {name!r} (known: {', '.join(INDICATOR_NAMES)})",
                hint=f"did you mean: {', '.join(close)}?" if close else None,
            ) from None
        try:
            value = _freeze(compute(candles, *params))
        except TypeError as error:  # wrong number of params for this indicator
            raise StrategyError(f"indicator {name!r} called with params {params!r}") from error
        self.misses += 1
        self._candles.setdefault(id(candles), candles)
        return self._values.setdefault((id(candles), name, params), value)

    def precompute(
        self, candles: Candles, requests: Iterable[tuple[str, tuple[Param, ...]]]
    ) -> int:
        """Compute every ``(name, params)`` of ``requests`` on ``candles`` now.

        Used when ``GENESIS_PRECOMPUTE_FEATURES`` asks for the indicators of a whole
        search space up front. Requests already in the store are skipped (and not counted
        as hits).

        Returns:
            How many indicators were computed.
        """
        computed = 0
        for name, params in requests:
            if (id(candles), name, params) not in self._values:
                self._compute(candles, name, params)
                computed += 1
        return computed

    def features(self, candles: Candles) -> Features:
        """A :class:`Features` view of ``candles`` backed by this store."""
        return Features(candles, self)

    def clear(self) -> None:
        """Drop every entry and Candles reference; counters are kept."""
        self._values.clear()
        self._candles.clear()


class Features:
    """What a strategy receives: one Candles and cached indicators computed on it.

    Every method returns read-only arrays of ``len(candles)``, NaN during the warm-up.
    Price indicators (SMA, EMA, RSI, Bollinger) use the close.

    Args:
        candles: The bars the strategy decides on.
        store: Where indicators are cached; a private store when omitted.
    """

    __slots__ = ("_candles_id", "_store", "candles", "close", "high", "low", "open", "volume")

    def __init__(self, candles: Candles, store: FeatureStore | None = None) -> None:
        self.candles = candles
        self.open = candles.open
        self.high = candles.high
        self.low = candles.low
        self.close = candles.close
        self.volume = candles.volume
        self._store = store if store is not None else FeatureStore()
        self._candles_id = id(candles)

    def __len__(self) -> int:
        return len(self.candles)

    @property
    def store(self) -> FeatureStore:
        """The store this view reads from."""
        return self._store

    def get(self, name: str, *params: Param) -> FeatureValue:
        """Indicator ``name`` with positional ``params``, e.g. ``get("bbands", 20, 2.0)``."""
        return self._store.get(self.candles, name, params)

    def sma(self, period: int) -> FloatArray:
        """Simple moving average of the close; valid from index ``period - 1``."""
        return self._store.get(self.candles, "sma", (period,))  # type: ignore[return-value]

    def ema(self, period: int) -> FloatArray:
        """Exponential moving average of the close; valid from index ``period - 1``."""
        return self._store.get(self.candles, "ema", (period,))  # type: ignore[return-value]

    def rsi(self, period: int) -> FloatArray:
        """Wilder's RSI of the close in [0, 100]; valid from index ``period``."""
        return self._store.get(self.candles, "rsi", (period,))  # type: ignore[return-value]

    def atr(self, period: int) -> FloatArray:
        """Wilder's average true range; valid from index ``period``."""
        return self._store.get(self.candles, "atr", (period,))  # type: ignore[return-value]

    def adx(self, period: int) -> FloatArray:
        """Wilder's ADX in [0, 100]; valid from index ``2 * period - 1``."""
        return self._store.get(self.candles, "adx", (period,))[0]  # type: ignore[index]

    def di(self, period: int) -> tuple[FloatArray, FloatArray]:
        """Wilder's ``(plus_di, minus_di)`` in [0, 100]; valid from index ``period``."""
        _, plus_di, minus_di = self._store.get(self.candles, "adx", (period,))
        return plus_di, minus_di

    def bbands(self, period: int, k: float = 2.0) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Bollinger ``(middle, upper, lower)`` at ``k`` stdevs; valid from ``period - 1``."""
        return self._store.get(self.candles, "bbands", (period, k))  # type: ignore[return-value]

    def donchian(self, period: int) -> tuple[FloatArray, FloatArray]:
        """Donchian ``(upper, lower)`` over the last ``period`` bars, this one included.

        Valid from index ``period - 1``. For a breakout, compare with the previous bar's
        channel (``upper[t - 1]``), never the current one.
        """
        return self._store.get(self.candles, "donchian", (period,))  # type: ignore[return-value]
