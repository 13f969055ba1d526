"""An exception raised in a strategy, told as the user's own: their file, line and frames.

A bug in a user's ``signals()`` (``params["perod"]``) surfaces as a StrategyError; without
this, the message names the strategy and the exception but not where it happened, and a
traceback would start deep in genesis. Only the user's frames are kept: genesis, the
standard library and installed packages (numpy …) are what the user did not write.
"""

from __future__ import annotations

import sysconfig
import traceback
from pathlib import Path

from genesis.errors import GenesisError, StrategyError

_GENESIS = Path(__file__).resolve().parents[1]
_BUILTIN = _GENESIS / "strategy" / "builtin"


def _not_user_code() -> tuple[Path, ...]:
    roots = {_GENESIS}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(Path(path).resolve())
    return tuple(roots)


def _is_under(filename: str, roots: tuple[Path, ...]) -> bool:
    if filename.startswith("<"):  # <frozen ...>, <string>: nothing the user can open
        return True
    path = Path(filename).resolve()
    return any(path.is_relative_to(root) for root in roots)


def user_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """The frames of ``error``'s traceback in code the user wrote (outermost first).

    A built-in strategy's own frames count as the "user's" when no other frame does, so a
    bug in a built-in is still located.
    """
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if not _is_under(f.filename, _not_user_code())]
    if own:
        return own
    return [f for f in frames if Path(f.filename).resolve().is_relative_to(_BUILTIN)]


def strategy_raised(name: str, error: Exception) -> GenesisError:
    """The error to raise for ``error``, raised by strategy ``name``'s ``signals()``.

    A GenesisError (say an unknown indicator) keeps its text and gains the user's line as
    its ``where`` when it has none; any other exception becomes a StrategyError whose
    ``where`` is the innermost user frame and whose message ends with the user's frames,
    formatted like a Python traceback.
    """
    frames = user_frames(error)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None
    if isinstance(error, GenesisError):
        if error.where is None and where is not None:
            error.where = where
            error.args = (str(error),)
        return error
    message = f"strategy {name!r} raised {type(error).__name__}: {error}"
    if frames:
        message += "\n" + "".join(traceback.format_list(frames)).rstrip()
    return StrategyError(message, where=where)
