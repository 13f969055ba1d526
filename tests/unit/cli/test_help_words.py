"""--help speaks to a user: no in-house jargon ("the seed", the origin document's nickname)."""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.testing import CliRunner

from genesis.cli._app import _register, app

JARGON = re.compile(r"\bthe seed\b|\bseed's\b|\bseed/", re.IGNORECASE)


def every_help() -> dict[str, str]:
    """Each command's --help text, by its command path."""
    _register()
    runner = CliRunner()
    texts: dict[str, str] = {}

    def walk(command: Any, path: list[str]) -> None:
        result = runner.invoke(app, [*path[1:], "--help"])
        assert result.exit_code == 0, (path, result.output)
        texts[" ".join(path)] = result.output
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), ["genesis"])
    return texts


def test_no_help_text_uses_the_seed_as_jargon() -> None:
    texts = every_help()
    assert {"genesis optimize", "genesis runs show", "genesis strategies"} <= set(texts)
    used = {path: JARGON.findall(text) for path, text in texts.items() if JARGON.search(text)}
    assert used == {}
    assert "--seed" in texts["genesis optimize"]  # the sampler's seed is a real word
