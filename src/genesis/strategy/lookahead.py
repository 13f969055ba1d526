"""The look-ahead check: a strategy's signals must not change when the future is removed.

A strategy decides on bar ``t`` from bars ``0..t`` only. So its signals and stops computed
on the data cut after bar ``c - 1`` must equal, bar for bar, the first ``c`` bars of the
same computed on all the data. :func:`check_lookahead` cuts the data at
:data:`N_CUTS` points spread over its last four fifths (each cut keeps at least a fifth
of the bars, so the strategy's indicators are defined) and compares every output of
:class:`~genesis.engine.types.Signals` (its exit rules, which hold for the whole run, must
be the same on every cut; a difference is reported at bar 0); the first difference names
the signal, the first bar that differs and the cut. Shifted series, centred windows,
``np.roll``, statistics of the whole series, future highs or lows and resampling without
a shift all change a bar before the cut, and are caught when they change an output. A few
short cuts (:func:`early_cuts`) inside the warm-up catch values filled from later bars
there (``bfill``). A
strategy that works on all the data but raises on a cut (it reads a fixed later bar) looks
ahead too. One whose outputs differ between two calls on the same data (unseeded random
numbers) is reported as such: no cut can be compared with it. Output the engine refuses
(a wrong shape or type) is left to the trials, which say what is wrong.

It also measures how long the strategy's results depend on where the data starts
(:func:`warmup_bars`): the signals computed without the first :data:`WARMUP_DROP` of the
bars are compared with the full run's on the same bars. A strategy whose outputs still
differ after its own warm-up (the bars before its first signal) keeps a memory of the
data's first bar: its results change with the start of the data.

Each cut's features are computed once and shared by every params set checked on it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from genesis.data import Candles
from genesis.engine.backtest import signal_arrays
from genesis.engine.types import ExitRules, Signals
from genesis.features import Features, FeatureStore
from genesis.strategy.base import ParamValue, Strategy

N_CUTS = 24
"""Cut points per check (at least 20): a bug that shows on some bars only is met often."""
FIRST_CUT = 0.2
"""The earliest cut, as a fraction of the bars."""
RTOL = 1e-9
"""Floats equal to this relative tolerance are equal (the same computation on a prefix)."""
WARMUP_DROP = 0.1
"""The fraction of the first bars dropped to see how long the results remember them."""
WARMUP_RTOL = 1e-6
"""Outputs within this relative tolerance are the same after a different start."""

Params = Mapping[str, ParamValue]


@dataclass(frozen=True)
class Leak:
    """A signal that changed when the bars after ``cut`` were removed."""

    signal: str
    bar: int
    """The first bar (index into the full data) whose value differs."""
    cut: int
    """How many bars the truncated data kept."""
    params: Params
    failed: str | None = None
    """Why ``signals()`` failed on the truncated data while it worked on all of it."""
    random: bool = False
    """The outputs differ between two calls on the same (full) data: no cut is to blame."""

    def describe(self, candles: Candles | None = None) -> str:
        when = ""
        if candles is not None:
            from genesis.data import format_ts

            when = f" ({format_ts(int(candles.ts_ms[self.bar]))})"
        if self.random:
            return (
                f"signal {self.signal!r} at bar {self.bar}{when} differs between two calls on "
                f"the same data, so no cut can be compared: seed its random numbers "
                f"(params {dict(self.params)})"
            )
        if self.failed is not None:
            return (
                f"signals() fails when the data ends at bar {self.cut}{when} but not on all "
                f"the data, so it reads later bars: {self.failed} (params {dict(self.params)})"
            )
        return (
            f"signal {self.signal!r} at bar {self.bar}{when} changes when the data ends at "
            f"bar {self.cut} (params {dict(self.params)})"
        )


@dataclass(frozen=True)
class LookaheadReport:
    """What :func:`check_lookahead` found."""

    leaks: tuple[Leak, ...]
    cuts: tuple[int, ...]
    n_params: int
    elapsed_s: float
    warmup_needed: int | None = None
    """Bars after which the outputs no longer depend on the data's first bar (None: unknown)."""
    warmup_given: int | None = None
    """Bars the strategy itself waits before its first signal."""

    @property
    def found(self) -> bool:
        return bool(self.leaks)

    @property
    def warmup_short(self) -> bool:
        """Whether results still depend on the data's start after the strategy's warm-up."""
        return (
            self.warmup_needed is not None
            and self.warmup_given is not None
            and self.warmup_needed > self.warmup_given
        )

    def as_dict(self, candles: Candles | None = None) -> dict[str, object]:
        """The ``lookahead`` object of ``best_trial.json``'s validation."""
        return {
            "found": self.found,
            "detail": self.leaks[0].describe(candles) if self.leaks else None,
            "cuts": len(self.cuts),
            "params_checked": self.n_params,
            "elapsed_s": round(self.elapsed_s, 4),
            "warmup_needed": self.warmup_needed,
            "warmup_given": self.warmup_given,
        }


def cut_points(n_bars: int, n_cuts: int = N_CUTS) -> list[int]:
    """``n_cuts`` distinct cut points spread evenly from ``FIRST_CUT`` of the bars to the last.

    Each keeps at least 2 bars and drops at least one: none for fewer than 3 bars.
    """
    first = max(2, int(n_bars * FIRST_CUT))
    return sorted({int(c) for c in np.linspace(first, n_bars - 1, n_cuts) if 2 <= c < n_bars})


def early_cuts(n_bars: int) -> list[int]:
    """Cuts before the first of :func:`cut_points`: 2, 4, 8, … bars.

    Inside the strategy's warm-up, where a value filled from later bars (``bfill`` of an
    indicator's NaNs) is the same on every longer cut and differs only here.
    """
    first = max(2, int(n_bars * FIRST_CUT))
    return [2**k for k in range(1, max(1, first).bit_length()) if 2**k < min(first, n_bars)]


def check_lookahead(
    strategy: Strategy,
    candles: Candles,
    params_sets: Sequence[Params],
    *,
    features: Features | None = None,
    n_cuts: int = N_CUTS,
) -> LookaheadReport:
    """Compare each params set's outputs on truncated data with the full run's.

    Args:
        strategy: The strategy to check.
        candles: All the bars the search will see.
        params_sets: Checked params (see :func:`~genesis.strategy.resolve_params`); a set
            the strategy refuses (a ``StrategyError``) is left out.
        features: The full data's features (a search's own, so its cache gets warm).
        n_cuts: How many cut points.
    """
    started = time.perf_counter()
    full = features if features is not None else Features(candles, FeatureStore())
    runs = [(p, s) for p in params_sets if isinstance(s := _signals(strategy, full, p), Signals)]
    early = early_cuts(len(candles))
    cuts = [*cut_points(len(candles), n_cuts), *early]  # the usual cuts first: clearer leaks
    leaks = _random(strategy, full, runs)
    if leaks:
        cuts = []  # every cut would differ: the check says why instead
    store = FeatureStore()  # one per check: each cut's indicators shared by every params set
    for cut in cuts:
        truncated = Features(candles.slice(0, cut), store)
        for params, whole in runs:
            part = _signals(strategy, truncated, params)
            if isinstance(part, str):  # works on all the data, fails without the future
                if cut not in early:  # on a few bars, failing may be honest (too short)
                    leaks.append(Leak("signals()", cut - 1, cut, params, failed=part))
                continue
            found = _first_difference(whole, part, cut, RTOL)
            if found is not None:
                leaks.append(Leak(found[0], found[1], cut, params))
        if leaks:
            break  # the first cut that shows a leak names the first bar: enough to refuse
    needed, given = warmup_bars(strategy, candles, runs[0] if runs else None)
    elapsed = time.perf_counter() - started
    return LookaheadReport(tuple(leaks), tuple(cuts), len(runs), elapsed, needed, given)


def _random(
    strategy: Strategy, full: Features, runs: Sequence[tuple[Params, Signals]]
) -> list[Leak]:
    """A leak for the first params set whose outputs differ on a second call."""
    n = len(full.candles)
    for params, whole in runs:
        again = _signals(strategy, full, params)
        found = _first_difference(whole, again, n, RTOL) if isinstance(again, Signals) else None
        if found is not None:
            return [Leak(found[0], found[1], n, params, random=True)]
    return []


def warmup_bars(
    strategy: Strategy, candles: Candles, run: tuple[Params, Signals] | None
) -> tuple[int | None, int | None]:
    """(bars the outputs depend on the data's start, bars before the first signal).

    The first :data:`WARMUP_DROP` of the bars are dropped and the outputs compared with
    the full run's on the same bars; the last differing bar, counted from the new start,
    is the warm-up the strategy needs.
    """
    if run is None:
        return None, None
    params, whole = run
    drop = int(len(candles) * WARMUP_DROP)
    later = _signals(strategy, Features(candles.slice(drop, len(candles))), params)
    if not isinstance(later, Signals):
        return None, None
    last = -1
    for _, a, b in _outputs(whole, later):
        if len(b) != len(a) - drop:
            return None, None  # outputs of another length: the leak check names it
        differs = ~_same(a[drop:], b, WARMUP_RTOL)
        if differs.any():
            last = max(last, int(np.flatnonzero(differs)[-1]))
    return last + 1, _first_signal(later)


def _signals(strategy: Strategy, features: Features, params: Params) -> Signals | str:
    """The strategy's signals, or why it raised or returned what the engine refuses.

    On all the data, such a params set is not checked (its trials say why); on truncated
    data, after it worked on all of it, the failure is a look-ahead.
    """
    try:
        signals = strategy.signals(features, params)
        if not isinstance(signals, Signals):
            return f"signals() returned a {type(signals).__name__}, not Signals"
        signal_arrays(signals, len(features.candles))  # wrong shape or dtype: not checked
    except Exception as error:  # user code may raise anything
        return f"{type(error).__name__}: {str(error)[:200]}"
    return signals


def _outputs(a: Signals, b: Signals) -> list[tuple[str, np.ndarray, np.ndarray]]:
    pairs = []
    for f in fields(Signals):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if x is not None and y is not None and not isinstance(x, ExitRules):
            pairs.append((f.name, np.asarray(x), np.asarray(y)))
    return pairs


def _same(a: np.ndarray, b: np.ndarray, rtol: float) -> np.ndarray:
    if a.dtype == np.bool_ or b.dtype == np.bool_:
        return np.asarray(a == b)
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        close = np.abs(a - b) <= rtol * np.maximum(np.abs(a), np.abs(b))
    return np.asarray(both_nan | close)


def _first_difference(
    whole: Signals, part: Signals, cut: int, rtol: float
) -> tuple[str, int] | None:
    """The signal and first bar where ``part`` (bars ``[0, cut)``) differs from ``whole``.

    An output present in one and missing in the other, or of another length than its
    bars, differs from the cut's last bar on.
    """
    first: tuple[str, int] | None = None
    for f in fields(Signals):
        a, b = getattr(whole, f.name), getattr(part, f.name)
        if a is None and b is None:
            continue
        if isinstance(a, ExitRules) or isinstance(b, ExitRules):
            if a == b:
                continue
            bar = 0  # a rule of the whole run that depends on where the data ends
        elif a is None or b is None or len(b) != cut:
            bar = cut - 1
        else:
            head, b = np.asarray(a)[:cut], np.asarray(b)
            if np.array_equal(head, b, equal_nan=head.dtype != np.bool_):
                continue  # the usual case, and the cheap test: the same bits
            differs = ~_same(head, b, rtol)
            if not differs.any():
                continue
            bar = int(np.argmax(differs))
        if first is None or bar < first[1]:
            first = (f.name, bar)
    return first


def _first_signal(signals: Signals) -> int:
    """The first bar with an entry or a defined stop: the strategy's own warm-up."""
    firsts = []
    for name in ("entry_long", "entry_short"):
        values = getattr(signals, name)
        if values is not None and np.any(values):
            firsts.append(int(np.argmax(values)))
    return min(firsts) if firsts else 0
