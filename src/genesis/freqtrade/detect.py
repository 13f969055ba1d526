"""Whether a config's strategy is a Freqtrade one, decided without importing anything.

genesis's own strategy files are named ``path/to/file.py:ClassName`` too; a Freqtrade
strategy file is told apart by what it imports (``freqtrade``), read from its syntax tree,
or by the config's ``freqtrade`` section. Importing the file to look at the class would run
the user's module (and freqtrade) for every genesis strategy.
"""

from __future__ import annotations

import ast
from pathlib import Path


def names_freqtrade_strategy(name: str, *, has_section: bool = False) -> bool:
    """Whether ``strategy.name`` (with a ``freqtrade`` section or not) is a Freqtrade strategy.

    A file that cannot be read or parsed is not decided here (False): genesis's own
    resolver reports it with the file and line.
    """
    file, sep, _ = name.partition(":")
    if has_section:
        return True
    if not (sep and file.endswith(".py")):
        return False
    try:
        tree = ast.parse(Path(file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return False
    return any(_imports_freqtrade(node) for node in ast.walk(tree))


def _imports_freqtrade(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "freqtrade" and node.level == 0
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "freqtrade" for alias in node.names)
    return False


__all__ = ["names_freqtrade_strategy"]
