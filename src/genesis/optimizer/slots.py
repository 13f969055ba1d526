"""Deprecated: moved to :mod:`genesis.storage.slots` (alias for one release)."""

from genesis._lazy import moved_module

moved_module(__name__, "genesis.storage.slots")
