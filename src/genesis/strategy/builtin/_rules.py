"""Signal rules shared by the built-in strategies: crossings, stop distances, schemas.

Every rule decides bar ``t`` from values at ``t`` and earlier only, and a comparison
with a NaN (an indicator still warming up) is never a signal: a crossing at ``t`` needs
both series defined at ``t - 1`` and ``t``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from numba import njit

from genesis.engine.types import BoolArray, FloatArray
from genesis.errors import StrategyError
from genesis.features import Features
from genesis.strategy.base import ParamSpec


@njit(cache=True, nogil=True)
def cross_nb(a: FloatArray, b: FloatArray) -> tuple[BoolArray, BoolArray]:
    """Where ``a`` crosses ``b``.

    Returns:
        ``(up, down)``: ``up[t]`` when ``a[t] > b[t]`` and ``a[t-1] <= b[t-1]``;
        ``down[t]`` when ``a[t] < b[t]`` and ``a[t-1] >= b[t-1]``. False wherever a value
        at ``t`` or ``t - 1`` is NaN, and on bar 0.
    """
    n = a.shape[0]
    up = np.zeros(n, dtype=np.bool_)
    down = np.zeros(n, dtype=np.bool_)
    for t in range(1, n):
        now = a[t] - b[t]
        before = a[t - 1] - b[t - 1]
        up[t] = (now > 0.0) & (before <= 0.0)  # NaN compares False: no warm-up signal
        down[t] = (now < 0.0) & (before >= 0.0)
    return up, down


def atr_distance(features: Features, period: int, mult: float) -> FloatArray | None:
    """Stop distance ``ATR(period) · mult`` per bar, NaN in the ATR's warm-up.

    Returns:
        ``None`` (the stop is off) when ``mult`` is 0.
    """
    if mult == 0.0:
        return None
    return features.atr(period) * mult


def require_less(params: Mapping[str, object], small: str, large: str, strategy: str) -> None:
    """Raise StrategyError unless ``params[small] < params[large]`` (e.g. fast < slow)."""
    if not params[small] < params[large]:  # type: ignore[operator]
        raise StrategyError(
            f"strategy {strategy!r} needs {small} < {large}, "
            f"got {small}={params[small]}, {large}={params[large]}",
            hint="narrow the search space so the ranges do not overlap",
        )


def schema(**specs: ParamSpec) -> Mapping[str, ParamSpec]:
    """A read-only parameter schema, in the order given."""
    return MappingProxyType(dict(specs))


def atr_specs(stop_mult: float) -> dict[str, ParamSpec]:
    """The ``atr_period`` / ``atr_stop_mult`` pair the simple strategies share."""
    return {
        "atr_period": ParamSpec("int", 14, 2, 100, help="ATR period of the stop distance"),
        "atr_stop_mult": ParamSpec(
            "float", stop_mult, 0.0, 10.0, help="stop-loss at ATR × this; 0 = no stop"
        ),
    }
