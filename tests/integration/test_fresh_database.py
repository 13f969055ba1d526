"""Any number of processes may start at once on an empty PostgreSQL database.

Optuna's RDB storage creates its tables when it opens a database; two processes doing it
at once make PostgreSQL refuse one (``UniqueViolation`` on ``pg_type_typname_nsp_index``).
genesis opens the storage under an advisory lock (``rdb._schema_lock``). Here 4
processes open genesis's storage on a freshly created database at the same moment, create
or load one study and run a trial in it, 20 times over. Without the lock every round
failed here (on 2 busy cores).
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.slow

PROCESSES = 4
ROUNDS = 20
STARTER = """
import os, sys, time
from pathlib import Path
import optuna
from genesis.storage.storage import open_storage

url, gate = sys.argv[1], Path(sys.argv[2])
(gate / str(os.getpid())).touch()  # imported: ready
while not (gate / "go").exists():  # every process opens at the same moment
    time.sleep(0.001)
storage = open_storage(url, Path("."), retry_s=30.0)
study = optuna.create_study(storage=storage, study_name="race", load_if_exists=True)
study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
"""


@pytest.fixture
def admin(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(
        postgres_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    yield engine
    engine.dispose()


def _fresh_database(admin: sa.Engine, postgres_url: str) -> tuple[str, str]:
    name = f"fresh_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return name, postgres_url.rsplit("/", 1)[0] + "/" + name


def _drop(admin: sa.Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_four_processes_start_together_on_a_fresh_database(
    admin: sa.Engine, postgres_url: str, tmp_path: Path
) -> None:
    failures = []
    for round_ in range(ROUNDS):
        name, url = _fresh_database(admin, postgres_url)
        gate = tmp_path / f"gate{round_}"
        gate.mkdir()
        try:
            procs = [
                subprocess.Popen(
                    [sys.executable, "-c", STARTER, url, str(gate)],
                    cwd=tmp_path,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for _ in range(PROCESSES)
            ]
            deadline = time.monotonic() + 120
            while len(list(gate.iterdir())) < PROCESSES and time.monotonic() < deadline:
                time.sleep(0.01)
            (gate / "go").touch()
            outputs = [p.communicate(timeout=120)[0] for p in procs]
            failed = [
                f"exit {p.returncode}: {o[-600:]}"
                for p, o in zip(procs, outputs, strict=True)
                if p.returncode
            ]
            if failed:
                failures.append(f"round {round_}: {failed[0]}")
            else:
                storage = optuna.storages.RDBStorage(
                    url.replace("postgresql://", "postgresql+psycopg://", 1)
                )
                assert len(optuna.load_study(study_name="race", storage=storage).trials) == 4
                storage.engine.dispose()
        finally:
            _drop(admin, name)
    assert not failures, f"{len(failures)} of {ROUNDS} rounds failed: {failures[0]}"
