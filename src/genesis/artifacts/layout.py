"""The run directory: where every file of an optimization lives.

```
<out>/                         results root (default results/hparam_search)
  _cache/                      shared result cache (every run)
  <study>/                     one run; its name is the study's name
    config.yaml  study.journal  _dedup.db  trials/trial_NNNN.json
    trials.csv  best_trial.json  cache_stats.json  report.html
```
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from genesis.errors import ArtifactError, UsageError

RUN_PREFIX = "run_"


@dataclass(frozen=True)
class RunDir:
    """Paths of one run directory."""

    root: Path

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def dedup_db(self) -> Path:
        return self.root / "_dedup.db"

    @property
    def trials_dir(self) -> Path:
        return self.root / "trials"

    @property
    def trials_csv(self) -> Path:
        return self.root / "trials.csv"

    @property
    def best_trial(self) -> Path:
        return self.root / "best_trial.json"

    @property
    def cache_stats(self) -> Path:
        return self.root / "cache_stats.json"

    @property
    def validation(self) -> Path:
        """What the search's best is worth out of sample (``validation.json``)."""
        return self.root / "validation.json"

    @property
    def folds_dir(self) -> Path:
        """A walk-forward's fold runs, one run directory each."""
        return self.root / "folds"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    def trial_file(self, number: int) -> Path:
        """The JSON of the real backtest run by trial ``number``."""
        return self.trials_dir / f"trial_{number:04d}.json"

    def create(self) -> RunDir:
        """Make the directory tree (idempotent)."""
        try:
            self.trials_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ArtifactError(
                f"cannot create run directory: {error.strerror}", where=str(self.root)
            ) from None
        return self


def new_run_name(now: float | None = None) -> str:
    """``run_YYYYMMDD_HHMMSS`` in local time."""
    return RUN_PREFIX + time.strftime("%Y%m%d_%H%M%S", time.localtime(now))


def unique_run_name(out: Path, now: float | None = None) -> str:
    """A fresh run name under ``out``; a suffix is added if the second is already taken."""
    base = new_run_name(now)
    name, n = base, 1
    while (out / name).exists():
        n += 1
        name = f"{base}_{n}"
    return name


def latest_run(out: Path) -> RunDir:
    """The most recently modified run directory under ``out`` (for ``--resume``).

    Raises:
        UsageError: there is no run to resume.
    """
    runs = (
        [p for p in out.iterdir() if p.is_dir() and (p / "config.yaml").exists()]
        if out.is_dir()
        else []
    )
    if not runs:
        raise UsageError("no run to resume", where=str(out), hint="start one without --resume")
    return RunDir(max(runs, key=lambda p: p.stat().st_mtime))
