"""The README and the docs stay true: every code block runs, every command exists.

The convention, the way backtesting.py's ``TestDocs`` runs its examples: each page's
fenced blocks run in order, in a fresh directory holding copies of ``config/`` and
``examples/``, so a page may run a search and then read its results:

* ``bash`` blocks run with ``bash -euo pipefail``, ``genesis`` being this checkout's CLI
  and ``python`` the interpreter running the tests (as in an activated ``.venv``);
* ``python`` blocks run in a fresh interpreter;
* a block after ``<!-- file: PATH -->`` is written to PATH (a strategy, a config);
* a block after ``<!-- no-run -->`` is only shown (it needs the network, a database,
  or is ``make`` itself); any other language (``text``, ``yaml``) is only shown.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from genesis.metrics import METRIC_NAMES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
RUNNABLE = {"bash", "python"}
_FENCE = re.compile(r"^```([a-z]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
_MARKER = re.compile(r"<!--\s*(no-run|file:\s*(\S+))\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page and what the convention does with it."""

    language: str
    code: str
    line: int
    no_run: bool
    file: str | None


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a markdown text, with the marker on the line before each."""
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _MARKER.search(before)
        found.append(
            Block(
                language=match.group(1),
                code=match.group(2),
                line=text.count("\n", 0, match.start()) + 1,
                no_run=bool(marker and marker.group(1) == "no-run"),
                file=marker.group(2) if marker else None,
            )
        )
    return found


def _runnable_pages() -> list[Path]:
    return [
        page
        for page in PAGES
        if any(
            b.file or (b.language in RUNNABLE and not b.no_run)
            for b in blocks(page.read_text(encoding="utf-8"))
        )
    ]


def _workdir(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fresh directory with the bundled configs and examples; ``genesis``, ``python`` on PATH."""
    work = tmp_path / "work"
    for folder in ("config", "examples"):
        shutil.copytree(ROOT / folder, work / folder)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, command in (("genesis", "-m genesis "), ("python", "")):
        launcher = bin_dir / name  # as in an activated .venv: genesis and its python
        launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" {command}"$@"\n')
        launcher.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "COLUMNS": "120",
    }
    return work, env


def _run_block(block: Block, page: Path, work: Path, env: dict[str, str]) -> None:
    if block.file:
        target = work / block.file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.code, encoding="utf-8")
        return
    if block.no_run or block.language not in RUNNABLE:
        return
    command = (
        ["bash", "-euo", "pipefail", "-c", block.code]
        if block.language == "bash"
        else [sys.executable, "-c", block.code]
    )
    out = subprocess.run(
        command, cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    where = f"{page.relative_to(ROOT)}:{block.line}"
    assert out.returncode == 0, f"{where} failed:\n{block.code}\n{out.stdout}\n{out.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("page", _runnable_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_code_block_of_the_page_runs(page: Path, tmp_path: Path) -> None:
    work, env = _workdir(tmp_path)
    for block in blocks(page.read_text(encoding="utf-8")):
        _run_block(block, page, work, env)


def test_the_block_parser_follows_the_convention() -> None:
    text = (
        "<!-- no-run -->\n```bash\nmake run\n```\n\n"
        "<!-- file: s.py -->\n```python\nx = 1\n```\n\n```bash\ngenesis --help\n```\n"
    )
    found = blocks(text)
    assert [(b.language, b.no_run, b.file) for b in found] == [
        ("bash", True, None),
        ("python", False, "s.py"),
        ("bash", False, None),
    ]
    assert found[2].code == "genesis --help\n" and found[2].line == 11


def test_every_block_says_its_language() -> None:
    """A bare fence would be silently neither run nor checked: name it (``text`` for output)."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        bare = [b.line for b in blocks(text) if not b.language]
        assert not bare, f"{page.relative_to(ROOT)}: fences without a language at lines {bare}"


def test_the_two_commands_are_first_and_exist_in_the_makefile() -> None:
    first = blocks(README)[0]
    assert "make run" in first.code and "make test" in first.code and first.no_run
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_readme_stays_a_short_users_page() -> None:
    assert len(README.splitlines()) <= 250


def test_listed_metrics_are_the_engines_metrics() -> None:
    page = (ROOT / "docs" / "reference" / "metrics.md").read_text(encoding="utf-8")
    section = page.split("## The metrics", 1)[1].split("## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
    assert listed == set(METRIC_NAMES)


def test_every_genesis_command_in_the_docs_exists() -> None:
    code = "\n".join(b.code for page in PAGES for b in blocks(page.read_text(encoding="utf-8")))
    commands = set(
        re.findall(r"^(?:\$ )?genesis ((?:data|cache|champion|runs) [a-z]+|[a-z]+)", code, re.M)
    )
    assert {"optimize", "backtest", "data fetch", "cache stats", "champion promote"} <= commands
    for command in commands:
        args = [*command.split()[:2], "--help"]
        out = subprocess.run(
            [sys.executable, "-m", "genesis", *args], capture_output=True, text=True, check=False
        )
        assert out.returncode == 0, f"genesis {command}: {out.stderr}"


def test_the_example_strategy_optimizes(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable, "-m", "genesis", "optimize", "examples/bollinger_reversion.yaml",
            "--trials", "8", "--out", str(tmp_path), "--study", "ex", "-q",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "best trial: #" in out.stdout
    assert (tmp_path / "ex" / "best_trial.json").exists()


def test_the_configuration_example_is_a_valid_config() -> None:
    import yaml

    from genesis.config import config_from_dict

    page = (ROOT / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")
    block = next(b for b in blocks(page) if b.language == "yaml")
    config = config_from_dict(yaml.safe_load(block.code))
    assert config.data.start == "2019-01-01"
    assert config.optimizer.n_workers == 1


@pytest.mark.slow
def test_the_documentation_site_builds_strictly(tmp_path: Path) -> None:
    """``mkdocs build --strict``: a broken link, a missing page or a bad docstring fails."""
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    config_page = (tmp_path / "site" / "reference" / "configuration" / "index.html").read_text()
    assert "storage_retry_s" in config_page and "walk_forward" in config_page
    cli_page = (tmp_path / "site" / "reference" / "cli" / "index.html").read_text()
    assert "genesis champion promote" in cli_page and "--trade-from" in cli_page
    errors_page = (tmp_path / "site" / "troubleshooting" / "index.html").read_text()
    assert "DataFetchError" in errors_page and "generated:errors" not in errors_page


def test_the_readmes_links_lead_somewhere() -> None:
    """The README is not part of the site, so mkdocs does not check its links."""
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    assert "docs/index.md" in targets
    for target in targets:
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).exists(), f"README links to a missing {target}"
