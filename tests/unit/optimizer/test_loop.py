"""The trial boundary never swallows a Ctrl-C; a second Ctrl-C says the artifacts need
``--resume``; claims in PostgreSQL are freed by the server when their holder goes."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState

from genesis.config import config_from_dict
from genesis.errors import ArtifactsIncomplete
from genesis.optimizer import run_optimizer, runner
from genesis.optimizer.loop import run_trial
from genesis.optimizer.objective import TrialFailed
from genesis.storage.claims import AdvisoryClaims
from genesis.storage.rdb import _is_connection_error

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _raising(error: BaseException) -> Any:
    def objective(trial: optuna.Trial) -> tuple[float, ...]:
        trial.suggest_int("x", 0, 3)
        raise error

    return objective


def _chained(outer: Exception, inner: BaseException) -> Exception:
    """``outer`` raised while ``inner`` was being handled, as CPython chains them."""
    try:
        try:
            raise inner
        except BaseException:
            raise outer  # noqa: B904 (the implicit context is the point)
    except Exception as error:
        return error


@pytest.mark.parametrize("wrap", ["system_error", "strategy_wrapped"])
def test_a_ctrl_c_inside_a_kernel_is_an_interrupt_not_a_failed_trial(wrap: str) -> None:
    # Ctrl-C during a numba call surfaces as "SystemError: ... returned a result with an
    # exception set", caused by the KeyboardInterrupt; evaluate() may wrap it once more.
    error = _chained(SystemError("returned a result with an exception set"), KeyboardInterrupt())
    if wrap == "strategy_wrapped":
        error = _chained(TrialFailed("strategy raised SystemError"), error)
    study = optuna.create_study()
    trial = study.ask()
    with pytest.raises(KeyboardInterrupt):
        run_trial(study, trial, _raising(error))
    assert study.trials[0].state == TrialState.RUNNING  # the loop's interrupt handler fails it


def test_an_ordinary_error_still_fails_only_its_trial() -> None:
    study = optuna.create_study()
    trial = study.ask()
    run_trial(study, trial, _raising(SystemError("a real bug")))
    assert study.trials[0].state == TrialState.FAIL
    assert "SystemError: a real bug" in study.trials[0].user_attrs["error"]


def test_a_second_ctrl_c_while_writing_artifacts_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_loop", interrupted)
    monkeypatch.setattr(runner, "write_artifacts", interrupted)
    config = config_from_dict({
        "data": {"source": "synthetic:tBTCUSD:1h:7:500"},
        "strategy": {"name": "ema_cross"},
        "search_space": {"fast": {"type": "int", "low": 4, "high": 8}},
        "output_dir": str(tmp_path),
    })  # fmt: skip
    with pytest.raises(ArtifactsIncomplete):
        run_optimizer(config)


def test_the_cli_says_the_artifacts_must_be_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import genesis.api
    from genesis.cli import main

    def incomplete(*args: Any, **kwargs: Any) -> Any:
        raise ArtifactsIncomplete

    monkeypatch.setattr(genesis.api, "run_optimizer", incomplete)
    config = tmp_path / "c.yaml"
    config.write_text("data: {source: 'synthetic:tBTCUSD:1h:7:500'}\nstrategy: {name: ema_cross}\n")
    with pytest.raises(SystemExit) as exit_:
        main(["optimize", str(config), "-q"])
    assert exit_.value.code == 130
    err = capsys.readouterr().err
    assert "consistent" not in err and "--resume" in err and "rebuild" in err


def test_a_connection_error_is_recognised_behind_optuna_s_masks() -> None:
    import sqlalchemy.exc as sa_exc

    lost = sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    assert _is_connection_error(_chained(UnboundLocalError("session"), lost))
    assert _is_connection_error(_chained(optuna.exceptions.StorageInternalError("x"), lost))
    assert not _is_connection_error(ValueError("a real error"))


@pytest.mark.postgres
def test_an_advisory_claim_is_freed_by_the_server_when_its_holder_goes(postgres_url: str) -> None:
    key = uuid.uuid4().hex * 2
    first, second, third = (AdvisoryClaims(postgres_url) for _ in range(3))
    try:
        assert first.claim(key, 7) is None
        holder = second.claim(key, 8)
        assert holder is not None and holder.trial == 7
        first.close()  # as a killed process's connection closes
        deadline = time.monotonic() + 10  # the server ends the holder's backend at once, or nearly
        while second.claim(key, 8) is not None:
            assert time.monotonic() < deadline, "the claim of a closed connection was not freed"
            time.sleep(0.05)
        assert third.claim(key, 9) is not None
        second.release(key, 8, done=True)
        assert third.claim(key, 9) is None
    finally:
        second.close()
        third.close()


def test_real_ctrl_c_at_random_moments_of_backtests_always_interrupts() -> None:
    import random
    import signal
    import threading

    from genesis.evaluate import evaluate, make_spec
    from genesis.optimizer import build_problem

    problem = build_problem(
        config_from_dict({"data": {"source": "synthetic:tBTCUSD:1h:5:20000"},
                          "strategy": {"name": "genesis_trend"}})
    )  # fmt: skip

    def backtests(trial: optuna.Trial) -> tuple[float, ...]:
        while True:  # until the Ctrl-C: it lands in numba kernels, Python and dispatchers
            params = {**problem.space.fixed, "ema_fast": random.randint(5, 60)}
            spec = make_spec(
                problem.strategy, params, problem.data_fingerprint, problem.settings,
                problem.score_spec, window=problem.window,
            )  # fmt: skip
            evaluate(spec, problem.strategy, problem.features)

    main = threading.main_thread().ident
    assert main is not None
    study = optuna.create_study()
    interrupts = 0
    for _ in range(40):
        trial = study.ask()
        timer = threading.Timer(
            random.uniform(0.002, 0.02), signal.pthread_kill, (main, signal.SIGINT)
        )
        try:
            timer.start()
            run_trial(study, trial, backtests)
        except KeyboardInterrupt:
            interrupts += 1
        timer.join()
    assert interrupts == 40
    assert not [t for t in study.trials if t.state == TrialState.FAIL], "a Ctrl-C became a FAIL"


class _Square:
    """A stand-in objective: the loop needs a callable with ``unique_keys`` and ``worker``."""

    def __init__(self) -> None:
        self.unique_keys: set[str] = set()
        self.worker = None

    def __call__(self, trial: optuna.Trial) -> tuple[float, ...]:
        return (float(trial.suggest_int("x", 0, 100) ** 2),)


@pytest.mark.parametrize("shared", [False, True])
def test_queued_trials_run_first_also_one_queued_during_the_run(
    tmp_path: Path, shared: bool
) -> None:
    from genesis.optimizer.loop import Budget, run_loop
    from genesis.storage.storage import open_storage

    study = optuna.create_study(storage=open_storage(None, tmp_path), study_name="q")
    study.enqueue_trial({"x": 7})
    study.enqueue_trial({"x": 8})

    def between_trials() -> None:
        if len(study.trials) == 4:  # what a dashboard note or a sweep does mid-run
            study.enqueue_trial({"x": 9})

    budget = Budget(n_trials=8, max_unique=None, max_trials=8, timeout_s=None,
                    space_size=None, started=time.monotonic())  # fmt: skip
    run_loop(study, _Square(), budget, shared=shared, between_trials=between_trials)  # type: ignore[arg-type]
    trials = study.get_trials()
    assert [t.params["x"] for t in trials[:2]] == [7, 8]
    assert trials[4].params["x"] == 9  # popped before a new trial was made
    assert len(trials) == 8 and all(t.state == TrialState.COMPLETE for t in trials)


def test_a_trial_killed_before_it_had_params_takes_no_budget_slot(tmp_path: Path) -> None:
    import subprocess

    from genesis.optimizer.loop import WORKER_ATTR, Budget, run_loop, sweep_orphans
    from genesis.storage.owner import Owner
    from genesis.storage.storage import open_storage

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = Owner(Owner.current().host, gone.pid)
    study = optuna.create_study(storage=open_storage(None, tmp_path), study_name="k")
    killed: list[int] = []

    def between_trials() -> None:  # a worker dies right after creating its trial
        if len(study.trials) == 3 and not killed:
            trial = study.ask()
            study._storage.set_trial_user_attr(trial._trial_id, WORKER_ATTR, dead.as_attr())
            killed.append(trial.number)
        sweep_orphans(study, unknown_are_orphans=False)  # what the main process's watch does

    budget = Budget(n_trials=8, max_unique=None, max_trials=8, timeout_s=None,
                    space_size=None, started=time.monotonic())  # fmt: skip
    run_loop(study, _Square(), budget, shared=True, between_trials=between_trials)  # type: ignore[arg-type]
    states = [t.state for t in study.get_trials()]
    assert killed and states[killed[0]] == TrialState.FAIL
    assert states.count(TrialState.COMPLETE) == 8, states  # as many as an uninterrupted run
