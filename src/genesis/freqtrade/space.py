"""A Freqtrade strategy's hyperopt space as genesis's search space.

The dimensions are Freqtrade's own objects: the strategy's ``IntParameter``,
``DecimalParameter``, ``RealParameter``, ``CategoricalParameter`` and ``BooleanParameter``
(``space=``, ``optimize=False``, ``load=`` and the ``buy_params``/``sell_params`` overrides
applied by the strategy's own ``ft_load_hyper_params``) give their ``get_space()``
distributions, and the built-in ``roi``, ``stoploss``, ``trailing`` and ``trades`` spaces
come from Freqtrade's ``HyperOptAuto`` (so a strategy's nested ``HyperOpt`` class overriding
``roi_space``, ``generate_roi_table``, ``stoploss_space``, ``trailing_space``,
``generate_trailing_params`` or ``max_open_trades_space`` is honoured as in Freqtrade).
``--spaces`` selects them with Freqtrade's ``HyperoptTools.has_space`` (``default`` = buy,
sell, roi, stoploss and a strategy's own spaces; ``all`` adds trailing, trades, protection).

Each distribution becomes one of genesis's config dimensions with the same bounds, step and
log flag, so genesis's samplers, repeat avoidance and cache key work unchanged. Nothing here
re-derives a range: the numbers are read from Freqtrade's objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from genesis.config import CategoricalParam, FloatParam, IntParam
from genesis.errors import ConfigError
from genesis.freqtrade._imports import require_freqtrade
from genesis.samplers.space import SearchSpace

BUILTIN_SPACES = ("roi", "stoploss", "trailing", "trades")
"""Freqtrade's spaces that are not strategy parameters."""
SPACE_ORDER = ("buy", "sell", "protection", "roi", "stoploss", "trailing", "trades")
"""The order in which Freqtrade's ``init_spaces`` walks the spaces."""
DEFAULT_SPACES = ("default",)

Dimension = IntParam | FloatParam | CategoricalParam


@dataclass(frozen=True)
class FtSpace:
    """The dimensions a Freqtrade hyperopt of one strategy searches.

    Attributes:
        spaces: The selected spaces that have dimensions, in Freqtrade's order.
        dimensions: Freqtrade's own distribution objects (each with ``.name``), in order.
        space_of: Dimension name → its space.
        fixed: Values of the strategy's parameters this run does not search (``optimize=False``
            or their space not selected), after ``buy_params``/``sell_params``/file loading.
        hyperopt: Freqtrade's ``HyperOptAuto`` bound to the strategy (builds ROI tables and
            trailing settings from params, honouring a nested ``HyperOpt`` class).
    """

    spaces: tuple[str, ...]
    dimensions: tuple[Any, ...]
    space_of: Mapping[str, str]
    fixed: Mapping[str, Any]
    hyperopt: Any = field(repr=False, compare=False)

    def search_space(self) -> SearchSpace:
        """genesis's search space: one config dimension per Freqtrade distribution."""
        dims: dict[str, Dimension] = {}
        fixed = dict(self.fixed)
        for dim in self.dimensions:
            converted = genesis_dimension(dim)
            if converted is None:  # a range of one value: Freqtrade samples it, it is fixed
                fixed[dim.name] = _only_value(dim)
            else:
                dims[dim.name] = converted
        return SearchSpace(dims, fixed)

    def in_space(self, space: str) -> bool:
        """Whether ``space`` is searched in this run."""
        return space in self.spaces

    def exit_overrides(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The strategy attributes ``params`` set, as Freqtrade's ``generate_optimizer`` does.

        Keys (only for the searched spaces): ``minimal_roi`` (``{minutes: ratio}``),
        ``stoploss``, and ``trailing_stop``, ``trailing_stop_positive``,
        ``trailing_stop_positive_offset``, ``trailing_only_offset_is_reached``.
        """
        values = dict(params)
        result: dict[str, Any] = {}
        if self.in_space("roi"):
            table = self.hyperopt.generate_roi_table(values)
            result["minimal_roi"] = {int(k): float(v) for k, v in table.items()}
        if self.in_space("stoploss"):
            result["stoploss"] = float(values["stoploss"])
        if self.in_space("trailing"):
            result.update(self.hyperopt.generate_trailing_params(values))
        return result

    def max_open_trades(self, params: Mapping[str, Any], config: Mapping[str, Any]) -> int | None:
        """The slots ``params`` ask for (the ``trades`` space), ``-1`` for unlimited.

        ``None`` when the space is not searched. As Freqtrade: with ``stake_amount:
        unlimited``, ``-1``/``0`` fall back to the config's ``max_open_trades``; else they
        mean no limit.
        """
        if not self.in_space("trades"):
            return None
        value = int(params["max_open_trades"])
        if value in (-1, 0):
            if config.get("stake_amount") == "unlimited":
                configured = config.get("max_open_trades", -1)
                return -1 if configured in (-1, float("inf")) else int(configured)
            return -1
        return value


def select_spaces(spaces: Sequence[str] | None) -> list[str]:
    """``--spaces`` as Freqtrade stores it in ``config["spaces"]`` (default: ``default``)."""
    chosen = list(spaces) if spaces else list(DEFAULT_SPACES)
    return [s for part in chosen for s in part.split()]


def build_space(strategy: Any, spaces: Sequence[str] | None) -> FtSpace:
    """The hyperopt space of a loaded Freqtrade ``strategy`` for ``--spaces``.

    Sets ``strategy.config["spaces"]`` and reloads the strategy's parameters in hyperopt
    mode (Freqtrade's ``ft_load_hyper_params(True)``), so that each parameter knows whether
    it is searched; then walks the spaces as Freqtrade's ``init_spaces`` does.

    Raises:
        ConfigError: a selected space has nothing to search (Freqtrade's message), the
            strategy optimizes ``protection`` parameters (protections are not supported),
            a parameter has a name a built-in space uses, or a categorical choice is not a
            bool, int, float or str.
    """
    require_freqtrade()
    from freqtrade.exceptions import OperationalException
    from freqtrade.optimize.hyperopt.hyperopt_auto import HyperOptAuto
    from freqtrade.optimize.hyperopt_tools import HyperoptTools

    config = strategy.config
    config["spaces"] = select_spaces(spaces)
    config.setdefault("timeframe", strategy.timeframe)
    strategy.ft_load_hyper_params(True)
    hyperopt = HyperOptAuto(config)
    hyperopt.strategy = strategy
    order = [*SPACE_ORDER, *(s for s in hyperopt.get_available_spaces() if s not in SPACE_ORDER)]
    selected: dict[str, list[Any]] = {}
    try:
        for space in order:
            if not HyperoptTools.has_space(config, space):
                continue
            if space == "protection":
                _refuse_protection(strategy)
            selected[space] = _dimensions_of(hyperopt, space)
    except OperationalException as error:
        raise ConfigError(
            str(error), where="--spaces", hint="choose spaces the strategy has"
        ) from None
    dims = [d for space in selected.values() for d in space]
    if not dims:
        raise ConfigError(
            f"no hyperopt parameters to optimize in spaces {config['spaces']}",
            where="--spaces",
            hint="check the strategy's *Parameter attributes or the spaces you chose",
        )
    space_of = _space_of(selected)
    return FtSpace(
        spaces=tuple(s for s, d in selected.items() if d),
        dimensions=tuple(dims),
        space_of=space_of,
        fixed=_fixed_params(strategy, space_of),
        hyperopt=hyperopt,
    )


def _dimensions_of(hyperopt: Any, space: str) -> list[Any]:
    builtin = {
        "roi": hyperopt.roi_space,
        "stoploss": hyperopt.stoploss_space,
        "trailing": hyperopt.trailing_space,
        "trades": hyperopt.max_open_trades_space,
    }
    if space in builtin:
        return list(builtin[space]())
    return list(hyperopt.get_indicator_space(space))


def _refuse_protection(strategy: Any) -> None:
    optimized = [n for n, p in strategy.enumerate_parameters("protection") if p.optimize]
    if optimized:
        raise ConfigError(
            f"the protection space ({', '.join(optimized)}) is not supported: genesis does "
            "not run Freqtrade's protections",
            where="--spaces",
            hint="leave out 'protection' (and 'all'); list the spaces you want, e.g. "
            "--spaces buy sell roi stoploss trailing",
        )


def _space_of(selected: Mapping[str, Sequence[Any]]) -> dict[str, str]:
    space_of: dict[str, str] = {}
    for space, dims in selected.items():
        for dim in dims:
            if dim.name in space_of:
                raise ConfigError(
                    f"parameter {dim.name!r} of space {space!r} has the name of a dimension "
                    f"of space {space_of[dim.name]!r}",
                    where="strategy parameters",
                    hint="rename the strategy's parameter",
                )
            space_of[dim.name] = space
    return space_of


def _fixed_params(strategy: Any, searched: Mapping[str, str]) -> dict[str, Any]:
    """The strategy parameters not searched, with their loaded values (part of the key)."""
    fixed: dict[str, Any] = {}
    for name, param in strategy.enumerate_parameters():
        if name not in searched:
            fixed[name] = _scalar(param.value)
    return fixed


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def genesis_dimension(dim: Any) -> Dimension | None:
    """The genesis config dimension of one Freqtrade distribution, or None for one value.

    ``Integer``/``IntParameter`` → int (same low, high, step, log); ``SKDecimal``/
    ``DecimalParameter`` → float with its step; ``Real``/``RealParameter`` → float;
    ``Categorical`` → categorical with the same choices in the same order.

    Raises:
        ConfigError: a categorical choice is not a bool, int, float or str.
    """
    optuna = _optuna_distributions()
    if isinstance(dim, optuna.CategoricalDistribution):
        choices = list(dim.choices)
        for choice in choices:
            if choice is None or not isinstance(choice, bool | int | float | str):
                raise ConfigError(
                    f"parameter {dim.name!r}: choice {choice!r} is not a bool, int, float or str",
                    hint="use plain values in CategoricalParameter",
                )
        return CategoricalParam(type="categorical", choices=choices)
    if dim.low == dim.high:
        return None
    if isinstance(dim, optuna.IntDistribution):
        return IntParam(type="int", low=dim.low, high=dim.high, step=dim.step, log=dim.log)
    return FloatParam(type="float", low=dim.low, high=dim.high, step=dim.step, log=dim.log)


def _only_value(dim: Any) -> Any:
    return dim.low


def _optuna_distributions() -> Any:
    import optuna.distributions

    return optuna.distributions


__all__ = ["BUILTIN_SPACES", "FtSpace", "build_space", "genesis_dimension", "select_spaces"]
