"""The README stays true: its commands exist, its metric names are real, its example runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from genesis.metrics import METRIC_NAMES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_two_commands_are_first_and_exist_in_the_makefile() -> None:
    first_block = README.split("```", 2)[1]
    assert "make run" in first_block and "make test" in first_block
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_listed_metrics_are_the_engines_metrics() -> None:
    section = README.split("**Metrics**", 1)[1].split("`final_equity`", 1)[0] + "`final_equity`"
    listed = set(re.findall(r"`([a-z_]+)`", section))
    assert listed == set(METRIC_NAMES)


def test_every_genesis_command_in_the_readme_exists() -> None:
    code = "\n".join(README.split("```")[1::2])
    commands = set(re.findall(r"^genesis ((?:data|cache) [a-z]+|[a-z]+)", code, re.M))
    assert {"optimize", "backtest", "data fetch", "cache stats"} <= commands
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

    block = README.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = config_from_dict(yaml.safe_load(block))
    assert config.data.start == "2019-01-01"
    assert config.optimizer.n_workers == 1
