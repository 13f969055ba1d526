"""A study's fingerprint: everything its trials' scores depend on besides the params.

That is what enters every cache key except the params (the data fingerprint and window,
the strategy's name and version, the backtest settings, the score settings, the engine
version), plus the search space, the fixed params and the objectives. A study keeps it
in its user attributes (``genesis_fingerprint``, one write when the study is made), and
a study is never continued under another one: its best trial, its sampler's history and
its reproduce command would mix two configs.

The fingerprint is a flat mapping of readable names (``data window``, ``fee_bps``,
``search_space.ema_fast``) to JSON values, so that a refusal can name what changed. It is
a function of (config, problem): a walk-forward fold's study, made from a problem over
another data window, gets its own fingerprint without anything else to do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna

from genesis.artifacts import RunDir
from genesis.config import GenesisConfig
from genesis.errors import ConfigError
from genesis.optimizer.problem import Problem
from genesis.storage import log
from genesis.storage.storage import JOURNAL_NAME, mask_password, open_storage

FINGERPRINT_ATTR = "genesis_fingerprint"
JOIN_WAIT_S = 60.0
"""How long ``genesis worker`` waits for the study it joins to be created."""

_SPEC_NAMES = {
    "format": "cache key format",
    "strategy_version": "strategy version",
    "data": "data",
    "window": "data window",
    "engine_version": "engine version",
}


def spec_entries(canonical: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical backtest spec (``BacktestSpec.canonical``) as named entries, params left out.

    Backtest settings keep their own names (``fee_bps``); score settings are
    ``objectives`` and ``score.<name>``; a field this function does not know yet keeps
    its field name, so that nothing in the spec escapes the comparison.
    """
    entries: dict[str, Any] = {}
    for field, value in canonical.items():
        if field == "params":
            continue
        if field == "settings" and isinstance(value, Mapping):
            entries.update(value)
        elif field == "score" and isinstance(value, Mapping):
            for name, setting in value.items():
                entries["objectives" if name == "objectives" else f"score.{name}"] = setting
        else:
            entries[_SPEC_NAMES.get(field, field)] = value
    return _as_json(entries)


def study_fingerprint(config: GenesisConfig, problem: Problem) -> dict[str, Any]:
    """The fingerprint of the study ``config`` makes over ``problem`` (module docstring)."""
    entries = spec_entries(problem.fingerprint_spec().canonical())
    for name, dim in sorted(config.search_space.items()):
        entries[f"search_space.{name}"] = dim.model_dump(mode="json")
    for name, value in sorted(config.strategy.params.items()):
        entries[f"strategy.params.{name}"] = value
    return _as_json(entries)


def changes(stored: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """What differs between two fingerprints, one readable line per entry."""
    names = [*now, *(n for n in stored if n not in now)]
    return [
        f"{name} ({_short(stored.get(name))} → {_short(now.get(name))})"
        for name in names
        if stored.get(name) != now.get(name)
    ]


def check_study(config: GenesisConfig, problem: Problem, run: RunDir, *, joining: bool) -> None:
    """Refuse, before anything is written, to open a study that must not be opened.

    An existing study (its run directory, or the study in the storage) needs
    ``resume``; a study whose stored fingerprint differs from this config's is refused
    with or without it. ``joining`` (``genesis worker``) waits for the study to exist.

    Raises:
        ConfigError: what the message says (exit 2).
    """
    where = mask_password(config.storage) if config.storage else None
    exists, stored = _read_study(config, run)
    deadline = time.monotonic() + JOIN_WAIT_S
    while joining and not exists and time.monotonic() < deadline:
        time.sleep(0.5)
        exists, stored = _read_study(config, run)
    if joining and not exists:
        raise ConfigError(
            f"no study {run.name!r} to join after {JOIN_WAIT_S:g}s",
            where=where, hint="start it with genesis optimize --study NAME first",
        )  # fmt: skip
    changed = changes(stored, study_fingerprint(config, problem)) if stored is not None else []
    if not (config.resume or joining) and (exists or run.root.exists()):
        other = f", made with another config; changed: {', '.join(changed)}" if changed else ""
        raise ConfigError(
            f"study {run.name!r} exists already{other}",
            where=str(run.root) if run.root.exists() else where,
            hint="add --resume to continue it, or choose another --study",
        )
    if config.resume and not exists and not run.root.exists():
        raise ConfigError(f"no run named {run.name!r} to resume", where=str(run.root.parent))
    if changed:
        raise _changed(run.name, changed)


def refuse_changes(name: str, stored: Mapping[str, Any], now: Mapping[str, Any]) -> None:
    """Raise a ConfigError naming what changed, if anything did."""
    changed = changes(stored, now)
    if changed:
        raise _changed(name, changed)


def _changed(name: str, changed: list[str]) -> ConfigError:
    return ConfigError(
        f"study {name!r} was made with another config; changed: {', '.join(changed)}",
        hint="restore the config to continue this study, or choose another --study",
    )


def remember_fingerprint(study: optuna.Study, now: Mapping[str, Any]) -> None:
    """Store ``now`` in a new study; refuse a study that holds another fingerprint.

    A study made before genesis kept fingerprints adopts this config's (with a warning):
    there is nothing to compare it with.
    """
    stored = study.user_attrs.get(FINGERPRINT_ATTR)
    if isinstance(stored, Mapping):
        refuse_changes(study.study_name, stored, now)
        return
    if study.get_trials(deepcopy=False):
        log.logger.warning(
            "[Runner] study %s has no config fingerprint (made by an older genesis): "
            "it now remembers this config's", study.study_name,
        )  # fmt: skip
    study.set_user_attr(FINGERPRINT_ATTR, dict(now))


def _read_study(config: GenesisConfig, run: RunDir) -> tuple[bool, dict[str, Any] | None]:
    """(whether the study exists in its storage, its stored fingerprint), writing nothing."""
    url = config.storage
    if url is None or url.startswith("journal:"):
        path = run.root / JOURNAL_NAME if url is None else Path(url.removeprefix("journal:"))
        if not path.is_file():
            return False, None
    storage = open_storage(url, run.root, retry_s=config.optimizer.storage_retry_s)
    try:
        study_id = storage.get_study_id_from_name(run.name)
    except KeyError:
        return False, None
    stored = storage.get_study_user_attrs(study_id).get(FINGERPRINT_ATTR)
    return True, dict(stored) if isinstance(stored, Mapping) else None


def _as_json(entries: Mapping[str, Any]) -> dict[str, Any]:
    """The form the storage gives back (tuples become lists), so comparisons are exact."""
    loaded: dict[str, Any] = json.loads(json.dumps(entries, sort_keys=True))
    return loaded


def _short(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):  # a data fingerprint is a long hash: its head is enough
        return value if len(value) <= 24 else f"{value[:12]}…"
    text = json.dumps(value, separators=(",", ":"))
    return text if len(text) <= 80 else f"{text[:77]}…"
