"""Descriptors a forked child must not share with its parent.

A child made by ``os.fork`` shares its parent's open file descriptions. A flock belongs
to one: a child that kept its parent's would not be excluded by the parent, and the
flock of a parent killed while holding it would stay held for as long as the child
lives (every other writer waits). A thread lock that another of the parent's threads
held at the fork is never released in the child either (that thread does not exist
there). Objects that hold such descriptors register here; in every forked child their
``forget_parent`` runs before anything else. genesis starts its own workers with
``spawn``; this is for library callers that fork.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from typing import Any, Protocol


class ForgetsParent(Protocol):
    def forget_parent(self) -> None:
        """Close what was inherited from the parent (never the parent's locks)."""


_REGISTERED: weakref.WeakSet[ForgetsParent] = weakref.WeakSet()


def forget_in_forked_children(holder: ForgetsParent) -> None:
    """Have ``holder.forget_parent()`` run in every child forked from now on."""
    _REGISTERED.add(holder)


def _after_fork_in_child() -> None:
    for holder in list(_REGISTERED):
        holder.forget_parent()


os.register_at_fork(after_in_child=_after_fork_in_child)


class ProcessFd:
    """A descriptor of ``path`` opened once per process, on first use.

    Opening a file per operation cost a directory lock each time (``O_CREAT``); this keeps
    one open. A forked child closes the one it inherited and opens its own, and a pickled
    copy opens its own too.
    """

    def __init__(self, path: str, flags: int) -> None:
        self.path = path
        self._flags = flags
        self._fd: int | None = None
        self._pid = 0
        forget_in_forked_children(self)

    def get(self) -> int:
        """This process's descriptor, opened now if it is not yet."""
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, self._flags, 0o644)
            self._pid = os.getpid()
        return self._fd

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None

    def forget_parent(self) -> None:
        """In a forked child: close the parent's descriptor (a flock on it is the parent's)."""
        if self._fd is not None and self._pid != os.getpid():
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None:
            self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "_flags": self._flags}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], state["_flags"])  # type: ignore[misc]


__all__ = ["ForgetsParent", "ProcessFd", "forget_in_forked_children"]
