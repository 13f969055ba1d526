"""Each private Optuna API genesis uses is still there, with the signature genesis calls.

The list is ``genesis.storage._optuna_private.PRIVATE_APIS``; a failure names the API a
new Optuna changed. The second test keeps the list whole: no module of genesis reaches
into Optuna's private modules except through ``_optuna_private``.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from genesis.storage import _optuna_private
from genesis.storage._optuna_private import PRIVATE_APIS, PrivateApi

optuna.logging.set_verbosity(optuna.logging.WARNING)
SRC = Path(_optuna_private.__file__).parents[1]


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> dict[type, Any]:
    """One live object of each class whose private attributes genesis reads."""
    backend = JournalFileBackend(str(tmp_path_factory.mktemp("journal") / "j.log"))
    storage = JournalStorage(backend)
    study = optuna.create_study(storage=storage)
    trial = study.ask()
    trial.suggest_int("x", 0, 3)
    study.tell(trial, 1.0)
    running = study.ask()
    return {
        optuna.study.Study: study,
        optuna.trial.Trial: running,
        optuna.trial.FrozenTrial: study.trials[0],
        JournalStorage: storage,
        JournalFileBackend: backend,
    }


def _resolve(api: PrivateApi, instances: dict[type, Any]) -> Any:
    module_name, _, qualname = api.path.partition(":")
    owner: Any = importlib.import_module(module_name)
    first, *rest = qualname.split(".")
    owner = getattr(owner, first)
    if rest and isinstance(owner, type) and not hasattr(owner, rest[0]):
        owner = instances[owner]  # an instance attribute: read it on a live object
    for name in rest:
        owner = getattr(owner, name)
    return owner


@pytest.mark.parametrize("api", PRIVATE_APIS, ids=[a.path for a in PRIVATE_APIS])
def test_the_private_api_is_there_with_its_signature(
    api: PrivateApi, instances: dict[type, Any]
) -> None:
    try:
        found = _resolve(api, instances)
    except (ImportError, AttributeError, KeyError) as error:
        pytest.fail(
            f"Optuna {optuna.__version__} changed {api.path} ({error}); used by {api.reason}"
        )
    if api.signature is not None:
        signature = str(inspect.signature(found))
        assert signature == api.signature, (
            f"Optuna {optuna.__version__} changed the signature of {api.path}: {signature}, "
            f"genesis calls it as {api.signature} ({api.reason})"
        )


def test_the_heartbeat_table_is_optunas() -> None:
    from optuna.storages._rdb.models import TrialHeartbeatModel

    assert TrialHeartbeatModel.__tablename__ == _optuna_private.RDB_HEARTBEAT_TABLE


def test_only_the_private_api_module_imports_optunas_private_modules() -> None:
    private_import = re.compile(r"^\s*(from|import)\s+optuna(\.\w+)*\._\w+", re.MULTILINE)
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "_optuna_private.py" and private_import.search(path.read_text())
    ]
    assert offenders == []
    listed = {a.path.partition(":")[0] for a in PRIVATE_APIS}
    assert {"optuna.study._tell", "optuna.storages.journal._file"} <= listed
