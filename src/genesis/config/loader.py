"""Read a config: YAML file, then ``GENESIS_*`` environment, then command-line overrides.

Precedence is defaults < file < environment < flags. The merged dict is validated once
by :class:`~genesis.config.models.GenesisConfig`; each problem is reported with its YAML
path and where the value came from: the file's line (``cfg.yaml:12:
search_space.fast.high: must be > low (5)``), the environment variable
(``GENESIS_RANDOM_SEED: optimizer.seed: …``) or the flag (``--trials: optimizer.n_trials:
…``).

Paths: the files a config reads (``data.source`` as a file, a strategy given as
``strategies/x.py:Class``) are looked up beside the config file first, then from the
current directory, and become absolute, so the run's copy of the config (and a champion's)
works from any folder. What a run writes (``output_dir``, ``cache.location``) stays relative
to the current directory, like ``--out``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from genesis.config._urls import mask_password
from genesis.config.models import GenesisConfig
from genesis.errors import ConfigError

ENV_VARS: dict[str, tuple[str, str]] = {
    "GENESIS_RANDOM_SEED": ("optimizer.seed", "int"),
    "GENESIS_FAST_WINDOW": ("data.fast_window", "bool"),
    "GENESIS_PRECOMPUTE_FEATURES": ("features.precompute", "bool"),
    "GENESIS_STORAGE_URL": ("storage", "str"),
    "GENESIS_CACHE_URL": ("cache.location", "str"),
}
"""Environment variable → (dotted config path, kind). The seed's three are a contract; the
URLs keep passwords out of config files and command lines (see :mod:`genesis.config._urls`)."""

OVERRIDE_FLAGS: dict[str, str] = {
    "optimizer.n_trials": "--trials",
    "output_dir": "--out",
    "study_name": "--study",
    "storage": "--storage",
    "resume": "--resume",
    "optimizer.seed": "--seed",
    "data.fast_window": "--fast-window",
    "data.start": "--start",
    "data.end": "--end",
    "features.precompute": "--precompute-features",
    "optimizer.n_workers": "--workers",
    "optimizer.cluster": "--cluster",
}
"""Dotted config path → the command-line flag that sets it, to blame errors on the flag."""

EMPTY_CONFIG_HINT = (
    "a config needs at least a strategy and the params to search, e.g. "
    "'strategy: {name: ema_cross}' and 'search_space: {fast: {type: int, low: 5, high: 50}}'; "
    "see config/optimizer/ for complete ones"
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_UNION_TAGS = {"int", "float", "categorical", "fixed"}


def load_config(
    path: Path | str,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    flags: Mapping[str, str] | None = None,
) -> GenesisConfig:
    """Load and validate the config at ``path``.

    Args:
        path: The YAML file.
        env: Environment to read ``GENESIS_*`` from (default: ``os.environ``).
        overrides: Dotted paths set by command-line flags, e.g. ``{"optimizer.n_trials": 10}``;
            ``None`` values are ignored.
        flags: Dotted path → the flag that set it, for error messages (default:
            :data:`OVERRIDE_FLAGS`).

    Raises:
        ConfigError: the file is missing, empty or not YAML, or a value is invalid (names
            the path, and the line, variable or flag it came from).
    """
    path = Path(path)
    text = _read(path)
    try:
        root = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(
            f"not valid YAML: {getattr(error, 'problem', error)}", where=where
        ) from error
    except ValueError as error:  # YAML reads 2018-13-01 as a date, and datetime refuses it
        raise _bad_date(error, path, root) from None
    if raw is None:  # an empty file, or comments only; ``{}`` says "all defaults" on purpose
        raise ConfigError("the config file is empty", where=str(path), hint=EMPTY_CONFIG_HINT)
    if not isinstance(raw, dict):
        raise ConfigError("the top level must be a mapping of sections", where=str(path))
    merged = copy.deepcopy(raw)
    sources: dict[str, str] = {}  # dotted path → where a value not from the file came from
    variables = {dotted: name for name, (dotted, _) in ENV_VARS.items()}
    for dotted, value in env_overrides(os.environ if env is None else env).items():
        _set(merged, dotted, value)
        sources[dotted] = variables[dotted]
    names = OVERRIDE_FLAGS if flags is None else flags
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set(merged, dotted, value)
            sources[dotted] = names.get(dotted, "override")
    _resolve_input_files(merged, path.parent)
    try:
        return GenesisConfig.model_validate(merged)
    except ValidationError as error:
        raise _config_error(error, path, root, sources) from None


_NOT_FILES = ("synthetic:", "exchange:")
"""``data.source`` forms that name no file (see :func:`genesis.data.load_candles`)."""


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _bad_date(error: ValueError, path: Path, root: yaml.Node | None) -> ConfigError:
    """The ConfigError for an unquoted date YAML cannot build (``start: 2018-13-01``)."""
    hint = "write a real date as YYYY-MM-DD, or quote the value to keep it as text"
    for dotted, node in _scalars(root, ""):
        if node.tag == _TIMESTAMP:
            try:
                yaml.safe_load(node.value)
            except ValueError:
                where = f"{path}:{node.start_mark.line + 1}"
                return ConfigError(
                    f"{dotted}: {node.value!r} is not a valid date ({error})",
                    where=where, hint=hint,
                )  # fmt: skip
    return ConfigError(f"a value is not valid: {error}", where=str(path), hint=hint)


def _scalars(node: yaml.Node | None, dotted: str) -> list[tuple[str, yaml.ScalarNode]]:
    """Every scalar under ``node`` with its dotted path (sequence items by index)."""
    if isinstance(node, yaml.ScalarNode):
        return [(dotted or "(top level)", node)]
    found: list[tuple[str, yaml.ScalarNode]] = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found += _scalars(value, f"{dotted}.{key.value}" if dotted else str(key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found += _scalars(item, f"{dotted}.{index}" if dotted else str(index))
    return found


def _resolve_input_files(merged: dict[str, Any], folder: Path) -> None:
    """Make the files the config reads absolute: beside the config first, else from here.

    The config file's folder comes first so that a config and its files can move together;
    the current directory comes second so that configs written for the repository root
    keep working. A file found in neither place is left as written, for the loader to
    report it missing.
    """
    data = merged.get("data")
    if isinstance(data, dict) and isinstance(data.get("source"), str):
        source = data["source"]
        if not source.startswith(_NOT_FILES):
            data["source"] = _found(source, folder) or source
    strategy = merged.get("strategy")
    name = strategy.get("name") if isinstance(strategy, dict) else None
    if isinstance(strategy, dict) and isinstance(name, str) and ".py:" in name:
        target, _, attr = name.rpartition(":")  # rpartition: Windows paths contain a colon
        found = _found(target, folder)
        if found is not None:
            strategy["name"] = f"{found}:{attr}"


def _found(text: str, folder: Path) -> str | None:
    """The absolute path of file ``text``, beside ``folder`` first, else from here."""
    file = Path(text).expanduser()
    for candidate in (file,) if file.is_absolute() else (folder / file, file):
        if candidate.is_file():
            return str(candidate.resolve())
    return None


def config_from_dict(data: Mapping[str, Any], *, where: str = "<config>") -> GenesisConfig:
    """Validate an already-parsed config (used by the API and tests)."""
    try:
        return GenesisConfig.model_validate(dict(data))
    except ValidationError as error:
        raise _config_error(error, Path(where), None) from None


def env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    """The config values the ``GENESIS_*`` variables in ``env`` set (dotted paths)."""
    values: dict[str, Any] = {}
    for name, (dotted, kind) in ENV_VARS.items():
        if name not in env:
            continue
        text = env[name].strip()
        if kind == "str":
            if text:
                values[dotted] = text
        elif kind == "int":
            try:
                values[dotted] = int(text)
            except ValueError:
                raise ConfigError(f"{name}={text!r} is not an integer") from None
        else:
            if text.lower() not in _TRUE | _FALSE:
                raise ConfigError(f"{name}={text!r} must be 1 or 0 (true/false)")
            values[dotted] = text.lower() in _TRUE
    return values


def dump_config(config: GenesisConfig) -> str:
    """The resolved config as YAML (what a run directory's ``config.yaml`` holds).

    Passwords in the storage and cache URLs are masked (``***``).
    """
    data = config.model_dump(mode="json")
    if data["storage"] is not None:
        data["storage"] = mask_password(data["storage"])
    if data["cache"]["location"] is not None:
        data["cache"]["location"] = mask_password(data["cache"]["location"])
    return yaml.safe_dump(data, sort_keys=False)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file not found", where=str(path)) from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"not a text file: byte 0x{error.object[error.start]:02x} at offset {error.start} "
            "is not UTF-8",
            where=str(path),
            hint="a config is a YAML text file",
        ) from None
    except OSError as error:
        raise ConfigError(f"cannot read config: {error.strerror}", where=str(path)) from None


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = tree
    for name in parents:
        child = node.get(name)
        if not isinstance(child, dict):
            child = {}
            node[name] = child
        node = child
    node[leaf] = value


def _config_error(
    error: ValidationError,
    path: Path,
    root: yaml.Node | None,
    sources: Mapping[str, str] | None = None,
) -> ConfigError:
    lines = []
    for problem in error.errors():
        loc = [str(part) for part in problem["loc"] if str(part) not in _UNION_TAGS]
        dotted = ".".join(loc) or "(top level)"
        message = str(problem["msg"]).removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key"
        source = _source_of(loc, sources or {})
        line = _line_of(root, loc) if root is not None and source is None else None
        where = source or (f"{path}:{line}" if line else str(path))
        lines.append(f"{where}: {dotted}: {message}")
    first, *rest = lines
    hint = f"{len(rest)} more: " + "; ".join(rest) if rest else None
    return ConfigError(first, hint=hint)


def _source_of(loc: list[str], sources: Mapping[str, str]) -> str | None:
    """The flag or variable that set ``loc`` (or a parent of it), if not the file."""
    for n in range(len(loc), 0, -1):
        if ".".join(loc[:n]) in sources:
            return sources[".".join(loc[:n])]
    return None


def _line_of(node: yaml.Node | None, loc: list[str]) -> int | None:
    """1-based line of the YAML node at ``loc`` (or its nearest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if str(k.value) == part), None)
            key = next((k for k, v in node.value if str(k.value) == part), None)
            if match is None:
                return line
            line = (key or match).start_mark.line + 1
            node = match
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            return line
    return line
