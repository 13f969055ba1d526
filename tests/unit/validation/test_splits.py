"""Holdout and walk-forward windows: in-sample bars always before out-of-sample ones."""

from __future__ import annotations

import pytest

from genesis.data import synthetic_candles, window
from genesis.errors import ConfigError
from genesis.validation.splits import Window, holdout_windows, walk_forward_folds


def test_holdout_by_fraction_keeps_the_last_bars_for_the_test() -> None:
    candles = synthetic_candles(n_bars=1000, seed=1)
    train, test = holdout_windows(candles, test_fraction=0.3)
    assert (train.start, train.stop, test.start, test.stop) == (0, 700, 700, 1000)


def test_holdout_by_date_splits_at_the_first_bar_on_or_after_it() -> None:
    candles = synthetic_candles(n_bars=1000, seed=1)
    split = candles.ts_ms[400]
    from genesis.data import format_ts

    train, test = holdout_windows(candles, split=format_ts(int(split) - 1))
    assert (train.stop, test.start) == (400, 400)


def test_holdout_that_leaves_too_few_bars_is_a_config_error() -> None:
    candles = synthetic_candles(n_bars=1000, seed=1)
    with pytest.raises(ConfigError, match="bars to search"):
        holdout_windows(candles, split="1990-01-01")
    with pytest.raises(ConfigError, match=r"validation\.holdout\.test_fraction"):
        holdout_windows(candles, test_fraction=0.995)


def test_window_dates_select_exactly_its_bars_through_the_data_window() -> None:
    candles = synthetic_candles(n_bars=500, seed=2)
    part = Window(123, 321)
    start, end = part.dates(candles)
    selected = window(candles, start=start, end=end)
    assert len(selected) == part.n_bars
    assert selected.ts_ms[0] == candles.ts_ms[123] and selected.ts_ms[-1] == candles.ts_ms[320]


def test_anchored_folds_grow_from_the_first_bar_and_test_consecutive_windows() -> None:
    folds = walk_forward_folds(1000, folds=4, mode="anchored")
    assert [(f.train.start, f.train.stop, f.test.start, f.test.stop) for f in folds] == [
        (0, 200, 200, 400), (0, 400, 400, 600), (0, 600, 600, 800), (0, 800, 800, 1000),
    ]  # fmt: skip


def test_rolling_folds_keep_their_train_length() -> None:
    folds = walk_forward_folds(1000, folds=3, mode="rolling", test_bars=100, train_bars=300)
    assert [(f.train.start, f.train.stop, f.test.stop) for f in folds] == [
        (400, 700, 800), (500, 800, 900), (600, 900, 1000),
    ]  # fmt: skip
    assert all(f.train.n_bars == 300 and f.test.n_bars == 100 for f in folds)


def test_folds_that_do_not_fit_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="bars before"):
        walk_forward_folds(1000, folds=4, mode="anchored", test_bars=240)
    with pytest.raises(ConfigError, match="bars before"):
        walk_forward_folds(1000, folds=2, mode="rolling", test_bars=100, train_bars=900)
