"""Local parallel workers: extra processes that join the run's study (``--workers N``).

Worker ``i`` is a fresh process (``spawn``) that loads the same config, opens the same
journal, result cache and dedup guard, seeds its sampler with ``seed + i``, and runs the
same loop until the study's shared budget is spent. The main process is worker 0; it
sweeps orphans before the others start and writes the artifacts after they end.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

from genesis.storage import log
from genesis.storage.interrupts import is_interrupt, keep_interrupts

_JOIN_TIMEOUT_S = 3600.0
"""At the end of a run a worker finishes the trial it is in; this long only if it hangs."""
_INTERRUPTED_JOIN_S = 10.0
"""After Ctrl-C a worker stops within a trial, or as soon as it has started up."""

DEFAULT_BUILDER = "genesis.optimizer.problem:build_problem"
"""The problem builder of genesis's own strategies (kept here so that starting a worker
does not import the problem's heavy modules)."""


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity, which containers narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def warn_if_more_workers_than_cores(n_workers: int) -> None:
    """Say once, with the numbers, that ``n_workers`` exceed the cores (each runs slower).

    Not refused: a worker waiting on a database leaves its core to another; but workers
    that compute share the cores, and past one per core they only add switching.
    """
    cores = usable_cores()
    if n_workers > cores:
        log.logger.warning(
            "[Runner] %d workers on %d CPU core(s): they take turns on the cores, so each "
            "trial runs slower and the search gains nothing (use --workers %d or fewer)",
            n_workers, cores, cores,
        )  # fmt: skip


@dataclass
class Workers:
    """The extra worker processes of a run, and the flag that asks them to stop."""

    processes: list[BaseProcess] = field(default_factory=list)
    stop: Any = None  # a multiprocessing Event, shared with the processes

    def __bool__(self) -> bool:
        return bool(self.processes)


def start_workers(
    config: dict[str, Any],
    n_extra: int,
    *,
    first_index: int = 1,
    session: int = 0,
    builder: str = DEFAULT_BUILDER,
) -> Workers:
    """Start ``n_extra`` worker processes on ``config`` (a dumped model).

    Their indexes count from ``first_index``; ``session`` is the main process's seed
    offset for this session, so that a worker's seed does not depend on when it starts.
    ``builder`` names the function that builds the run's problem from the config
    (:attr:`genesis.optimizer.problem.Problem.builder`).
    """
    context = multiprocessing.get_context("spawn")
    level = log.logger.getEffectiveLevel()
    workers = Workers(stop=context.Event())
    # A worker starts with Ctrl-C ignored (a fresh interpreter keeps an ignored SIGINT):
    # Ctrl-C during its start-up must not print a traceback. It takes SIGINT back in
    # worker_main, and also stops when the main process sets the stop flag.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for index in range(first_index, first_index + n_extra):
            process = context.Process(
                target=worker_main,
                args=(config, index, level, session, workers.stop, builder),
                name=f"genesis-worker-{index}",
            )
            process.start()
            workers.processes.append(process)
    finally:
        signal.signal(signal.SIGINT, previous)
    return workers


def join_workers(workers: Workers, *, interrupted: bool) -> list[str]:
    """Wait for the workers to end; returns a line for each that did not end cleanly.

    On an interruption each worker is also sent SIGINT, so that it stops inside its trial
    (a SIGTERM or an API caller's KeyboardInterrupt reaches this process only).
    """
    problems = []
    if interrupted and workers.stop is not None:
        workers.stop.set()  # reaches a worker that was still starting when Ctrl-C came
    if interrupted:
        for process in workers.processes:
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGINT)
    for process in workers.processes:
        process.join(_INTERRUPTED_JOIN_S if interrupted else _JOIN_TIMEOUT_S)
        if process.is_alive():
            process.terminate()
            process.join(5.0)
            problems.append(f"{process.name} did not stop and was terminated")
        elif process.exitcode not in (0, 130, -signal.SIGINT):
            problems.append(f"{process.name} ended with exit code {process.exitcode}")
    return problems


def worker_main(
    config: dict[str, Any],
    index: int,
    level: int,
    session: int,
    stop: Any,
    builder: str = DEFAULT_BUILDER,
) -> None:
    """Entry point of a worker process: one loop on the shared study, then exit.

    It stops like on Ctrl-C when its main process dies (even by SIGKILL), or on SIGTERM.
    """
    signal.signal(signal.SIGINT, _interrupt_once)
    signal.signal(signal.SIGTERM, _interrupt_once)
    keep_interrupts()  # from the start: numba loads its kernels before the first trial too
    _watch_parent()
    code = 0
    try:
        if stop.is_set():
            raise KeyboardInterrupt
        from genesis.optimizer.worker import worker_process  # the heavy imports, in the child

        worker_process(config, index, level, session, stop, builder)
    except KeyboardInterrupt:
        code = 130
    except Exception as error:  # the worker's edge: what a dropped Ctrl-C left broken
        if not is_interrupt(error):
            raise
        code = 130
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    # The session is closed and its files written: skip the interpreter's teardown, which
    # took seconds with numba loaded (a killed coordinator's workers must stop within 2 s).
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _interrupt_once(signum: int, frame: Any) -> None:
    """The first SIGINT/SIGTERM interrupts; later ones are ignored, so that the worker's own
    clean-up (telling its trial FAIL) is not cut short by the terminal's Ctrl-C arriving
    together with the main process's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _watch_parent() -> None:
    """A thread that interrupts this worker's main thread the moment its parent dies.

    ``parent_process().sentinel`` becomes readable when the parent ends, however it ends;
    without this the workers of a killed coordinator ran on to the study's budget.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    main = threading.main_thread().ident
    assert main is not None

    def watch() -> None:
        wait([parent.sentinel])
        signal.pthread_kill(main, signal.SIGINT)  # to the main thread: wakes a blocked sleep

    threading.Thread(target=watch, name="genesis-parent-watch", daemon=True).start()
