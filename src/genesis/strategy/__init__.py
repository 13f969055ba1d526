"""Strategies: the protocol, the parameter schema, the registry and the built-ins.

A strategy turns :class:`~genesis.features.Features` and checked parameters into
:class:`~genesis.engine.types.Signals`; :func:`get_strategy` finds one by name.
"""

from __future__ import annotations

from genesis.strategy.base import ParamSpec, ParamValue, Strategy, resolve_params
from genesis.strategy.registry import DEFAULT_STRATEGY, get_strategy, list_strategies

__all__ = [
    "DEFAULT_STRATEGY",
    "ParamSpec",
    "ParamValue",
    "Strategy",
    "get_strategy",
    "list_strategies",
    "resolve_params",
]
