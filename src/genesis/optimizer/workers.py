"""Local parallel workers: extra processes that join the run's study (``--workers N``).

Worker ``i`` is a fresh process (``spawn``) that loads the same config, opens the same
journal, result cache and dedup guard, seeds its sampler with ``seed + i``, and runs the
same loop until the study's shared budget is spent. The main process is worker 0; it
sweeps orphans before the others start and writes the artifacts after they end.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
from multiprocessing.process import BaseProcess
from typing import Any

from genesis.optimizer import log

_JOIN_TIMEOUT_S = 3600.0
"""At the end of a run a worker finishes the trial it is in; this long only if it hangs."""
_INTERRUPTED_JOIN_S = 5.0
"""After Ctrl-C a worker in its loop stops within a trial; one still starting is ended."""


def start_workers(
    config: dict[str, Any], n_extra: int, *, first_index: int = 1
) -> list[BaseProcess]:
    """Start ``n_extra`` worker processes on ``config`` (a dumped model), indexes from
    ``first_index`` on."""
    context = multiprocessing.get_context("spawn")
    level = log.logger.getEffectiveLevel()
    processes: list[BaseProcess] = []
    # A worker starts with Ctrl-C ignored (a fresh interpreter keeps an ignored SIGINT) and
    # takes it back in worker_main: Ctrl-C during its start-up must not print a traceback.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for index in range(first_index, first_index + n_extra):
            process = context.Process(
                target=worker_main, args=(config, index, level), name=f"genesis-worker-{index}"
            )
            process.start()
            processes.append(process)
    finally:
        signal.signal(signal.SIGINT, previous)
    return processes


def join_workers(processes: list[BaseProcess], *, interrupted: bool) -> list[str]:
    """Wait for the workers to end; returns a line for each that did not end cleanly."""
    problems = []
    if interrupted:  # a worker that was still starting when Ctrl-C came has not seen it
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGINT)
    for process in processes:
        process.join(_INTERRUPTED_JOIN_S if interrupted else _JOIN_TIMEOUT_S)
        if process.is_alive():
            process.terminate()
            process.join(5.0)
            problems.append(f"{process.name} did not stop and was terminated")
        elif process.exitcode not in (0, 130, -signal.SIGINT):
            problems.append(f"{process.name} ended with exit code {process.exitcode}")
    return problems


def worker_main(config: dict[str, Any], index: int, level: int) -> None:
    """Entry point of a worker process: one loop on the shared study, then exit."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        from genesis.config import GenesisConfig
        from genesis.errors import GenesisError
        from genesis.optimizer.runner import run_worker

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.logger.handlers[:] = [handler]
        log.logger.setLevel(level)
        log.logger.propagate = False
        try:
            run_worker(GenesisConfig.model_validate(config), index)
        except GenesisError as error:
            log.logger.error("[Runner] worker %d: %s", index, error)
            sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
