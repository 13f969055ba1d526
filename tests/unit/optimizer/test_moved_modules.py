"""The modules that left genesis.optimizer keep their old import path for one release."""

from __future__ import annotations

import importlib
import sys

import pytest

MOVED = {
    **{
        f"genesis.optimizer.{name}": f"genesis.storage.{name}"
        for name in (
            "journal",
            "journal_lock",
            "rdb",
            "slots",
            "claims",
            "owner",
            "forks",
            "storage",
            "interrupts",
            "_optuna_private",
            "log",
        )
    },
    **{
        f"genesis.optimizer.{name}": f"genesis.samplers.{name}"
        for name in ("elite", "repeats", "axes", "sampler", "space", "feed")
    },
}


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_old_path_is_the_new_module_and_warns(old: str, new: str) -> None:
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert sys.modules[old] is sys.modules[new]


def test_names_from_old_paths_are_the_same_objects() -> None:
    from genesis.samplers.elite import EliteSampler
    from genesis.samplers.repeats import RepeatAvoidingSampler
    from genesis.samplers.space import SearchSpace
    from genesis.storage.journal import GenesisJournalBackend

    for name in ("elite", "journal", "repeats", "space"):
        sys.modules.pop(f"genesis.optimizer.{name}", None)
    with pytest.warns(DeprecationWarning):
        from genesis.optimizer.elite import EliteSampler as OldElite  # type: ignore[attr-defined]
        from genesis.optimizer.journal import (  # type: ignore[attr-defined]
            GenesisJournalBackend as OldJournal,
        )
        from genesis.optimizer.repeats import (  # type: ignore[attr-defined]
            RepeatAvoidingSampler as OldRepeats,
        )
        from genesis.optimizer.space import SearchSpace as OldSpace  # type: ignore[attr-defined]
    assert (OldElite, OldRepeats, OldSpace, OldJournal) == (
        EliteSampler,
        RepeatAvoidingSampler,
        SearchSpace,
        GenesisJournalBackend,
    )


def test_public_names_still_load_lazily() -> None:
    import genesis
    import genesis.optimizer as optimizer
    from genesis.api import run_optimizer
    from genesis.optimizer.optimize import run_optimizer as optimize
    from genesis.samplers.space import SearchSpace

    assert genesis.run_optimizer is run_optimizer
    assert optimizer.run_optimizer is optimize
    assert optimizer.SearchSpace is SearchSpace
    for name in optimizer.__all__:
        assert getattr(optimizer, name) is not None
