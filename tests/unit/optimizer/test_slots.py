"""The slot lock excludes a forked child from its parent (a flock is per open file)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from genesis.storage.slots import FileSlotLock


def test_a_forked_child_waits_for_the_slot_lock_its_parent_holds(tmp_path: Path) -> None:
    lock = FileSlotLock(tmp_path / "_slots.lock")
    with lock():  # the descriptor is open before the fork
        pass
    read, write = os.pipe()
    with lock():
        pid = os.fork()
        if pid == 0:  # never returns into pytest
            try:
                started = time.monotonic()
                with lock():
                    os.write(write, f"{time.monotonic() - started:.3f}".encode())
            finally:
                os._exit(0)
        time.sleep(0.5)
    waited = float(os.read(read, 64))
    os.waitpid(pid, 0)
    lock.close()
    assert waited >= 0.4, f"the child took the parent's slot lock after {waited:.3f}s"
