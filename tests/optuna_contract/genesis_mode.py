"""pytest plugin: Optuna's own storage tests on genesis's journal, beside Optuna's stock one.

Loaded by :mod:`suite` (``-p genesis_mode``) into a pytest run of Optuna's test modules.
Before they are collected it narrows ``optuna.testing.storages.STORAGE_MODES`` to
Optuna's stock ``journal`` and a ``genesis_journal`` mode (the way OPTUNA5.md describes),
and at the end compares each genesis test's outcome with its stock twin: the run fails
if any differs (a skip included), and, as any pytest run, if any test fails.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import optuna.testing.storages as storages
import pytest
from optuna.testing.tempfile_pool import NamedTemporaryFilePool
from outcomes import OUTCOMES, pytest_runtest_logreport  # noqa: F401 (the hook, found here)

from genesis.storage.journal import (
    FLOCK_SUFFIX,
    SYMLINK_SUFFIX,
    GenesisJournalBackend,
    GenesisJournalStorage,
)

MODE = "genesis_journal"
STOCK = "journal"
storages.STORAGE_MODES[:] = [STOCK, MODE]

_stock_enter = storages.StorageSupplier.__enter__
_stock_exit = storages.StorageSupplier.__exit__


def _enter(self: storages.StorageSupplier) -> Any:
    if self.storage_specifier != MODE:
        return _stock_enter(self)
    self.tempfile = self.extra_args.get("file", NamedTemporaryFilePool().tempfile())
    assert self.tempfile is not None
    self.storage = GenesisJournalStorage(GenesisJournalBackend(self.tempfile.name))
    return self.storage


def _exit(self: storages.StorageSupplier, *exc: Any) -> None:
    if self.storage_specifier == MODE and self.tempfile is not None:
        for suffix in (FLOCK_SUFFIX, SYMLINK_SUFFIX):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tempfile.name + suffix)
    _stock_exit(self, *exc)


storages.StorageSupplier.__enter__ = _enter  # type: ignore[method-assign]
storages.StorageSupplier.__exit__ = _exit  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    ours = {n: o for n, o in OUTCOMES.items() if MODE in n}
    differ = []
    for nodeid, outcome in sorted(ours.items()):
        twin = OUTCOMES.get(nodeid.replace(MODE, STOCK))
        if twin != outcome:
            differ.append(f"{nodeid}: {outcome}, stock journal: {twin}")
    passed = sum(o == "passed" for o in ours.values())
    stock = sum(OUTCOMES.get(n.replace(MODE, STOCK)) == "passed" for n in ours)
    print(f"\ngenesis_journal: {passed} passed of {len(ours)}; stock journal: {stock} passed")
    for line in differ:
        print(f"DIFFERS {line}")
    if differ or not ours:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
