"""Validation: each kind of bad row is named with file, line and timestamp; gaps are counted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from genesis.data import (
    Candles,
    collect_problems,
    load_candles,
    read_candles_file,
    synthetic_candles,
    validate_candles,
)
from genesis.errors import DataError

from ._rows import GOOD_ROWS, HEADER

BAD_ROWS = [
    ("duplicate timestamp", "2018-01-01T01:00:00Z,105,112,101,108,12"),
    ("out of order", "2017-12-31T00:00:00Z,105,112,101,108,12"),
    ("close is not a finite number", "2018-01-01T04:00:00Z,105,112,101,nan,12"),
    ("close is not a finite number", "2018-01-01T04:00:00Z,105,112,101,abc,12"),
    ("volume is not a finite number", "2018-01-01T04:00:00Z,105,112,101,108,inf"),
    ("low is not positive", "2018-01-01T04:00:00Z,105,112,0,108,12"),
    ("open is not positive", "2018-01-01T04:00:00Z,-1,112,-2,108,12"),
    ("high is below max(open, close)", "2018-01-01T04:00:00Z,105,107,101,108,12"),
    ("low is above min(open, close)", "2018-01-01T04:00:00Z,105,112,106,108,12"),
    ("volume is negative", "2018-01-01T04:00:00Z,105,112,101,108,-1"),
]


@pytest.mark.parametrize(("problem", "bad"), BAD_ROWS)
def test_bad_row_names_file_line_and_timestamp(
    problem: str, bad: str, write_csv: Callable[..., Path]
) -> None:
    path = write_csv([*GOOD_ROWS[:2], bad, *GOOD_ROWS[3:]])
    with pytest.raises(DataError) as caught:
        load_candles(path)
    text = str(caught.value)
    assert f"{path}:4" in text  # header is line 1, the bad row is the third data row
    assert bad.split(",")[0] in text
    assert problem in text


def test_collect_problems_lists_every_bad_row(write_csv: Callable[..., Path]) -> None:
    rows = [
        GOOD_ROWS[0],
        "2018-01-01T01:00:00Z,105,100,101,108,12",  # high too low
        GOOD_ROWS[2],
        "2018-01-01T02:00:00Z,108,109,100,102,-8",  # duplicate and negative volume
    ]
    candles = read_candles_file(write_csv(rows))
    problems = collect_problems(candles, first_line=2)
    assert [(p.line, p.message.split(" (")[0].split(";")[0]) for p in problems] == [
        (3, "high is below max(open, close)"),
        (5, "duplicate timestamp"),
        (5, "volume is negative"),
    ]
    assert "2018-01-01T02:00:00Z" in str(problems[1])


def test_missing_column_is_named(write_csv: Callable[..., Path]) -> None:
    path = write_csv(["2018-01-01T00:00:00Z,1,2,1,2"], header="time,open,high,low,close")
    with pytest.raises(DataError, match=r"missing column.*volume") as caught:
        load_candles(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("content", ["", HEADER + "\n"])
def test_empty_file_is_an_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=r"empty|no candles") as caught:
        load_candles(path)
    assert str(path) in str(caught.value)


def test_unparseable_timestamp_names_its_line(write_csv: Callable[..., Path]) -> None:
    path = write_csv([GOOD_ROWS[0], "yesterday,1,2,1,2,3"])
    with pytest.raises(DataError, match="yesterday") as caught:
        load_candles(path)
    assert f"{path}:3" in str(caught.value)


def _hourly(hours: list[int]) -> Candles:
    ts = np.asarray(hours, dtype=np.int64) * 3_600_000
    ones = np.ones(len(hours))
    return Candles.from_arrays(ts, ones, ones, ones, ones, ones, timeframe="1h")


def test_gaps_are_reported_not_raised() -> None:
    report = validate_candles(_hourly([0, 1, 2, 5, 6, 7, 8, 20, 21]))
    assert report.timeframe == "1h"
    assert report.n_rows == 9
    assert report.n_gaps == 2
    assert report.n_missing_bars == 2 + 11
    assert report.largest_gap is not None
    assert report.largest_gap.start_ms == 9 * 3_600_000
    assert report.largest_gap.n_missing == 11
    assert [g.n_missing for g in report.gaps] == [2, 11]


def test_timeframe_is_detected_as_the_most_common_step() -> None:
    assert validate_candles(_hourly([0, 4, 8, 12, 20, 24])).timeframe == "4h"


def test_timeframe_mismatch_is_an_error() -> None:
    with pytest.raises(DataError, match="1h bars, expected 4h"):
        validate_candles(_hourly([0, 1, 2, 3]), where="x.csv", expected_timeframe="4h")
    with pytest.raises(DataError, match="1h bars, expected 4h"):
        load_candles("synthetic:tBTCUSD:1h:1:100", timeframe="4h")


def test_row_numbers_without_a_file() -> None:
    candles = _hourly([0, 1, 1])
    with pytest.raises(DataError, match=r"row 3: .*duplicate"):
        validate_candles(candles)


def test_synthetic_candles_validate_cleanly() -> None:
    report = validate_candles(synthetic_candles(n_bars=2_000), expected_timeframe="1h")
    assert (report.n_rows, report.n_gaps) == (2_000, 0)
