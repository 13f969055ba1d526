"""Shell completion: the script typer writes, and completions of commands and options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GENESIS = Path(sys.executable).with_name("genesis")  # the console script the shell calls


def complete(words: str) -> list[str]:
    env = {
        **os.environ,
        "_GENESIS_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    done = subprocess.run([GENESIS], env=env, capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_bash_completion_script_and_completions() -> None:
    script = subprocess.run(
        [GENESIS, "--show-completion", "bash"], capture_output=True, text=True, check=True
    ).stdout
    assert "_GENESIS_COMPLETE=complete_bash" in script and "complete " in script
    assert complete("genesis ru") == ["runs"]
    assert "--plot" in complete("genesis backtest --pl")
    assert set(complete("genesis runs ")) >= {"list", "show"}
