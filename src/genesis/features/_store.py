"""The feature store (compute each indicator once per process) and the Features view.

A :class:`FeatureStore` maps *(candles, indicator name, params)* to the computed, read-only
array(s). Candles are keyed by object identity: the store keeps a reference to every
Candles it has seen, so an ``id()`` can never be reused for other bars while the store
lives. Strategies never see the store directly; they get a :class:`Features` view bound
to one Candles, whose methods (``ema(20)``, ``atr(14)`` …) are a tuple-key dict lookup
when warm: an optimizer re-runs the same strategy thousands of times on the same bars,
so the per-call cost must stay in the microseconds.

Averages and the other one-series indicators also take any series (``ema(9, of=line)``):
a candle column by name, an array the store computed (keyed by identity, which the store
keeps alive), or any other array (keyed by a digest of its values, so a series rebuilt
each call is still computed once).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt

from genesis.errors import StrategyError
from genesis.features import indicators

if TYPE_CHECKING:
    from genesis.data._candles import Candles, FloatArray

Param: TypeAlias = int | float | str
Series: TypeAlias = "str | npt.ArrayLike"
"""A candle column by name (``"close"``, ``"volume"`` …) or an array of one value a bar."""
FeatureValue: TypeAlias = "FloatArray | tuple[FloatArray, ...]"
_Compute: TypeAlias = "Callable[..., FeatureValue]"
_T = TypeVar("_T")

_INDICATORS: dict[str, _Compute] = {
    "sma": lambda c, period: indicators.sma(c.close, period),
    "ema": lambda c, period: indicators.ema(c.close, period),
    "rsi": lambda c, period: indicators.rsi(c.close, period),
    "atr": lambda c, period: indicators.atr(c.high, c.low, c.close, period),
    "adx": lambda c, period: indicators.adx(c.high, c.low, c.close, period),
    "bbands": lambda c, period, k: indicators.bbands(c.close, period, k),
    "donchian": lambda c, period: indicators.donchian(c.high, c.low, period),
    "highest": lambda c, period: indicators.highest(c.high, period),
    "lowest": lambda c, period: indicators.lowest(c.low, period),
    "macd": lambda c, fast, slow, signal: indicators.macd(c.close, fast, slow, signal),
    "stoch": lambda c, k, smooth_k, d: indicators.stoch(c.high, c.low, c.close, k, smooth_k, d),
    "vwap": lambda c, period: indicators.vwap(c.high, c.low, c.close, c.volume, period),
}
"""Indicator name → how to compute it from a Candles and its params (in order)."""

_OF_SERIES: dict[str, tuple[str, _Compute]] = {
    "sma": ("close", indicators.sma),
    "ema": ("close", indicators.ema),
    "rsi": ("close", indicators.rsi),
    "bbands": ("close", indicators.bbands),
    "macd": ("close", indicators.macd),
    "highest": ("high", indicators.highest),
    "lowest": ("low", indicators.lowest),
}
"""The indicators of one series: name → (the column they use by default, the function)."""

_COLUMNS = ("open", "high", "low", "close", "volume")

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
        self._owned: set[int] = set()  # ids of the arrays held in _values
        self._derived: dict[tuple[int, Hashable], object] = {}
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
        return self._keep(candles, (id(candles), name, params), value)

    def _keep(
        self, candles: Candles, key: tuple[int, str, tuple[Param, ...]], value: FeatureValue
    ) -> FeatureValue:
        self.misses += 1
        self._candles.setdefault(id(candles), candles)
        kept = self._values.setdefault(key, value)
        self._owned.update(id(a) for a in (kept if isinstance(kept, tuple) else (kept,)))
        return kept

    def get_of(
        self, candles: Candles, name: str, series: Series, params: tuple[Param, ...]
    ) -> FeatureValue:
        """Indicator ``name`` of ``series`` (instead of its default column) on ``candles``.

        Raises:
            StrategyError: when ``name`` takes no series, or ``series`` is not a column
                name or an array of one value per bar.
        """
        if name not in _OF_SERIES:
            known = ", ".join(sorted(_OF_SERIES))
            raise StrategyError(f"indicator {name!r} takes no series (these do: {known})")
        default, compute = _OF_SERIES[name]
        token, values = self._series(candles, series)
        if token == default:
            return self.get(candles, name, params)
        key = (id(candles), name, (token, *params))
        value = self._values.get(key)
        if value is not None:
            self.hits += 1
            return value
        try:
            computed = _freeze(compute(values, *params))
        except TypeError as error:
            raise StrategyError(f"indicator {name!r} called with params {params!r}") from error
        return self._keep(candles, key, computed)

    def _series(self, candles: Candles, series: Series) -> tuple[str, FloatArray]:
        """A key for ``series`` and its values (see the module docstring)."""
        if isinstance(series, str):
            if series not in _COLUMNS:
                close = difflib.get_close_matches(series, _COLUMNS, n=1)
                raise StrategyError(
                    f"unknown column {series!r} (columns: {', '.join(_COLUMNS)})",
                    hint=f"did you mean: {close[0]}?" if close else None,
                )
            return series, getattr(candles, series)  # type: ignore[no-any-return]
        for column in _COLUMNS:
            if series is getattr(candles, column):
                return column, series  # type: ignore[return-value]
        values = np.ascontiguousarray(series, dtype=np.float64)
        if values.shape != (len(candles),):
            raise StrategyError(
                f"a series must have one value per bar ({len(candles)}), got shape {values.shape}"
            )
        if id(series) in self._owned:
            return f"@{id(series)}", values
        return f"#{hashlib.blake2b(values.tobytes(), digest_size=16).hexdigest()}", values

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

    def derived(self, candles: Candles, key: Hashable, make: Callable[[], _T]) -> _T:
        """``make()``'s value for ``(candles, key)``, made once and kept like an indicator.

        For values built from ``candles`` that are not indicators, e.g. its bars on a
        coarser timeframe (:mod:`genesis.features.timeframe`), which must stay the same
        object so that their own indicators are cached.
        """
        full_key = (id(candles), key)
        value = self._derived.get(full_key)
        if value is None:
            self._candles.setdefault(id(candles), candles)
            value = self._derived.setdefault(full_key, make())
        return value  # type: ignore[return-value]

    def features(self, candles: Candles) -> Features:
        """A :class:`Features` view of ``candles`` backed by this store."""
        return Features(candles, self)

    def clear(self) -> None:
        """Drop every entry and Candles reference; counters are kept."""
        self._values.clear()
        self._candles.clear()
        self._owned.clear()
        self._derived.clear()


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

    def _of(self, name: str, of: Series | None, params: tuple[Param, ...]) -> FeatureValue:
        if of is None:
            return self._store.get(self.candles, name, params)
        return self._store.get_of(self.candles, name, of, params)

    def sma(self, period: int, of: Series | None = None) -> FloatArray:
        """Simple moving average of the close, or of ``of`` (a column name or any series).

        Valid from index ``period - 1`` (later if ``of`` starts with NaN).
        """
        return self._of("sma", of, (period,))  # type: ignore[return-value]

    def ema(self, period: int, of: Series | None = None) -> FloatArray:
        """Exponential moving average of the close, or of ``of``; valid from ``period - 1``."""
        return self._of("ema", of, (period,))  # type: ignore[return-value]

    def rsi(self, period: int, of: Series | None = None) -> FloatArray:
        """Wilder's RSI of the close (or ``of``) in [0, 100]; valid from index ``period``."""
        return self._of("rsi", of, (period,))  # type: ignore[return-value]

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

    def bbands(
        self, period: int, k: float = 2.0, of: Series | None = None
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Bollinger ``(middle, upper, lower)`` at ``k`` stdevs of the close (or ``of``).

        Valid from index ``period - 1``.
        """
        return self._of("bbands", of, (period, k))  # type: ignore[return-value]

    def donchian(self, period: int) -> tuple[FloatArray, FloatArray]:
        """Donchian ``(upper, lower)`` over the last ``period`` bars, this one included.

        Valid from index ``period - 1``. For a breakout, compare with the previous bar's
        channel (``upper[t - 1]``), never the current one.
        """
        return self._store.get(self.candles, "donchian", (period,))  # type: ignore[return-value]

    def highest(self, period: int, of: Series | None = None) -> FloatArray:
        """Highest high (or value of ``of``) of the last ``period`` bars, this one included.

        Valid from index ``period - 1``; compare with the previous bar's value for a breakout.
        """
        return self._of("highest", of, (period,))  # type: ignore[return-value]

    def lowest(self, period: int, of: Series | None = None) -> FloatArray:
        """Lowest low (or value of ``of``) of the last ``period`` bars, this one included."""
        return self._of("lowest", of, (period,))  # type: ignore[return-value]

    def macd(
        self, fast: int = 12, slow: int = 26, signal: int = 9, of: Series | None = None
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """MACD ``(line, signal, histogram)`` of the close (or ``of``).

        All three are valid from index ``slow + signal - 2``.
        """
        return self._of("macd", of, (fast, slow, signal))  # type: ignore[return-value]

    def stoch(self, k: int = 14, smooth_k: int = 3, d: int = 3) -> tuple[FloatArray, FloatArray]:
        """Stochastic ``(pct_k, pct_d)`` in [0, 100]; ``smooth_k=1`` is the fast one.

        Both valid from index ``k + smooth_k + d - 3``.
        """
        return self._store.get(self.candles, "stoch", (k, smooth_k, d))  # type: ignore[return-value]

    def vwap(self, period: int) -> FloatArray:
        """Rolling VWAP of the typical price over ``period`` bars; valid from ``period - 1``."""
        return self._store.get(self.candles, "vwap", (period,))  # type: ignore[return-value]
