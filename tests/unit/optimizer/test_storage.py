"""The genesis journal as readers see it: at once, an ordinary journal, damage named."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import optuna
import pytest
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from genesis.errors import StorageError
from genesis.storage import journal as journal_module
from genesis.storage.journal import _Syncer, grouped_writes, sync_storage
from genesis.storage.storage import JOURNAL_NAME, mask_password, open_storage

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _study(tmp_path: Path) -> optuna.Study:
    storage = open_storage(None, tmp_path)
    return optuna.create_study(storage=storage, study_name="s", load_if_exists=True)


def _stock(tmp_path: Path) -> optuna.Study:
    backend = JournalFileBackend(str(tmp_path / JOURNAL_NAME))
    return optuna.load_study(storage=JournalStorage(backend), study_name="s")


def test_a_running_trials_params_and_attributes_are_visible_as_soon_as_set(
    tmp_path: Path,
) -> None:
    study = _study(tmp_path)
    other = _stock(tmp_path)  # another reader: a dashboard, another worker
    trial = study.ask()
    x = trial.suggest_int("x", 0, 3)
    [running] = other.get_trials()
    assert running.state == TrialState.RUNNING and running.params == {"x": x}
    trial.set_user_attr("key", "abc")
    trial.set_constraint("min_trades", -1.0)
    assert other.get_trials()[0].user_attrs == {"key": "abc"}
    study.tell(trial, 1.5)
    [told] = other.get_trials()
    assert told.state == TrialState.COMPLETE and told.value == 1.5
    assert told.user_attrs == {"key": "abc"} and told.params == {"x": x}


def test_a_changed_distribution_is_refused_at_suggest(tmp_path: Path) -> None:
    study = _study(tmp_path)
    study.optimize(lambda t: t.suggest_int("x", 0, 3), n_trials=1)
    trial = study.ask()
    with pytest.raises(ValueError, match="different distribution kind"):
        trial.suggest_float("x", 0.0, 1.0)
    assert trial.params == {} and _stock(tmp_path).get_trials()[1].params == {}


def test_the_search_space_names_the_param_optuna_refused(tmp_path: Path) -> None:
    from genesis.config import CategoricalParam, IntParam
    from genesis.errors import ConfigError
    from genesis.samplers.space import SearchSpace

    study = _study(tmp_path)
    before = SearchSpace({"x": IntParam(type="int", low=0, high=3)}, {})
    study.optimize(lambda t: float(before.suggest(t)["x"]), n_trials=1)
    after = SearchSpace({"x": CategoricalParam(type="categorical", choices=[0, 5])}, {})
    with pytest.raises(ConfigError, match=r"search_space\.x: the study has this param with"):
        after.suggest(study.ask())


def test_a_torn_last_line_is_cut_before_the_next_append(tmp_path: Path) -> None:
    study = _study(tmp_path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    journal = tmp_path / JOURNAL_NAME
    with journal.open("ab") as handle:
        handle.write(b'{"op_code":4,"worker_id":"dead","study_id":0,"dat')  # killed writer
    study = _study(tmp_path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert journal.read_bytes().endswith(b"\n")
    assert len(_stock(tmp_path).get_trials(states=(TrialState.COMPLETE,))) == 4


@pytest.mark.parametrize(
    ("damage", "line"),
    [
        (b"this is not json\n", 3),  # a garbage line in the middle
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", 3),  # binary
    ],
)
def test_a_damaged_journal_is_a_storage_error_naming_the_line(
    tmp_path: Path, damage: bytes, line: int
) -> None:
    study = _study(tmp_path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)  # lines 1-4
    journal = tmp_path / JOURNAL_NAME
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:2]) + damage + b"".join(lines[2:]))
    before = journal.read_bytes()
    with pytest.raises(StorageError, match=rf"{JOURNAL_NAME}:{line}: not an Optuna journal record"):
        open_storage(None, tmp_path)
    assert journal.read_bytes() == before, "a damaged journal is left as it is"


def test_a_binary_file_is_not_taken_for_a_torn_record(tmp_path: Path) -> None:
    journal = tmp_path / JOURNAL_NAME
    journal.write_bytes(bytes(range(256)).replace(b"\n", b""))
    with pytest.raises(StorageError, match=rf"{JOURNAL_NAME}:1: not an Optuna journal record"):
        open_storage(None, tmp_path)
    assert len(journal.read_bytes()) == 255


def test_records_are_read_as_they_come_in_blocks_and_a_record_being_written_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "_READ_BLOCK", 100)  # records are 100-300 bytes
    study = _study(tmp_path)
    stock = _stock(tmp_path)
    stock.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 9), n_trials=5)
    assert [t.params for t in study.get_trials()] == [t.params for t in stock.get_trials()]
    running = stock.ask()
    journal = tmp_path / JOURNAL_NAME
    record = (
        b'{"op_code":8,"worker_id":"w","trial_id":%d,"user_attr":{"a":1}}\n' % running._trial_id
    )
    with journal.open("ab") as handle:
        handle.write(record[:20])  # half written: not a record yet
        handle.flush()
        assert study.get_trials()[-1].user_attrs == {}
        handle.write(record[20:])
    assert study.get_trials()[-1].user_attrs == {"a": 1}


def test_a_last_line_that_is_no_record_waits_and_is_named_once_a_record_follows(
    tmp_path: Path,
) -> None:
    study = _study(tmp_path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)  # lines 1-4
    journal = tmp_path / JOURNAL_NAME
    with journal.open("ab") as handle:
        handle.write(b"not a record\n")
    assert len(study.get_trials()) == 1  # maybe a record being written: left for later
    with journal.open("ab") as handle:
        handle.write(b'{"op_code":4,"worker_id":"w","study_id":0,"datetime_start":null}\n')
    with pytest.raises(StorageError, match=rf"{JOURNAL_NAME}:5: not an Optuna journal record"):
        study.get_trials()


def _replay(storage: JournalStorage) -> list[tuple[object, ...]]:
    return [
        (t.number, t.state, t.params, t.user_attrs, t.values)
        for t in storage.get_all_trials(0, deepcopy=False)
    ]


def test_a_torn_tail_cut_and_written_over_during_a_read_is_not_taken_for_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reader more than a block behind; the journal ends with a killed writer's torn
    # record across the reader's block boundary; between two of the reader's preads
    # another writer cuts it and appends its own. Joining the torn bytes read first to
    # the new ones read next made a bad line in the middle of a sound journal.
    monkeypatch.setattr(journal_module, "_READ_BLOCK", 4096)
    study = _study(tmp_path)
    reader = open_storage(None, tmp_path)
    journal = tmp_path / JOURNAL_NAME
    while journal.stat().st_size < 3000:
        trial = study.ask()
        trial.set_user_attr("pad", "p" * 200)
        study.tell(trial, 1.0)
    with journal.open("ab") as handle:  # the torn record crosses byte 4096 of the read
        handle.write(b'{"op_code":8,"worker_id":"dead","trial_id":0,"user_attr":{"t":"')
        handle.write(b"t" * 3000)
    reader_fd = reader._backend._journal.get()
    real_pread = os.pread
    reads: list[int] = []

    def pread(fd: int, n: int, offset: int) -> bytes:
        data = real_pread(fd, n, offset)
        if fd == reader_fd and not reads:
            reads.append(offset)
            other = _study(tmp_path)  # a writer that cuts the torn tail, then appends
            trial = other.ask()
            for i in range(60):
                trial.set_user_attr(f"k{i}", i)
            other.tell(trial, 2.0)
        return data

    monkeypatch.setattr(os, "pread", pread)
    _replay(reader)  # a StorageError here would stop a worker on a sound journal
    monkeypatch.setattr(os, "pread", real_pread)
    assert reads, "the reader read the journal"
    assert _replay(reader) == _replay(JournalStorage(JournalFileBackend(str(journal))))


def test_a_bad_line_seen_by_a_read_that_raced_a_repair_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = _study(tmp_path)
    reader = open_storage(None, tmp_path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    real_pread = os.pread
    raced: list[int] = []

    def pread(fd: int, n: int, offset: int) -> bytes:
        data = real_pread(fd, n, offset)
        if not raced:  # one read that saw a line half old, half new
            raced.append(offset)
            cut = data.index(b"\n") + 10
            return data[:cut] + b"#" + data[cut + 1 :]
        return data

    monkeypatch.setattr(os, "pread", pread)
    assert [t.state for t in reader.get_all_trials(0)] == [TrialState.COMPLETE] * 3
    assert raced


def test_a_read_with_nothing_new_opens_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = _study(tmp_path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    opened: list[object] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda *a, **k: (opened.append(a[0]), real_open(*a, **k))[1])
    monkeypatch.setattr("builtins.open", lambda *a, **k: opened.append(a[0]))
    for _ in range(10):
        assert study._storage.get_trial(0).state == TrialState.COMPLETE
    assert opened == []


def test_mask_password() -> None:
    assert mask_password("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"
    assert mask_password("postgresql://u@h/db") == "postgresql://u@h/db"


def _count_appends(study: optuna.Study, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    backend = study._storage._backend  # type: ignore[attr-defined]
    calls: list[int] = []
    append = backend.append_logs

    def counted(logs: list[dict[str, object]]) -> None:
        calls.append(len(logs))
        append(logs)

    monkeypatch.setattr(backend, "append_logs", counted)
    return calls


def test_a_group_of_writes_is_one_append_visible_to_others_when_it_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = _study(tmp_path)
    other = _stock(tmp_path)
    trial = study.ask()
    appends = _count_appends(study, monkeypatch)
    with grouped_writes(study._storage):
        a = trial.suggest_int("a", 0, 3)
        b = trial.suggest_float("b", 0.0, 1.0)
        trial.set_user_attr("key", "abc")
        assert other.get_trials()[0].params == {}  # held back until the group ends
    assert appends == [3]
    [running] = other.get_trials()
    assert running.params == {"a": a, "b": b} and running.user_attrs == {"key": "abc"}
    assert study.get_trials()[0].params == {"a": a, "b": b}  # and this process reads them too
    study.tell(trial, 1.0)
    assert other.get_trials()[0].state == TrialState.COMPLETE


def test_in_a_group_a_changed_distribution_is_still_refused_at_suggest(tmp_path: Path) -> None:
    study = _study(tmp_path)
    study.optimize(lambda t: t.suggest_int("x", 0, 3), n_trials=1)
    trial = study.ask()
    with grouped_writes(study._storage):
        y = trial.suggest_float("y", 0.0, 1.0)
        with pytest.raises(ValueError, match="different distribution kind"):
            trial.suggest_float("x", 0.0, 1.0)
    assert _stock(tmp_path).get_trials()[1].params == {"y": y}


def test_in_a_group_a_finished_trial_is_refused_at_the_call(tmp_path: Path) -> None:
    study = _study(tmp_path)
    trial = study.ask()
    study.tell(trial, 1.0)
    with grouped_writes(study._storage), pytest.raises(UpdateFinishedTrialError):
        trial.set_user_attr("late", True)


def test_a_state_change_in_a_group_writes_what_it_holds_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = _study(tmp_path)
    trial = study.ask()
    appends = _count_appends(study, monkeypatch)
    with grouped_writes(study._storage):
        trial.set_user_attr("key", "abc")
        study._storage.set_trial_state_values(trial._trial_id, TrialState.COMPLETE, [2.0])
        assert appends == [2]
    [told] = _stock(tmp_path).get_trials()
    assert told.state == TrialState.COMPLETE and told.user_attrs == {"key": "abc"}


def test_in_a_group_a_trial_created_by_another_writer_can_be_written(tmp_path: Path) -> None:
    study = _study(tmp_path)
    storage = study._storage
    created = _stock(tmp_path)._storage.create_new_trial(study._study_id)  # unseen here
    with grouped_writes(storage):  # Optuna's own storage writes first and reads after
        storage.set_trial_user_attr(created, "seen", True)
    assert _stock(tmp_path).get_trials()[0].user_attrs == {"seen": True}


def test_refusals_in_a_group_are_raised_at_its_state_change_and_never_again(
    tmp_path: Path,
) -> None:
    study = _study(tmp_path)
    storage = study._storage
    trial = study.ask()
    with grouped_writes(storage):
        for name in "abc":
            trial.set_user_attr(name, 1)  # checked against this process's view: accepted
        _stock(tmp_path).tell(trial.number, state=TrialState.FAIL)  # another process ends it
        with pytest.raises(UpdateFinishedTrialError):
            storage.set_trial_state_values(trial._trial_id, TrialState.COMPLETE, [1.0])
    for i in range(4):  # the other refused records are not raised by unrelated calls
        storage.set_study_user_attr(study._study_id, f"k{i}", i)
        assert len(study.get_trials()) == 1
    assert study.get_trials()[0].state == TrialState.FAIL


def test_only_records_that_finish_queue_or_add_a_trial_are_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = _study(tmp_path)
    sync_storage(study._storage)
    asked: list[int] = []
    request = _Syncer.request
    monkeypatch.setattr(_Syncer, "request", lambda self: (asked.append(1), request(self))[1])

    trial = study.ask()
    trial.suggest_int("x", 0, 3)
    trial.set_user_attr("key", "abc")
    trial.set_constraint("min_trades", 0.0)
    assert len(asked) == 0  # a running trial: page cache (a kill loses nothing)
    study.tell(trial, 1.0)
    assert len(asked) == 1
    study.enqueue_trial({"x": 1})
    assert len(asked) == 2
    queued = study.ask()  # WAITING -> RUNNING
    assert queued.suggest_int("x", 0, 3) == 1 and len(asked) == 2


def test_a_closing_session_has_everything_on_disk_also_a_running_trials_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = _study(tmp_path)
    study.tell(study.ask(), 1.0)
    sync_storage(study._storage)
    sizes: list[int] = []
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (sizes.append(os.fstat(fd).st_size), fsync(fd)))
    running = study.ask()
    running.suggest_float("x", 0, 1)
    running.set_user_attr("note", "x")  # records that need no fsync of their own
    sync_storage(study._storage)
    assert sizes and max(sizes) == (tmp_path / JOURNAL_NAME).stat().st_size


def test_fsyncs_within_an_interval_are_one_and_a_closing_session_does_not_wait_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = _study(tmp_path)
    sync_storage(study._storage)
    monkeypatch.setattr(_Syncer, "INTERVAL_S", 600.0)
    synced: list[int] = []
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), fsync(fd)))
    for value in range(20):
        study.tell(study.ask(), float(value))
    closing = threading.Thread(target=sync_storage, args=(study._storage,))
    closing.start()
    closing.join(60)  # far less than the interval: a session that closes fsyncs at once
    assert not closing.is_alive()
    assert 1 <= len(synced) <= 2  # the first tell's fsync, then one for the other 19
    assert len(_stock(tmp_path).get_trials()) == 20


def test_the_trial_loop_does_not_wait_for_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = _study(tmp_path)
    sync_storage(study._storage)
    disk = threading.Event()
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (disk.wait(30), fsync(fd)))
    for value in range(3):  # each tell asks for an fsync; none returns until the disk does
        trial = study.ask()
        study.tell(trial, float(value))
    assert [t.value for t in _stock(tmp_path).get_trials()] == [0.0, 1.0, 2.0]
    waited = threading.Thread(target=sync_storage, args=(study._storage,))
    waited.start()
    waited.join(0.3)
    assert waited.is_alive()  # a session's close waits for its fsyncs
    disk.set()
    waited.join(30)
    assert not waited.is_alive()
