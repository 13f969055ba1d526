"""The genesis journal: a torn tail is cut, batched attributes land with the state change."""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from genesis.optimizer.storage import JOURNAL_NAME, mask_password, open_storage

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _study(tmp_path: Path) -> optuna.Study:
    storage = open_storage(None, tmp_path)
    return optuna.create_study(storage=storage, study_name="s", load_if_exists=True)


def test_attributes_are_written_with_the_trials_state(tmp_path: Path) -> None:
    study = _study(tmp_path)
    journal = tmp_path / JOURNAL_NAME
    trial = study.ask()
    trial.suggest_int("x", 0, 3)
    size_before = journal.stat().st_size
    trial.set_user_attr("key", "abc")
    trial.set_constraint("min_trades", -1.0)
    assert journal.stat().st_size == size_before, "attribute writes should be held back"
    study.tell(trial, 1.5)
    # A stock Optuna reader sees everything: the journal stays an ordinary journal.
    stock = optuna.load_study(
        storage=JournalStorage(JournalFileBackend(str(journal))), study_name="s"
    )
    [frozen] = stock.get_trials()
    assert frozen.user_attrs == {"key": "abc"}
    assert frozen.state == TrialState.COMPLETE and frozen.value == 1.5


def test_a_torn_last_line_is_cut_before_the_next_append(tmp_path: Path) -> None:
    study = _study(tmp_path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    journal = tmp_path / JOURNAL_NAME
    with journal.open("ab") as handle:
        handle.write(b'{"op_code": 4, "worker_id": "dead", "study_id": 0, "dat')  # killed writer
    study = _study(tmp_path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert journal.read_bytes().endswith(b"\n")
    reloaded = optuna.load_study(
        storage=JournalStorage(JournalFileBackend(str(journal))), study_name="s"
    )
    assert len(reloaded.get_trials(states=(TrialState.COMPLETE,))) == 4


def test_mask_password() -> None:
    assert mask_password("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"
    assert mask_password("postgresql://u@h/db") == "postgresql://u@h/db"


def test_params_are_published_by_a_flush_before_the_trial_ends(tmp_path: Path) -> None:
    from genesis.optimizer.storage import flush_storage

    storage = open_storage(None, tmp_path)
    study = optuna.create_study(storage=storage, study_name="p")
    trial = study.ask()
    trial.suggest_int("x", 0, 9)
    other = optuna.load_study(
        storage=JournalStorage(JournalFileBackend(str(tmp_path / JOURNAL_NAME))), study_name="p"
    )
    assert other.get_trials()[0].params == {}
    flush_storage(storage)
    running = other.get_trials()[0]
    assert running.state == TrialState.RUNNING and running.params == trial.params
