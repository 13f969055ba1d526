"""``genesis strategies [NAME]``: the built-in strategies and their params, for a config."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.table import Table

    from genesis.strategy import ParamSpec, Strategy


def strategies(
    name: Annotated[
        str | None,
        typer.Argument(
            help="One strategy: a built-in name, or file.py:Class / module:Class of your own."
        ),
    ] = None,
) -> None:
    """List the built-in strategies and their params (name, kind, default, bounds, help).

    The params go under strategy.params (fixed values) or search_space (ranges) of a config.
    """
    from rich.console import Console

    from genesis.cli._tables import print_table
    from genesis.strategy import get_strategy, list_strategies

    console = Console(highlight=False, soft_wrap=True)
    names = [name] if name is not None else list_strategies()
    for index, each in enumerate(names):
        strategy = get_strategy(each)
        if index:
            console.print()
        console.print(f"{strategy.name} (version {strategy.version})", style="bold", markup=False)
        summary = _summary(strategy)
        if summary:
            console.print(f"  {summary}", markup=False)
        print_table(console, _params_table(strategy))
    if name is None:
        console.print(
            "\nuse one in a config: strategy: {name: ema_cross, params: {fast: 10}}; "
            "your own: strategy: {name: my_strategy.py:MyStrategy}",
            markup=False,
        )


def _summary(strategy: Strategy) -> str:
    """The first line of the strategy's docstring (its class's, else its module's)."""
    doc = inspect.getdoc(strategy) or inspect.getdoc(inspect.getmodule(strategy)) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _bounds(spec: ParamSpec) -> str:
    if spec.kind == "categorical":
        return " | ".join(str(c) for c in spec.choices or ())
    if spec.kind == "bool":
        return "true | false"
    low = "" if spec.low is None else f"{spec.low:g}"
    high = "" if spec.high is None else f"{spec.high:g}"
    return f"{low} … {high}" if low or high else "–"


def _default(spec: ParamSpec) -> str:
    if isinstance(spec.default, bool):
        return str(spec.default).lower()
    return f"{spec.default:g}" if isinstance(spec.default, float) else str(spec.default)


def _params_table(strategy: Strategy) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("param", no_wrap=True)
    table.add_column("kind")
    table.add_column("default", justify="right")
    table.add_column("bounds")
    table.add_column("help", overflow="fold")
    for param, spec in strategy.params.items():
        table.add_row(param, spec.kind, _default(spec), _bounds(spec), spec.help or "–")
    return table
