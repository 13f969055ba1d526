"""Who runs a trial or holds a claim, and whether that process is still alive.

An owner is (host, pid, process start time). A pid alone is not enough: the kernel reuses
pids, and a reused one would make a dead worker look alive forever. The start time comes
from ``/proc/<pid>/stat`` where there is one (Linux); elsewhere only the pid is checked.
Liveness can only be judged on the owner's own host: a process on another machine is
always presumed alive (OPTUNA5.md: sweep by owner liveness, never by age alone).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; fields after it follow its ')'.
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[19])  # field 22 of the whole line: starttime


@dataclass(frozen=True)
class Owner:
    """A process that may be running a trial or computing a key."""

    host: str
    pid: int
    start_ticks: int | None = None

    @classmethod
    def current(cls) -> Owner:
        """This process."""
        pid = os.getpid()
        return cls(socket.gethostname(), pid, _start_ticks(pid))

    @classmethod
    def from_attr(cls, value: Any) -> Owner | None:
        """The owner stored in a trial's ``worker`` user attribute (None if absent or odd)."""
        if not isinstance(value, dict) or "host" not in value or "pid" not in value:
            return None
        start = value.get("start_ticks")
        return cls(str(value["host"]), int(value["pid"]), int(start) if start is not None else None)

    def as_attr(self) -> dict[str, Any]:
        """The JSON form kept in a trial's user attributes."""
        return {"host": self.host, "pid": self.pid, "start_ticks": self.start_ticks}

    def alive(self) -> bool:
        """False only when the owner is surely dead: on this host, and its process gone."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        if self.start_ticks is None:
            return True
        return _start_ticks(self.pid) == self.start_ticks
