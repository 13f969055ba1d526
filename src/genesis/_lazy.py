"""Names of a package that load on first use (PEP 562 ``__getattr__``)."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, modules: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``modules[name]`` on first use."""

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__


def moved_module(old: str, new: str) -> None:
    """Make the module ``old`` an alias of ``new`` (one release), with a DeprecationWarning.

    Called at the top of the module left at the old path: ``sys.modules[old]`` becomes the
    new module itself, so both paths give the same objects (classes compare, pickles load).
    """
    warnings.warn(
        f"{old} moved to {new}; the old path goes in the next release",
        DeprecationWarning,
        stacklevel=3,
    )
    sys.modules[old] = importlib.import_module(new)
