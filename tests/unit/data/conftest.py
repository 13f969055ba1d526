"""Small candle files for the data tests, written into tmp_path (no shared data)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ._rows import HEADER


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write ``rows`` (with ``header``) to a CSV in tmp_path and return its path."""

    def write(rows: list[str], *, header: str = HEADER, name: str = "candles.csv") -> Path:
        path = tmp_path / name
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        return path

    return write
