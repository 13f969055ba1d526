"""Tables that never cut the column a reader identifies a row by (a run's name, a trial's #).

rich shrinks every column of a table too wide for the terminal, the identifying one too
(``run_2026…``), and assumes 80 columns when the output is piped. Here the identifying
column never wraps nor shrinks; other columns wrap, and when even that is not enough the
rightmost of them are dropped (and the table's caption says which). Piped output is never
cut: the table is printed at its natural width, for grep and for files.
"""

from __future__ import annotations

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

_PIPED_WIDTH = 100_000
"""Wide enough for any table: piped output is printed at its natural width."""


def table_console(console: Console) -> Console:
    """``console`` itself on a terminal; one that never cuts a line when output is piped."""
    if console.is_terminal:
        return console
    return Console(width=_PIPED_WIDTH, file=console.file, highlight=False)


def fit_table(table: Table, width: int, *, keep: int = 0) -> Table:
    """Make ``table`` fit ``width`` columns without cutting column ``keep``.

    Column ``keep`` keeps its full width (never wrapped, never shrunk); the others wrap,
    long words too; when the table still cannot fit, other columns are dropped from the
    right (never ``keep``), and the caption names them. Changes ``table`` in place.
    """
    ident = table.columns[keep]
    for column in table.columns:
        column.overflow = "fold"  # a long word wraps onto the next line instead of "…"
    ident.no_wrap = True
    ident.min_width = max((len(str(c)) for c in [ident.header, *ident.cells]), default=1)
    probe = Console(width=width)
    dropped: list[str] = []
    while _minimum_width(probe, table) > width and len(table.columns) > 1:
        last = len(table.columns) - 1
        index = last if keep != last else last - 1
        dropped.insert(0, str(table.columns.pop(index).header))
        keep = table.columns.index(ident)
    if dropped:
        table.caption = f"(too narrow for: {', '.join(dropped)}; widen the terminal or pipe it)"
        table.caption_justify = "left"
    return table


def _minimum_width(console: Console, table: Table) -> int:
    return Measurement.get(console, console.options.update(width=10 * console.width), table).minimum


def print_table(console: Console, table: Table, *, keep: int = 0) -> None:
    """Print ``table`` on ``console`` without cutting column ``keep`` (see :func:`fit_table`)."""
    if not console.is_terminal:
        table_console(console).print(table)
        return
    console.print(fit_table(table, console.width, keep=keep))
