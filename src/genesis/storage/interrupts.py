"""A Ctrl-C in disguise is still a Ctrl-C: recognised in any error chain, never swallowed.

A SIGINT that lands while numba runs does not always surface as a KeyboardInterrupt:

- inside a compiled kernel it surfaces as ``SystemError: CPUDispatcher(…) returned a result
  with an exception set``, the interrupt buried under one ``SystemError`` per frame numba
  was unpickling an exception in (11 deep in a 300-interrupt stress), then under the
  strategy's and the trial's own wrappers. :func:`caused_by_interrupt` searches the whole
  chain, causes and contexts alike, so that such a trial is recorded as interrupted, never
  as a strategy failure;
- inside a ctypes callback (llvmlite's object cache, while a kernel is loaded or
  compiled) the interrupt cannot propagate: Python prints "Exception ignored on calling
  ctypes callback function" with a traceback and drops it. :func:`keep_interrupts`
  installs an unraisable hook that prints nothing for it and remembers it; the trial loop
  asks :func:`dropped_interrupt` after each trial and stops as on any Ctrl-C, and an error
  that follows it (numba's "no compiled object yet", its object never stored) is taken
  for the interrupt it is, by the trial boundary, a worker and the CLI. (Raising it again
  from the hook is not possible: the hook runs inside the callback, where Python would
  drop it once more.)
"""

from __future__ import annotations

import sys
from typing import Any

_CHAIN_LIMIT = 10_000
"""Exceptions looked at in one chain at most (chains are finite; this bounds a pathology)."""


def caused_by_interrupt(error: BaseException) -> bool:
    """Whether a KeyboardInterrupt is anywhere among ``error``'s causes and contexts."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending and len(seen) < _CHAIN_LIMIT:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, KeyboardInterrupt):
            return True
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


def keep_interrupts() -> None:
    """Keep an interrupt a C callback drops, without its traceback, for :func:`dropped_interrupt`.

    Idempotent. Other unraisable exceptions go to the hook that was there before.
    """
    if not isinstance(sys.unraisablehook, _InterruptKeeper):
        sys.unraisablehook = _InterruptKeeper(sys.unraisablehook)


def dropped_interrupt(*, forget: bool = True) -> bool:
    """Whether a C callback dropped a KeyboardInterrupt (since it was last forgotten)."""
    hook = sys.unraisablehook
    if not isinstance(hook, _InterruptKeeper) or not hook.dropped:
        return False
    if forget:
        hook.dropped = False
    return True


def is_interrupt(error: BaseException) -> bool:
    """Whether ``error`` is a Ctrl-C in disguise: one in its chain, or one a callback dropped
    just before (what failed after it is its consequence, not a bug or the strategy's)."""
    return caused_by_interrupt(error) or dropped_interrupt(forget=False)


class _InterruptKeeper:
    """``sys.unraisablehook`` that keeps a dropped KeyboardInterrupt quiet and remembered."""

    def __init__(self, previous: Any) -> None:
        self.previous = previous
        self.dropped = False

    def __call__(self, unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            self.dropped = True
            return
        self.previous(unraisable)


__all__ = ["caused_by_interrupt", "dropped_interrupt", "is_interrupt", "keep_interrupts"]
