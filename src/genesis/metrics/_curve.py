"""One numba pass over an equity curve for the statistics behind the ratios.

The numpy form of these statistics (returns array, ``np.std``, ``np.maximum.accumulate``
…) allocates five temporaries the size of the curve and costs about twice a whole
backtest on 50k bars; this pass allocates nothing and divides once per bar. Definitions (see
:mod:`genesis.metrics._metrics`): per-bar returns ``r[i] = equity[i] / equity[i-1] - 1``
with the initial capital before bar 0; the standard deviation is the sample one
(ddof 1); the downside deviation is ``sqrt(mean(min(r, 0) ** 2))``; drawdown is measured
from the running peak with the initial capital included; a drawdown's duration is the
number of consecutive bars the equity stays strictly below that peak.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit, types

_RO_F8 = types.Array(types.float64, 1, "C", readonly=True)
_SIGNATURE = types.UniTuple(types.float64, 6)(_RO_F8, types.float64)  # type: ignore[no-untyped-call]


@njit(_SIGNATURE, cache=True, nogil=True, error_model="numpy")
def curve_stats_nb(
    equity: npt.NDArray[np.float64], capital: float
) -> tuple[float, float, float, float, float, float]:
    """Statistics of an equity curve that starts from ``capital``.

    Args:
        equity: Equity marked at each bar's close (at least one bar). Returns are
            meaningless once the equity is <= 0 (numpy's error model turns a division
            by zero into inf instead of raising); callers check ``min_equity`` first.
        capital: Equity before the first bar.

    Returns:
        ``(mean_return, std_return, downside_deviation, max_drawdown, min_equity,
        max_drawdown_bars)``; ``std_return`` is NaN with fewer than two bars;
        ``max_drawdown`` is a fraction; ``max_drawdown_bars`` (a whole number) is the
        longest run of bars below the running peak.
    """
    n = equity.shape[0]
    previous = peak = capital
    total = squares = downside = max_dd = 0.0
    peak_i, longest = -1, 0  # the initial capital is the peak "before bar 0"
    min_equity = np.inf
    for i in range(n):
        value = equity[i]
        r = value / previous - 1.0
        total += r
        squares += r * r
        if r < 0.0:
            downside += r * r
        if value >= peak:
            peak, peak_i = value, i
        else:
            longest = max(longest, i - peak_i)
            if value < peak * (1.0 - max_dd):  # a new deepest drawdown: divide only then
                max_dd = 1.0 - value / peak
        min_equity = min(min_equity, value)
        previous = value
    mean = total / n
    # One-pass variance: per-bar returns are small and centred near 0, so the
    # cancellation in ``squares - n * mean**2`` costs ~1e-12 relative accuracy.
    std = math.sqrt(max(0.0, squares - n * mean * mean) / (n - 1)) if n > 1 else np.nan
    return mean, std, math.sqrt(downside / n), max_dd, min_equity, float(longest)
