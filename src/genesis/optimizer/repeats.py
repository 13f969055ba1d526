"""Deprecated: moved to :mod:`genesis.samplers.repeats` (alias for one release)."""

from genesis._lazy import moved_module

moved_module(__name__, "genesis.samplers.repeats")
