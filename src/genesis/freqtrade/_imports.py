"""The one door to the optional ``freqtrade`` dependency.

Like Optuna's ``optuna/_imports.py`` and pandas' ``import_optional_dependency``: the
import is tried only when a Freqtrade strategy is used, and a missing package becomes a
:class:`~genesis.errors.ConfigError` naming the extra to install, not a traceback.
"""

from __future__ import annotations

from types import ModuleType

from genesis.errors import ConfigError

EXTRA_HINT = "pip install 'genesis[freqtrade]'"


def require_freqtrade() -> ModuleType:
    """Return the ``freqtrade`` module, or raise ConfigError saying which extra to install.

    Raises:
        ConfigError: freqtrade (or a library its strategies import) is not installed.
    """
    try:
        import freqtrade
    except ImportError as error:
        raise ConfigError(
            f"Freqtrade strategies need the freqtrade extra ({error.name or error} is missing)",
            hint=EXTRA_HINT,
        ) from error
    module: ModuleType = freqtrade
    return module
