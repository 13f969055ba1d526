"""A Ctrl-C in disguise: deep in a numba error chain, inside a strategy, or dropped by a
ctypes callback; each is an interrupt, never a strategy failure or a printed traceback."""

from __future__ import annotations

import ctypes
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import pytest

from genesis.artifacts import RunDir
from genesis.cache import MemoryCache
from genesis.config import config_from_dict
from genesis.errors import StrategyError
from genesis.optimizer import Objective, TrialOutcome, build_problem
from genesis.optimizer.problem import Problem
from genesis.storage.claims import DedupGuard
from genesis.storage.interrupts import caused_by_interrupt, dropped_interrupt, keep_interrupts

optuna.logging.set_verbosity(optuna.logging.WARNING)


def numba_chain(depth: int) -> SystemError:
    """What a Ctrl-C in a kernel raises: SystemErrors, one per frame numba was unpickling
    an exception in, each the direct cause of the next, a KeyboardInterrupt at the bottom."""
    error: BaseException = KeyboardInterrupt()
    for _ in range(depth):
        outer = SystemError("<function _numba_unpickle> returned a result with an exception set")
        outer.__cause__ = error
        error = outer
    dispatcher = SystemError("CPUDispatcher(<function simulate_nb>) returned a result with an "
                             "exception set")  # fmt: skip
    dispatcher.__cause__ = error
    return dispatcher


@pytest.mark.parametrize("depth", [0, 10, 40, 500])
def test_an_interrupt_is_found_at_any_depth_of_the_chain(depth: int) -> None:
    wrapped = StrategyError("strategy 'genesis_trend' raised SystemError: CPUDispatcher(…)")
    wrapped.__cause__ = numba_chain(depth)
    assert caused_by_interrupt(wrapped)
    beside = ValueError("raised while handling it")
    beside.__cause__ = ValueError("the cause")
    beside.__context__ = numba_chain(depth)  # in the context, not the cause
    assert caused_by_interrupt(beside)
    plain = numba_chain(depth)
    bottom = plain
    while bottom.__cause__ is not None and not isinstance(bottom.__cause__, KeyboardInterrupt):
        bottom = bottom.__cause__  # type: ignore[assignment]
    bottom.__cause__ = ZeroDivisionError()
    assert not caused_by_interrupt(plain)


def test_a_cycle_in_the_chain_ends_the_search() -> None:
    first, second = ValueError("a"), ValueError("b")
    first.__context__, second.__context__ = second, first
    assert not caused_by_interrupt(first)


@pytest.fixture(scope="module")
def problem() -> Problem:
    return build_problem(config_from_dict({
        "data": {"source": "synthetic:tBTCUSD:1h:7:3000"}, "strategy": {"name": "ema_cross"},
        "search_space": {"fast": {"type": "int", "low": 4, "high": 20}},
        "score": {"objectives": ["total_return_pct"]},
    }))  # fmt: skip


class _Interrupted:
    """A strategy whose kernel was interrupted: signals() raises numba's SystemError chain."""

    name = "interrupted"

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def signals(self, features: Any, params: Any) -> Any:
        raise numba_chain(11)


def test_an_interrupted_trial_is_not_recorded_as_a_strategy_failure(
    problem: Problem, tmp_path: Path
) -> None:
    outcomes: list[TrialOutcome] = []
    run = RunDir(tmp_path / "run").create()
    interrupted = dataclasses.replace(problem, strategy=_Interrupted(problem.strategy))  # type: ignore[arg-type]
    objective = Objective(
        problem=interrupted, cache=MemoryCache(), run_dir=run, guard=DedupGuard(run.dedup_db),
        on_outcome=outcomes.append,
    )  # fmt: skip
    study = optuna.create_study(direction="maximize")
    trial = study.ask()
    with pytest.raises(KeyboardInterrupt):
        objective(trial)
    assert outcomes == [], "no 'trial failed' line for an interrupt"
    assert objective.failures == {}, "a repeat of its key must run, not fail the same way"
    assert "error" not in study.trials[0].user_attrs


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


def _interrupting_compare(a: Any, b: Any) -> int:
    raise KeyboardInterrupt  # as llvmlite's object-cache callback does on a Ctrl-C


@pytest.mark.skipif(sys.platform != "linux", reason="qsort from the C library by name")
def test_an_interrupt_dropped_by_a_ctypes_callback_is_raised_again_without_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)
    libc = ctypes.CDLL(None)
    values = (ctypes.c_int * 2)(2, 1)
    compare = _CALLBACK(_interrupting_compare)
    keep_interrupts()
    keep_interrupts()  # idempotent: one hook
    assert not isinstance(sys.unraisablehook.previous, type(sys.unraisablehook))  # type: ignore[attr-defined]
    assert not dropped_interrupt()
    libc.qsort(values, 2, ctypes.sizeof(ctypes.c_int), compare)
    assert capsys.readouterr().err == "", "no traceback printed"
    assert dropped_interrupt(), "the trial loop learns of it"
    assert not dropped_interrupt(), "once"
    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)
    values = (ctypes.c_int * 2)(2, 1)
    libc.qsort(values, 2, ctypes.sizeof(ctypes.c_int), compare)  # Python's own behaviour
    assert "KeyboardInterrupt" in capsys.readouterr().err


def _stress_objective(problem: Problem, tmp_path: Path, outcomes: list[TrialOutcome]) -> Objective:
    run = RunDir(tmp_path / "run").create()
    return Objective(
        problem=problem, cache=MemoryCache(), run_dir=run, guard=DedupGuard(run.dedup_db),
        on_outcome=outcomes.append,
    )  # fmt: skip


@pytest.mark.skipif(sys.platform != "linux", reason="qsort from the C library by name")
def test_the_trial_loop_stops_after_a_trial_whose_interrupt_a_callback_dropped(
    problem: Problem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genesis.optimizer.loop import Budget, run_loop
    from genesis.storage.storage import open_storage

    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)
    outcomes: list[TrialOutcome] = []
    objective = _stress_objective(problem, tmp_path, outcomes)
    real_call = Objective.__call__

    def compiling(self: Objective, trial: optuna.Trial) -> tuple[float, ...]:
        values = (ctypes.c_int * 2)(2, 1)  # a Ctrl-C in llvmlite's cache callback meanwhile
        ctypes.CDLL(None).qsort(values, 2, ctypes.sizeof(ctypes.c_int),
                                _CALLBACK(_interrupting_compare))  # fmt: skip
        return real_call(self, trial)

    monkeypatch.setattr(Objective, "__call__", compiling)
    study = optuna.create_study(storage=open_storage(None, tmp_path), study_name="d",
                                direction="maximize")  # fmt: skip
    budget = Budget(n_trials=5, max_unique=None, max_trials=5, timeout_s=None, space_size=None,
                    started=time.monotonic())  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        run_loop(study, objective, budget, shared=False)
    assert [t.state for t in study.get_trials()] == [optuna.trial.TrialState.COMPLETE], [
        t.user_attrs for t in study.get_trials()
    ]


@pytest.mark.slow
def test_random_ctrl_cs_during_numba_kernels_are_interrupts_never_failures(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Real SIGINTs at random moments of the trial loop (numba kernels, Python, dispatchers).

    ``GENESIS_SIGINT_STRESS=300`` runs the issue's 300 (about a minute); 60 by default.
    """
    import os
    import random
    import signal
    import threading

    from genesis.optimizer.loop import INTERRUPTED_ATTR, Budget, run_loop
    from genesis.storage.storage import open_storage

    n_interrupts = int(os.environ.get("GENESIS_SIGINT_STRESS", "60"))
    problem = build_problem(config_from_dict({
        "data": {"source": "synthetic:tBTCUSD:1h:5:60000"}, "strategy": {"name": "genesis_trend"},
        "search_space": {name: {"type": "int", "low": low, "high": high} for name, low, high in (
            ("ema_fast", 5, 99), ("ema_slow", 100, 400), ("atr_period", 5, 50),
            ("rsi_period", 2, 50), ("adx_period", 5, 50))},  # new indicators: kernels run
        "score": {"objectives": ["total_return_pct"]},
    }))  # fmt: skip
    outcomes: list[TrialOutcome] = []
    objective = _stress_objective(problem, tmp_path, outcomes)
    study = optuna.create_study(storage=open_storage(None, tmp_path), study_name="stress",
                                direction="maximize")  # fmt: skip

    def budget(n_trials: int) -> Budget:
        return Budget(n_trials=n_trials, max_unique=None, max_trials=n_trials, timeout_s=None,
                      space_size=None, started=time.monotonic())  # fmt: skip

    run_loop(study, objective, budget(5), shared=False)  # compiled (an interrupted compile
    # leaves numba unusable in that process, which a Ctrl-C ends anyway)
    main = threading.main_thread().ident
    assert main is not None
    interrupted = in_kernel = 0
    for _ in range(n_interrupts):
        timer = threading.Timer(
            random.uniform(0.001, 0.04), signal.pthread_kill, (main, signal.SIGINT)
        )
        try:
            timer.start()
            run_loop(study, objective, budget(10**6), shared=False)
        except KeyboardInterrupt as stop:
            interrupted += 1
            in_kernel += caused_by_interrupt(stop.__cause__) if stop.__cause__ else 0
        finally:
            timer.join()  # an interrupt here: run_loop ended by another error, not the timer
    trials = study.get_trials()
    failed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    with capfd.disabled():
        print(f"\n{interrupted} interrupts, {in_kernel} inside numba, {len(trials)} trials")
    assert interrupted == n_interrupts
    assert in_kernel > 0, "no interrupt landed in a kernel: the test tests nothing"
    assert all(t.user_attrs.get(INTERRUPTED_ATTR) for t in failed)
    assert [t.user_attrs["error"] for t in failed if "error" in t.user_attrs] == []
    assert [o.error for o in outcomes if o.values is None] == [], "a 'trial failed' line"
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception ignored" not in err, err[-2000:]


def test_the_cli_says_interrupted_for_a_ctrl_c_wrapped_as_a_strategy_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from genesis.cli import _app

    def backtest(**_: Any) -> None:  # what `genesis backtest` raises on a Ctrl-C in a kernel
        wrapped = StrategyError("strategy 'genesis_trend' raised SystemError: CPUDispatcher(…)")
        raise wrapped from numba_chain(11)

    monkeypatch.setattr(_app, "app", backtest)
    monkeypatch.setattr(_app, "_register", lambda: None)
    monkeypatch.setattr(_app.signal, "signal", lambda *_: None)  # keep pytest's SIGTERM
    with pytest.raises(SystemExit) as stop:
        _app.main([])
    assert stop.value.code == 130
    assert capsys.readouterr().err.strip() == "interrupted"


def _drop_an_interrupt() -> None:
    """A Ctrl-C inside a ctypes callback, as in llvmlite's object cache while numba compiles."""
    values = (ctypes.c_int * 2)(2, 1)
    ctypes.CDLL(None).qsort(values, 2, ctypes.sizeof(ctypes.c_int),
                            _CALLBACK(_interrupting_compare))  # fmt: skip


_AFTERMATH = RuntimeError("no compiled object yet for <Library '_path_nb'>")
"""What numba raises next: the callback that should have stored the object was cut short."""


@pytest.mark.skipif(sys.platform != "linux", reason="qsort from the C library by name")
def test_the_error_that_follows_a_dropped_interrupt_is_the_interrupt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from genesis.cli import _app
    from genesis.optimizer.loop import run_trial

    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)
    keep_interrupts()

    def compiling(trial: optuna.Trial) -> tuple[float, ...]:
        _drop_an_interrupt()
        raise _AFTERMATH

    study = optuna.create_study()
    with pytest.raises(KeyboardInterrupt):  # at the trial boundary: not a failed trial
        run_trial(study, study.ask(), compiling)
    assert dropped_interrupt()

    def command(**_: Any) -> None:
        _drop_an_interrupt()
        raise _AFTERMATH

    monkeypatch.setattr(_app, "app", command)
    monkeypatch.setattr(_app, "_register", lambda: None)
    monkeypatch.setattr(_app.signal, "signal", lambda *_: None)
    with pytest.raises(SystemExit) as stop:  # at the CLI edge: no traceback, exit 130
        _app.main([])
    assert stop.value.code == 130
    assert capsys.readouterr().err.strip() == "interrupted"
    assert dropped_interrupt()

    def buggy(**_: Any) -> None:
        raise _AFTERMATH

    monkeypatch.setattr(_app, "app", buggy)
    with pytest.raises(RuntimeError):  # without an interrupt, a bug keeps its traceback
        _app.main([])
