"""pytest plugin: Optuna's own generic sampler tests on genesis's samplers, beside stock ones.

Loaded by :mod:`suite` (``suite.py samplers``) into a pytest run of Optuna's
``tests/samplers_tests/test_samplers.py`` and ``test_partial_fixed.py``. Before each
test is parametrized it adds genesis's samplers to the sampler lists those modules test
(the ``sampler`` fixtures built on ``optuna.testing.pytest_samplers`` and the modules'
``parametrize`` lists), composed as a user of plain Optuna would: no genesis search space,
so each sampler works on the space it infers from the study. Of the stock samplers it
keeps Optuna's random and TPE samplers (and CMA-ES where a test has no other) as controls.

At the end it prints, per genesis sampler, how many of its tests passed, and fails the
run if any test fails for a genesis sampler where a stock sampler of the same test (same
test, same other params) passes. ``test_reproducible_in_other_process`` is left out: it
looks samplers up by name in a fresh ``spawn`` process, where this plugin is not loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna
import pytest
from optuna.samplers import BaseSampler, RandomSampler, TPESampler
from outcomes import OUTCOMES, pytest_runtest_logreport  # noqa: F401 (the hook, found here)

from genesis.samplers.elite import EliteSampler
from genesis.samplers.repeats import RepeatAvoidingSampler

Factory = Callable[[int | None], BaseSampler]
OURS: dict[str, Factory] = {
    "genesis-elite": lambda seed: EliteSampler(seed=seed, n_startup=0),
    "genesis-repeats-tpe": lambda seed: RepeatAvoidingSampler(
        TPESampler(seed=seed, n_startup_trials=0), seed=seed
    ),
    "genesis-repeats-random": lambda seed: RepeatAvoidingSampler(
        RandomSampler(seed=seed), seed=seed
    ),
    "genesis-repeats-elite": lambda seed: RepeatAvoidingSampler(
        EliteSampler(seed=seed, n_startup=0), seed=seed
    ),
}
"""genesis's samplers by test id, from a seed (the fixtures' ``None``: unseeded)."""
SINGLE_OBJECTIVE = {"genesis-elite", "genesis-repeats-elite"}
SAMPLER_ARGS = ("sampler", "sampler_class", "sampler_class_with_seed")
CONTROLS = (RandomSampler, TPESampler)


def _unseeded(name: str) -> Callable[[], BaseSampler]:
    def make() -> BaseSampler:
        return OURS[name](None)

    make.__name__ = name
    return make


UNSEEDED = {name: _unseeded(name) for name in OURS}
_label: dict[int, str] = {id(f): n for n, f in UNSEEDED.items()}
_label.update({id(f): n for n, f in OURS.items()})
_extended: set[int] = set()


def _ids(value: object) -> str | None:
    return _label.get(id(value))


def _add_to_fixture(metafunc: pytest.Metafunc) -> None:
    """Add genesis's samplers to a test class's parametrized ``sampler`` fixture."""
    defs = metafunc._arg2fixturedefs.get("sampler", ())
    if not defs or defs[-1].params is None or id(defs[-1]) in _extended:
        return
    fixture = defs[-1]
    _extended.add(id(fixture))
    kind = metafunc.cls.__name__ if metafunc.cls else ""
    names = list(OURS)
    if "MultiObjective" in kind:
        names = [n for n in OURS if n not in SINGLE_OBJECTIVE]
    elif "SingleOnly" in kind:
        names = [n for n in OURS if n in SINGLE_OBJECTIVE]
    fixture.params = (*fixture.params, *(UNSEEDED[n] for n in names))
    fixture.ids = _ids


def _add_to_lists(module: Any) -> None:
    """Add genesis's samplers to the modules' module-level ``parametrize`` lists."""
    if id(module) in _extended:
        return
    _extended.add(id(module))
    seeded = getattr(module, "param_sampler_with_seed", None)
    if seeded is not None:
        seeded.extend(pytest.param(f, id=n) for n, f in OURS.items())
    mark = getattr(module, "parametrize_sampler", None)
    if mark is not None:
        mark.args[1].extend(pytest.param(f, id=n) for n, f in UNSEEDED.items())


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    _add_to_lists(metafunc.module)
    _add_to_fixture(metafunc)


_groups: dict[str, tuple[tuple[Any, ...], str | None]] = {}
"""Each collected test's nodeid: its group (test and other params) and genesis sampler."""


def _sampler_of(item: pytest.Item) -> tuple[str | None, Any]:
    params = getattr(getattr(item, "callspec", None), "params", {})
    for arg in SAMPLER_ARGS:
        if arg in params:
            return _label.get(id(params[arg])), params[arg]
    return None, None


def _is_control(factory: Any, item: pytest.Item) -> bool:
    if "SingleOnly" in item.nodeid:
        return True  # Optuna's only single-objective sampler (CMA-ES) is the control
    try:
        made = factory()
    except TypeError:  # the ``sampler_class_with_seed`` lists take a seed
        made = factory(1)
    return type(made) in CONTROLS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        ours, factory = _sampler_of(item)
        if factory is None:
            drop.append(item)  # not a test run per sampler
            continue
        if ours is None and not _is_control(factory, item):
            drop.append(item)
            continue
        callspec = item.callspec  # type: ignore[attr-defined]
        others = tuple(
            sorted((k, id(v)) for k, v in callspec.params.items() if k not in SAMPLER_ARGS)
        )
        _groups[item.nodeid] = ((item.nodeid.split("[")[0], others), ours)
        keep.append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    stock_passes: set[tuple[Any, ...]] = set()
    for nodeid, (group, ours) in _groups.items():
        if ours is None and OUTCOMES.get(nodeid) == "passed":
            stock_passes.add(group)
    differ, tally = [], {name: [0, 0, 0] for name in OURS}
    for nodeid, (group, ours) in sorted(_groups.items()):
        if ours is None:
            continue
        passed = OUTCOMES.get(nodeid) == "passed"
        tally[ours][0] += passed
        tally[ours][1] += 1
        if not passed and group in stock_passes:
            tally[ours][2] += 1
            differ.append(f"{nodeid}: {OUTCOMES.get(nodeid)}, a stock sampler passes")
    print()
    for name, (passed, total, worse) in tally.items():
        print(f"{name}: {passed} passed of {total}; {worse} failed where a stock sampler passes")
    stock = [n for n, (_, o) in _groups.items() if o is None]
    print(
        f"stock controls: {sum(OUTCOMES.get(n) == 'passed' for n in stock)} passed of {len(stock)}"
    )
    for line in differ:
        print(f"DIFFERS {line}")
    failed_run = differ or not any(t[1] for t in tally.values())
    session.exitstatus = pytest.ExitCode.TESTS_FAILED if failed_run else pytest.ExitCode.OK


optuna.logging.set_verbosity(optuna.logging.WARNING)
