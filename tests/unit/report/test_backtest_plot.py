"""The ``--plot`` page's thinning keeps every peak and trough of a long curve."""

from __future__ import annotations

import numpy as np

from genesis.report.backtest_plot import thinned_index


def test_short_curves_are_drawn_whole() -> None:
    assert thinned_index([np.arange(50.0)], max_points=40).tolist() == list(range(50))


def test_thinning_keeps_extremes_first_and_last_bars() -> None:
    rng = np.random.default_rng(0)
    a, b = np.cumsum(rng.normal(size=100_000)), np.cumsum(rng.normal(size=100_000))
    idx = thinned_index([a, b], max_points=500)
    assert len(idx) <= 500 * 5 + 1 and np.all(np.diff(idx) > 0)
    assert idx[0] == 0 and idx[-1] == len(a) - 1
    for values in (a, b):
        assert int(np.argmax(values)) in idx and int(np.argmin(values)) in idx
        assert values[idx].max() == values.max()  # the deepest drawdown's peak survives
