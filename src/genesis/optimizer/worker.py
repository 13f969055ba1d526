"""An extra local worker: the entry point of a process started by :mod:`.workers`.

It loads the same config, opens a :class:`~genesis.optimizer.session.Session` on the
run's study, and runs the same loop until the study's shared budget is spent.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from genesis.artifacts import RunDir
from genesis.config import GenesisConfig
from genesis.errors import GenesisError
from genesis.optimizer.export import write_trial_files
from genesis.optimizer.loop import run_loop
from genesis.optimizer.problem import Problem, problem_builder
from genesis.optimizer.session import make_budget, open_session, precompute
from genesis.storage import log


def run_worker(
    config: GenesisConfig,
    worker_index: int,
    seed_session: int,
    stopped: Callable[[], bool],
    builder: str = Problem.builder,
) -> str:
    """Run one extra worker on the run ``config.study_name``.

    ``stopped`` is the main process's stop flag, checked before the first trial and
    between trials. ``builder`` names the function that builds the run's problem
    (:attr:`Problem.builder`).
    """
    assert config.study_name is not None

    def check_stop() -> None:
        if stopped():
            raise KeyboardInterrupt

    problem = problem_builder(builder)(config)
    run = RunDir(Path(config.output_dir) / config.study_name)
    precompute(config, problem)
    session = open_session(config, problem, run, worker_index, None, seed_session=seed_session)
    try:
        check_stop()
        return run_loop(
            session.study, session.objective, make_budget(config, problem),
            shared=True, between_trials=check_stop,
            slot_lock=session.slot_lock, heartbeat=session.heartbeat,
        )  # fmt: skip
    finally:
        session.close()
        write_trial_files(run, session.objective)  # their metrics, also without a cache


def worker_process(
    config: dict[str, Any], index: int, level: int, session: int, stop: Any, builder: str
) -> None:
    """What a worker process runs after start-up: its loop, with GenesisErrors as exit codes."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.logger.handlers[:] = [handler]
    log.logger.setLevel(level)
    log.logger.propagate = False
    try:
        run_worker(GenesisConfig.model_validate(config), index, session, stop.is_set, builder)
    except GenesisError as error:
        log.logger.error("[Runner] worker %d: %s", index, error)
        sys.exit(error.exit_code)
