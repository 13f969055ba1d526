"""Tables never cut the identifying column, at any terminal width and when piped."""

from __future__ import annotations

import io

import pytest
from rich import box
from rich.console import Console
from rich.table import Table

from genesis.cli._tables import print_table

NAMES = ["run_20261207_214145", "run_20261207_220512_wf", "run_20261208_000001"]
COLUMNS = ("run", "when", "strategy", "data", "trials", "real backtests", "best", "state")


def runs_table() -> Table:
    """Shaped like ``genesis runs list``: long names and eight columns."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for name in COLUMNS:
        table.add_column(name)
    for name in NAMES:
        table.add_row(
            name, "2026-12-07 21:41", "genesis_trend", "synthetic:tBTCUSD:1h|last_8000",
            "1,200", "983", "1.2345", "finished",
        )  # fmt: skip
    return table


def render(width: int | None) -> str:
    out = io.StringIO()
    terminal = width is not None
    console = Console(file=out, width=width or 80, force_terminal=terminal, color_system=None)
    print_table(console, runs_table())
    return out.getvalue()


@pytest.mark.parametrize("width", [60, 80, 100, None])
def test_the_identifying_column_is_never_cut(width: int | None) -> None:
    text = render(width)
    lines = text.splitlines()
    for name in NAMES:
        assert any(line.startswith(name) for line in lines), (width, text)
    if width is not None:
        assert max(len(line.rstrip()) for line in lines) <= width


def test_narrow_terminals_drop_columns_from_the_right_and_say_so() -> None:
    narrow = render(60)
    assert "state" not in narrow.splitlines()[0] and "too narrow for:" in narrow
    assert "state" in narrow.split("too narrow for:")[1]
    piped = render(None)  # piped: every column at its natural width, nothing dropped
    header = piped.splitlines()[0]
    assert all(name in header for name in COLUMNS) and "too narrow" not in piped
    row = next(line for line in piped.splitlines() if line.startswith(NAMES[0]))
    assert "synthetic:tBTCUSD:1h|last_8000" in row and row.rstrip().endswith("finished")
