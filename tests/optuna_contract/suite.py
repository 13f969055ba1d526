"""Run Optuna's own storage, trial and study tests on genesis's journal, and its sampler tests.

The tests ship in Optuna's sdist on PyPI (not in the wheel). This script downloads the
sdist of the installed Optuna version once (``pip download``, PyPI only) into
``.cache/optuna-tests/`` of the repository, keeps only its ``tests/`` and
``pyproject.toml`` (so that ``import optuna`` is the installed package), and runs the
storage-parametrized modules with the :mod:`genesis_mode` plugin: each test runs on
Optuna's stock journal and on genesis's, and the run fails if any outcome differs.
``suite.py samplers`` runs Optuna's generic sampler tests instead, with the
:mod:`genesis_samplers` plugin: genesis's samplers beside stock ones, and the run fails if
a test fails for a genesis sampler where a stock sampler passes.

Run: ``.venv/bin/python tests/optuna_contract/suite.py [samplers] [extra pytest args]``
(``tests/integration/test_optuna_contract.py`` runs both as part of ``make test``).
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE.parents[1] / ".cache" / "optuna-tests"
MODULES = [
    "tests/storages_tests/test_storages.py",
    "tests/trial_tests/test_trial.py",
    "tests/trial_tests/test_frozen.py",
    "tests/study_tests/test_study.py",
    "tests/study_tests/test_optimize.py",
    "tests/study_tests/test_dataframe.py",
]
"""Optuna's modules parametrized over ``STORAGE_MODES``."""
SAMPLER_MODULES = [
    "tests/samplers_tests/test_samplers.py",
    "tests/samplers_tests/test_partial_fixed.py",
]
"""Optuna's generic sampler tests (``optuna.testing.pytest_samplers``) and PartialFixed's."""


def optuna_tests(version: str) -> Path:
    """The directory holding Optuna ``version``'s ``tests/``, downloaded on first use."""
    target = CACHE / f"optuna-{version}"
    if (target / "tests").is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", f"optuna=={version}", "--dest", tmp],
            check=True,
        )  # fmt: skip
        [sdist] = Path(tmp).glob("optuna-*.tar.gz")
        with tarfile.open(sdist) as tar:
            keep = [m for m in tar.getmembers() if _kept(m.name)]
            tar.extractall(tmp, members=keep, filter="data")
        os.replace(Path(tmp) / f"optuna-{version}", target)  # atomic: a half copy never shows
    return target


def _kept(name: str) -> bool:
    parts = name.split("/")
    return len(parts) > 1 and (parts[1] == "tests" or parts[1:] == ["pyproject.toml"])


def main(argv: list[str]) -> int:
    version = importlib.metadata.version("optuna")
    root = optuna_tests(version)
    path = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    if argv[:1] == ["samplers"]:
        selection = ["-p", "genesis_samplers", *SAMPLER_MODULES, *argv[1:]]
    else:
        selection = ["-p", "genesis_mode", "-k", "journal", *MODULES, *argv]
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--color=no",
        "--rootdir", str(root), "-c", str(root / "pyproject.toml"), *selection,
    ]  # fmt: skip
    print(f"Optuna {version}'s tests from {root}", flush=True)
    return subprocess.run(command, cwd=root, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
