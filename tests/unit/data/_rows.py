"""Rows of a small, valid hourly CSV shared by the data tests."""

from __future__ import annotations

HEADER = "timestamp,open,high,low,close,volume"
GOOD_ROWS = [
    "2018-01-01T00:00:00Z,100,110,95,105,10",
    "2018-01-01T01:00:00Z,105,112,101,108,12",
    "2018-01-01T02:00:00Z,108,109,100,102,8",
    "2018-01-01T03:00:00Z,102,106,99,104,9",
]
