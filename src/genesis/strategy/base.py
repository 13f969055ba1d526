"""The Strategy protocol and its parameter schema.

A strategy is a name, a version (part of the cache key: bump it when the logic
changes), a parameter schema with defaults, and a *pure* function from features and
parameters to :class:`~genesis.engine.types.Signals`. It never reads files, never
keeps state between calls, and never looks at a bar after the one it decides on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args, runtime_checkable

from genesis.errors import StrategyError

if TYPE_CHECKING:
    from genesis.engine.types import Signals
    from genesis.features import Features

ParamKind = Literal["int", "float", "categorical", "bool"]
PARAM_KINDS: tuple[str, ...] = get_args(ParamKind)
ParamValue = int | float | str | bool


@dataclass(frozen=True)
class ParamSpec:
    """One tunable parameter: its kind, default and allowed values.

    ``low``/``high`` bound int and float parameters (inclusive); ``choices`` lists the
    values of a categorical one.
    """

    kind: ParamKind
    default: ParamValue
    low: float | None = None
    high: float | None = None
    choices: tuple[ParamValue, ...] | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise StrategyError(
                f"ParamSpec kind {self.kind!r} is not one of {', '.join(PARAM_KINDS)}",
                hint=_did_you_mean(str(self.kind), PARAM_KINDS),
            )
        if self.kind == "categorical" and not self.choices:
            raise StrategyError("a categorical ParamSpec needs choices")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise StrategyError(f"ParamSpec bounds are reversed: [{self.low}, {self.high}]")
        self.check("default", self.default)  # a schema must accept its own default

    def check(self, name: str, value: Any, *, where: str = "") -> ParamValue:
        """Return ``value`` converted to this kind, or raise StrategyError saying why not."""
        place = f"{where}param {name!r}"
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise StrategyError(f"{place} must be true or false, got {value!r}")
        if self.kind == "categorical":
            assert self.choices is not None
            if value in self.choices:
                return value  # type: ignore[no-any-return]
            raise StrategyError(f"{place} must be one of {list(self.choices)}, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise StrategyError(f"{place} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise StrategyError(f"{place} must be finite, got {value!r}")
        number: int | float
        if self.kind == "int":
            if float(value) != math.floor(float(value)):
                raise StrategyError(f"{place} must be an integer, got {value!r}")
            number = int(value)
        else:
            number = float(value)
        too_low = self.low is not None and number < self.low
        if too_low or (self.high is not None and number > self.high):
            raise StrategyError(f"{place} = {number!r} is outside [{self.low}, {self.high}]")
        return number


@runtime_checkable
class Strategy(Protocol):
    """What every strategy provides. See the module docstring for the contract."""

    name: str
    version: str
    params: Mapping[str, ParamSpec]

    def signals(self, features: Features, params: Mapping[str, ParamValue]) -> Signals:
        """Compute signals for every bar of ``features.candles`` from checked ``params``."""
        ...


_KIND_ALIASES = {"integer": "int", "number": "float", "boolean": "bool", "choice": "categorical"}


def _did_you_mean(kind: str, kinds: tuple[str, ...]) -> str | None:
    """``did you mean 'int'?`` for ``integer``, ``Int``, ``flaot`` …; None if nothing is close."""
    import difflib

    lowered = kind.lower()
    close = _KIND_ALIASES.get(lowered) or next(
        iter(difflib.get_close_matches(lowered, kinds, n=1, cutoff=0.5)), None
    )
    if close is None and lowered in kinds:
        close = lowered
    return f"did you mean {close!r}?" if close else None


def resolve_params(
    strategy: Strategy, given: Mapping[str, Any], *, where: str = ""
) -> dict[str, ParamValue]:
    """Merge ``given`` over the strategy's defaults and check every value.

    Raises:
        StrategyError: on an unknown name (with close matches) or a value outside its schema.
    """
    import difflib

    unknown = [name for name in given if name not in strategy.params]
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, list(strategy.params), n=3)
        hint = f"did you mean: {', '.join(close)}?" if close else None
        known = ", ".join(sorted(strategy.params))
        raise StrategyError(
            f"{where}unknown param {name!r} for strategy {strategy.name!r} (known: {known})",
            hint=hint,
        )
    resolved: dict[str, ParamValue] = {}
    for name, spec in strategy.params.items():
        value = given.get(name, spec.default)
        resolved[name] = spec.check(name, value, where=where)
    return resolved
