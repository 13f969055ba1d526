"""The public surface of the ``genesis`` package: every name in ``__all__`` resolves, and a
strategy of one's own needs one import line (like httpx's ``test_exported_members.py``)."""

from __future__ import annotations

import subprocess
import sys

import genesis


def test_every_exported_name_resolves() -> None:
    for name in genesis.__all__:
        assert getattr(genesis, name) is not None, name


def test_one_import_line_writes_a_strategy() -> None:
    from genesis import Features, ParamSpec, Signals, Strategy
    from genesis.engine import Signals as EngineSignals
    from genesis.features import Features as FeatureView
    from genesis.strategy import ParamSpec as Spec
    from genesis.strategy import Strategy as Protocol

    assert (Features, ParamSpec, Signals, Strategy) == (FeatureView, Spec, EngineSignals, Protocol)
    assert {"Features", "ParamSpec", "Signals", "Strategy"} <= set(genesis.__all__)


def test_importing_genesis_stays_light() -> None:
    """The strategy names load lazily: ``import genesis`` must not pull numba in."""
    code = "import sys, genesis; print('numba' in sys.modules, 'optuna' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
