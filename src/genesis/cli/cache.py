"""``genesis cache stats|verify|prune|clear``: look after the shared result cache.

Each command takes ``--cache PATH_OR_URL`` (a directory, ``sqlite:///…`` or
``postgresql://…``; default ``results/hparam_search/_cache``). Errors are raised as
:mod:`genesis.errors` exceptions; the root app turns them into messages and exit codes.
Heavy imports (the cache backends, rich) happen inside the commands.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from genesis.cache import ResultCache

app = typer.Typer(
    help="Inspect, verify, prune or clear the shared result cache.",
    no_args_is_help=True,
    add_completion=False,
)

CacheOption = Annotated[
    str,
    typer.Option(
        "--cache",
        help="The result cache: a directory, sqlite:///file.db or postgresql://user@host/db.",
    ),
]
DEFAULT_CACHE = "results/hparam_search/_cache"

_DURATION_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(text: str) -> float:
    """Seconds in ``text`` such as ``30d``, ``12h``, ``90m``, ``45s``, ``2w`` or ``3600``.

    Raises:
        UsageError: ``text`` is not a duration.
    """
    from genesis.errors import UsageError

    match = _DURATION_RE.fullmatch(text)
    if not match:
        raise UsageError(
            f"--older-than {text!r} is not a duration", hint="write e.g. 30d, 12h, 90m, 45s or 2w"
        )
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def _open(location: str) -> ResultCache:
    from genesis.cache import open_cache

    return open_cache(location)


def _when(epoch_s: float | None) -> str:
    from datetime import datetime

    if epoch_s is None:
        return "-"
    return datetime.fromtimestamp(epoch_s).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def _size(n_bytes: int) -> str:
    size = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


@app.command()
def stats(cache: CacheOption = DEFAULT_CACHE) -> None:
    """Entries, total size and the oldest and newest entry."""
    from rich.console import Console
    from rich.table import Table

    from genesis.cache import CacheStats

    result_cache = _open(cache)
    summary = CacheStats.of(result_cache.entries())
    table = Table(title=f"Result cache {result_cache.location}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    table.add_row("entries", str(summary.n_entries))
    table.add_row("total size", _size(summary.total_bytes))
    table.add_row("oldest", _when(summary.oldest_s))
    table.add_row("newest", _when(summary.newest_s))
    Console().print(table)


@app.command()
def verify(cache: CacheOption = DEFAULT_CACHE) -> None:
    """Read and check every entry; exit 1 if any is corrupt."""
    from genesis.cache import check_result

    result_cache = _open(cache)
    report = result_cache.verify(check_result)  # the checks a run applies to what it reads
    for where, what in report.corrupt:
        typer.echo(f"corrupt: {where}: {what}")
    if report.n_temp_removed:
        typer.echo(f"removed {report.n_temp_removed} temp file(s) of killed writers")
    typer.echo(f"{report.n_ok} ok, {len(report.corrupt)} corrupt in {result_cache.location}")
    if report.corrupt:
        typer.echo("hint: `genesis cache prune --corrupt` removes them; they are recomputed")
        raise typer.Exit(1)


@app.command()
def prune(
    cache: CacheOption = DEFAULT_CACHE,
    older_than: Annotated[
        str | None, typer.Option("--older-than", help="Remove entries older than e.g. 30d, 12h.")
    ] = None,
    keep: Annotated[
        int | None, typer.Option("--keep", min=0, help="Then keep only the N newest entries.")
    ] = None,
    corrupt: Annotated[
        bool, typer.Option("--corrupt", help="Also remove entries that fail verification.")
    ] = False,
) -> None:
    """Remove old, surplus or corrupt entries and report how many."""
    from genesis.cache import check_result

    older_than_s = None if older_than is None else parse_duration(older_than)
    result_cache = _open(cache)
    n = result_cache.prune(
        older_than_s=older_than_s, keep_latest=keep, corrupt=corrupt, check=check_result
    )
    typer.echo(f"removed {n} entr{'y' if n == 1 else 'ies'} from {result_cache.location}")


def _is_interactive() -> bool:
    """Whether a person can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


@app.command()
def clear(
    cache: CacheOption = DEFAULT_CACHE,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove every entry (after confirmation unless --yes)."""
    from genesis.errors import UsageError

    result_cache = _open(cache)
    if not yes:
        if not _is_interactive():
            raise UsageError(
                f"refusing to clear the result cache {result_cache.location} without confirmation",
                hint="pass --yes to clear it non-interactively",
            )
        if not typer.confirm(f"Remove every entry of {result_cache.location}?", default=False):
            typer.echo("nothing removed")
            raise typer.Exit(1)
    n = result_cache.clear()
    typer.echo(f"removed {n} entr{'y' if n == 1 else 'ies'} from {result_cache.location}")
