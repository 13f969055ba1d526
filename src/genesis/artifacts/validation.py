"""Reading a run's ``validation`` object (``best_trial.json``, ``validation.json``).

The summary and the report show the same comparison: what the search saw, what the test
period gave, what to expect, and buy-and-hold of the same bars.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def comparison_columns(v: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, metrics) columns: in sample, out of sample, what to expect, buy-and-hold."""
    columns: list[tuple[str, Mapping[str, Any]]] = []
    last = " (last fold)" if v.get("method") == "walk_forward" else ""
    if v.get("in_sample"):
        columns.append((f"in sample{last}", v["in_sample"].get("metrics") or {}))
    if v.get("out_of_sample"):
        columns.append((f"out of sample{last}", v["out_of_sample"].get("metrics") or {}))
    expected = v.get("expected") or {}
    if expected.get("metrics"):
        columns.append(("what to expect", expected["metrics"]))
    if v.get("buy_and_hold") and len(columns) > 1:
        columns.append(("buy & hold, same bars", v["buy_and_hold"]))
    return columns
