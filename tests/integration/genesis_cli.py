"""The ``genesis`` command as the CLI tests run it, and the bundled smoke config.

Shared by the integration tests; not a test module itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "config" / "optimizer" / "tBTCUSD_1h_optuna_smoke_loose.yaml"


def genesis(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m genesis ARGS`` in ``cwd`` (``env`` added to this environment), captured."""
    return subprocess.run(
        [sys.executable, "-m", "genesis", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
