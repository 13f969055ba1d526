"""The run directory's writers: atomic, and files others can read (0644 under umask 022)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from genesis.artifacts import write_json, write_text_atomic


def test_written_files_are_0644_and_no_temp_file_is_left(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_json(tmp_path / "a.json", {"x": 1})
        write_json(tmp_path / "b.json", {"x": 1}, compact=True)
        write_text_atomic(tmp_path / "c.html", "<html></html>")
        write_text_atomic(tmp_path / "c.html", "<html>again</html>")
    finally:
        os.umask(previous)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json", "c.html"]
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name
    assert (tmp_path / "c.html").read_text() == "<html>again</html>"
