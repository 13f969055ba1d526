"""Suspect ticks: far outside the neighbours' range is flagged, an ordinary wide bar is not."""

from __future__ import annotations

from genesis.data import Candles, find_suspect_ticks, synthetic_candles


def _with(
    c: Candles, index: int, *, high: float | None = None, low: float | None = None
) -> Candles:
    highs, lows = c.high.copy(), c.low.copy()
    highs[index] = highs[index] if high is None else high
    lows[index] = lows[index] if low is None else low
    return Candles.from_arrays(c.ts_ms, c.open, highs, lows, c.close, c.volume)


def test_realistic_candles_have_none() -> None:
    assert find_suspect_ticks(synthetic_candles(n_bars=5_000)) == ()


def test_a_bad_low_and_a_bad_high_are_flagged_with_their_lines() -> None:
    c = synthetic_candles(n_bars=400)
    bad = _with(_with(c, 50, low=0.01), 200, high=float(c.high[200]) * 30)
    found = find_suspect_ticks(bad, first_line=2)
    assert [s.line for s in found] == [52, 202]
    assert found[0].low == 0.01 and found[0].range_pct > 1e5
    assert found[1].neighbours_pct < 10.0 and found[0].ts_ms == int(c.ts_ms[50])


def test_a_bar_a_few_times_wider_than_its_neighbours_is_not_flagged() -> None:
    c = synthetic_candles(n_bars=400)
    wider = _with(c, 100, high=float(c.high[100]) * 1.03, low=float(c.low[100]) * 0.97)
    assert find_suspect_ticks(wider) == ()
