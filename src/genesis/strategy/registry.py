"""Find a strategy by name: a built-in, or user code as ``module:Class`` / ``file.py:Class``.

Unknown names are answered with close matches and the list of built-ins, like
backtesting.py's parameter check. Loading user code runs it (an import), so only names
from the user's own config ever reach :func:`get_strategy`.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from genesis.errors import StrategyError
from genesis.strategy.base import ParamSpec, Strategy
from genesis.strategy.builtin import DonchianBreakout, EmaCross, GenesisTrend, RsiReversion

_BUILTINS: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (GenesisTrend, EmaCross, RsiReversion, DonchianBreakout)
}
"""Built-in name → class; a fresh (stateless) instance is made per request."""

DEFAULT_STRATEGY = "genesis_trend"


def list_strategies() -> list[str]:
    """Names of the built-in strategies, sorted."""
    return sorted(_BUILTINS)


def get_strategy(name: str) -> Strategy:
    """Return the strategy called ``name``.

    Args:
        name: A built-in name (see :func:`list_strategies`), ``package.module:Class``, or
            ``path/to/file.py:Class``. ``Class`` may also name a ready strategy instance.

    Raises:
        StrategyError: when the name is unknown (with close matches), the module or file
            cannot be imported, or the object is not a strategy.
    """
    if name in _BUILTINS:
        return _BUILTINS[name]()
    if ":" in name:
        return _load_user_strategy(name)
    close = difflib.get_close_matches(name, list(_BUILTINS), n=3, cutoff=0.5)
    hint = f"did you mean: {', '.join(close)}?" if close else "or give module:Class for your own"
    raise StrategyError(
        f"unknown strategy {name!r} (built-ins: {', '.join(list_strategies())})", hint=hint
    )


def _load_user_strategy(spec: str) -> Strategy:
    """Import ``module:Class`` or ``file.py:Class`` and return a checked strategy."""
    target, _, attr = spec.rpartition(":")  # rpartition: Windows paths contain a colon
    module = _import_file(target) if target.endswith(".py") else _import_module(target)
    try:
        obj = getattr(module, attr)
    except AttributeError:
        names = [n for n in vars(module) if not n.startswith("_")]
        close = difflib.get_close_matches(attr, names, n=3)
        raise StrategyError(
            f"{target!r} has no attribute {attr!r}",
            hint=f"did you mean: {', '.join(close)}?" if close else None,
        ) from None
    return _check_strategy(_instantiate(obj, spec), spec)


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise StrategyError(
            f"cannot import strategy module {name!r}: {error}",
            hint="is it installed or on PYTHONPATH? a file path must end in .py",
        ) from error


def _import_file(path_text: str) -> ModuleType:
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise StrategyError(f"strategy file {path_text!r} does not exist")
    # A unique module name per file, so two users' "strategy.py" do not collide.
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    module_name = f"_genesis_user_{path.stem}_{digest}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise StrategyError(f"cannot load strategy file {path_text!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # user code can raise anything; report it as theirs
        del sys.modules[module_name]
        raise StrategyError(f"importing strategy file {path_text!r} failed: {error!r}") from error
    return module


def _instantiate(obj: object, spec: str) -> object:
    if not isinstance(obj, type):
        return obj
    try:
        return obj()
    except TypeError as error:  # e.g. a constructor that needs arguments
        raise StrategyError(f"cannot create strategy {spec!r}: {error!r}") from error


def _check_strategy(obj: object, spec: str) -> Strategy:
    missing = [a for a in ("name", "version", "params", "signals") if not hasattr(obj, a)]
    if missing or not callable(getattr(obj, "signals", None)):
        raise StrategyError(
            f"{spec!r} is not a strategy (missing: {', '.join(missing) or 'callable signals'})",
            hint="a strategy has name, version, params and signals(features, params)",
        )
    params = obj.params  # type: ignore[attr-defined]
    if not isinstance(params, Mapping) or not all(
        isinstance(p, ParamSpec) for p in params.values()
    ):
        raise StrategyError(f"{spec!r}: params must map names to ParamSpec")
    assert isinstance(obj, Strategy)  # runtime_checkable: the members checked above
    return obj
