"""The live display of ``genesis optimize``: a status line, a line per event, JSON events.

:class:`RunState` counts what the trials did (done / budget, real backtests, cache hits,
best feasible score, trials/s, ETA) and is pure, so that it is tested without a terminal.
:class:`LiveDisplay` shows it in one of three ways:

- on a terminal, one refreshing status line under the printed lines (rich);
- off a terminal (a log file, CI), a plain ``[progress] …`` line every few seconds;
- with ``-q``, nothing but warnings and the summary.

In every mode a new best and a failed trial get a line of their own, and with ``--json``
every event is also one JSON object on stdout (``stage``, ``trial``, ``best``,
``failure``, ``summary``, ``interrupted``), for machines.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.text import Text

if TYPE_CHECKING:
    from genesis.optimizer import TrialOutcome

PLAIN_INTERVAL_S = 5.0
"""How often the plain (non-terminal) display prints its progress line."""
_HEARTBEAT_S = 30.0
"""Without new trials (a slow backtest, the report), a progress line this often."""


_LONGEST_S = 100 * 86_400
"""Durations at or above this (100 days) are shown as a bound, not counted to the second."""


def _fmt_duration(seconds: float) -> str:
    """``0:01:05``, ``3 days, 2:00:00``; ``> 100 days`` and ``–`` (not finite) never raise."""
    if not math.isfinite(seconds):
        return "–"
    if seconds >= _LONGEST_S:
        return f"> {_LONGEST_S // 86_400} days"
    return str(timedelta(seconds=round(max(seconds, 0.0))))


@dataclass
class RunState:
    """What the display knows about the run, updated by each trial's outcome.

    ``done`` counts the study's trials (trial numbers), so it is right on ``--resume`` and
    with ``--workers``; the backtest and hit counts are this process's own.
    """

    total: int | None
    """The budget: trials (or unique backtests with ``unit="backtests"``); None: open."""
    directions: tuple[str, ...]
    """Each objective's direction, for the best rule (``genesis.artifacts.RunningBest``)."""
    objective: str
    unit: str = "trials"
    timeout_s: float | None = None
    local_only: bool = False
    """Other worker processes share the study: the best and the counts are this one's."""
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    backtests: int = 0
    cache_hits: int = 0
    memory_hits: int = 0
    failed: int = 0
    unique: set[str] = field(default_factory=set)
    _best: Any = None
    _first: tuple[float, int] | None = None
    _last: float = 0.0
    _seen_errors: dict[str, int] = field(default_factory=dict)

    def observe(self, outcome: TrialOutcome, now: float) -> list[dict[str, Any]]:
        """Count ``outcome``; return its events (``trial`` or ``failure``, maybe ``best``)."""
        self.done = max(self.done, outcome.number + 1)
        self._last = now
        if self._first is None:
            self._first = (now, self.done)
        if outcome.values is None:
            self.failed += 1
            first = self._seen_errors.setdefault(outcome.error or "", outcome.number)
            return [_event("failure", outcome, same_as=None if first == outcome.number else first)]
        source = outcome.source.value if outcome.source is not None else None
        self.backtests += source == "computed"
        self.cache_hits += source == "cache"
        self.memory_hits += source == "memory"
        if outcome.key is not None:
            self.unique.add(outcome.key)
        events = [_event("trial", outcome)]
        previous = self.best
        if self._running_best().offer(outcome):
            events.append(_event("best", outcome, previous=previous.number if previous else None))
        return events

    def _running_best(self) -> Any:
        if self._best is None:
            from genesis.artifacts import RunningBest  # after the first trial: not at start

            self._best = RunningBest(self.directions)
        return self._best

    @property
    def best(self) -> TrialOutcome | None:
        """The best trial so far by the summary's rule (feasible first), or None."""
        current: TrialOutcome | None = self._running_best().current
        return current

    def restart(self) -> None:
        """A new search in the same run (a walk-forward fold): count from zero again."""
        self.done = self.backtests = self.cache_hits = self.memory_hits = self.failed = 0
        self.unique.clear()
        self._best, self._first = None, None
        self._seen_errors.clear()
        self.started = time.monotonic()

    @property
    def progress(self) -> int:
        """Where the run is against its budget (trials, or unique backtests)."""
        return len(self.unique) if self.unit == "backtests" else self.done

    def rate(self, now: float) -> float | None:
        """Trials per second between this session's first and latest trial (None before two).

        Up to the latest trial, not up to ``now``: after the last trial (validation, the
        report) the rate stays what it was instead of decaying.
        """
        if self._first is None or self._last <= self._first[0] or self.done == self._first[1]:
            return None
        return (self.done - self._first[1]) / (self._last - self._first[0])

    def eta_s(self, now: float) -> float | None:
        """Seconds left at the current rate, or to the timeout if that comes first."""
        left: list[float] = []
        rate = self.rate(now)
        if self.total is not None and rate and self.unit == "trials":
            # capped: int / float overflows past float's range, and 2**53 trials is "> 100 days"
            left.append(min(max(self.total - self.done, 0), 2**53) / rate)
        if self.timeout_s is not None:
            left.append(max(self.timeout_s - (now - self.started), 0.0))
        return min(left) if left else None

    def best_text(self) -> str:
        if self.best is None or self.best.values is None:
            return "best –"
        infeasible = "" if self.best.feasible else " (infeasible)"
        return f"best {self.best.values[0]:.4g} #{self.best.number}{infeasible}"

    def status(self, now: float) -> str:
        """``107/300 trials · ETA 0:00:09 · best 0.85 #93 · 62 backtests · 45 cache hits · …``.

        The most wanted first: a narrow terminal cuts the end of the line.
        """
        budget = f"{self.progress}/{self.total}" if self.total is not None else f"{self.progress}"
        eta = self.eta_s(now)
        here = " in this process" if self.local_only else ""
        parts = [
            f"{budget} {self.unit}",
            f"ETA {_fmt_duration(eta)}" if eta is not None else "ETA –",
            self.best_text() + (" (this process)" if self.local_only else ""),
            f"{self.backtests} backtests{here}",
            f"{self.cache_hits + self.memory_hits} cache hits{here}",
        ]
        rate = self.rate(now)
        if rate is not None:
            parts.append(f"{rate:.1f} trials/s")
        if self.failed:
            parts.append(f"{self.failed} failed")
        return " · ".join(parts)


def _event(kind: str, outcome: TrialOutcome, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event": kind,
        "trial": outcome.number,
        "values": list(outcome.values) if outcome.values is not None else None,
        "source": outcome.source.value if outcome.source is not None else None,
        "feasible": outcome.feasible,
        "key": outcome.key,
        "params": outcome.params,
    }
    if outcome.error is not None:
        event["error"] = outcome.error
    if outcome.metrics is not None and kind != "trial":
        event["metrics"] = outcome.metrics
    event.update({k: v for k, v in extra.items() if v is not None})
    return event


class _StatusColumn(ProgressColumn):
    """The status text, formatted when rich redraws (not on every trial)."""

    def __init__(self, state: RunState) -> None:
        super().__init__()
        self._state = state

    def render(self, task: Task) -> Text:
        if task.total is None:  # still starting: the stage text is the description
            return Text(_fmt_duration(time.monotonic() - self._state.started), style="dim")
        return Text(self._state.status(time.monotonic()), no_wrap=True, overflow="ellipsis")


class LiveDisplay:
    """Shows a :class:`RunState` on ``console`` (stderr); JSON events go to ``json_out``.

    Args:
        mode: ``"bar"`` (a terminal), ``"plain"`` (a progress line every
            ``interval_s``) or ``"off"`` (``-q``).
        json_out: Where to write one JSON object per event (stdout with ``--json``).
    """

    def __init__(
        self,
        console: Console,
        state: RunState,
        *,
        mode: str,
        json_out: TextIO | None = None,
        interval_s: float = PLAIN_INTERVAL_S,
    ) -> None:
        self.console = console
        self.state = state
        self.mode = mode
        self.study: str | None = None
        """The run's study name, once the runner has opened its run directory."""
        self._search: str | None = None
        self._json = json_out
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress: Progress | None = None
        self._task: Any = None

    def start(self, text: str = "starting") -> None:
        """Show that the run is starting (before the slow imports and the data load)."""
        if self.mode == "bar":
            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"),
                BarColumn(bar_width=24 if self.console.width >= 140 else 10),
                _StatusColumn(self.state), console=self.console, transient=True,
            )  # fmt: skip
            self._task = self._progress.add_task(text, total=None)
            self._progress.start()
        elif self.mode == "plain":
            self._thread = threading.Thread(target=self._tick, name="genesis-progress", daemon=True)
            self._thread.start()
        self.stage(text)

    @property
    def prints_stages(self) -> bool:
        """Whether start-up stages need a line of their own (no status line shows them)."""
        return self.mode == "plain"

    def stage(self, text: str, *, study: str | None = None) -> None:
        """Start-up work (loading candles, compiling): the status line says what it is."""
        if study is not None:
            if self.study is None:
                self.study = study  # the run's; a walk-forward's folds are searches inside it
            elif study != self._search and self.state.done:
                self.state.restart()  # a new fold: its own trial numbers and data
            self._search = study
        if self._progress is not None:  # the next trial's outcome sets it back
            self._progress.update(self._task, description=text)
        self._emit({"event": "stage", "text": text})

    def outcome(self, outcome: TrialOutcome) -> None:
        """``on_outcome`` of the runner: count, print new bests and failures, emit JSON."""
        with self._lock:
            events = self.state.observe(outcome, time.monotonic())
        if self._progress is not None:
            self._progress.update(
                self._task, description="", total=self.state.total or 0,
                completed=min(self.state.progress, self.state.total or self.state.progress),
            )  # fmt: skip
        for event in events:
            self._emit(event)
            if event["event"] != "trial" and self.mode != "off":
                self._print(
                    self._line(event), style="yellow" if event["event"] == "failure" else None
                )

    def _line(self, event: Mapping[str, Any]) -> str:
        number = event["trial"]
        if event["event"] == "failure":
            if "same_as" in event:  # a long error once, then a pointer to it
                return f"trial #{number} failed: the same error as trial #{event['same_as']}"
            return f"trial #{number} failed: {event.get('error')}"
        values = "/".join(f"{v:.4f}" for v in event["values"])
        metrics = event.get("metrics") or {}
        shown = [
            f"{label}={metrics[name]:.2f}{unit}" if isinstance(metrics.get(name), float) else
            f"{label}={metrics[name]}"
            for name, label, unit in _BEST_METRICS if metrics.get(name) is not None
        ]  # fmt: skip
        infeasible = "" if event.get("feasible") else " (infeasible)"
        params = ", ".join(f"{k}={v}" for k, v in (event.get("params") or {}).items())
        return (
            f"new best #{number}: {self.state.objective}={values}{infeasible}"
            f"{'  ' + ' '.join(shown) if shown else ''}  {params}"
        )

    def summary(self, payload: Mapping[str, Any]) -> None:
        """The ``summary`` (or ``interrupted``) JSON event."""
        self._emit(dict(payload))

    def close(self) -> None:
        """Stop refreshing; the status line disappears (the summary follows)."""
        self._stop.set()
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def _tick(self) -> None:
        """A progress line when trials were done since the last one, at least every 30 s."""
        shown, at = 0, time.monotonic()
        while not self._stop.wait(self._interval_s):
            now = time.monotonic()
            if self.state.done and (self.state.done != shown or now - at >= _HEARTBEAT_S):
                self._print(f"[progress] {self.state.status(now)}")
                shown, at = self.state.done, now

    def _print(self, text: str, style: str | None = None) -> None:
        self.console.print(text, style=style, soft_wrap=True, markup=False, highlight=False)

    def _emit(self, event: Mapping[str, Any]) -> None:
        if self._json is None:
            return
        with self._lock:
            self._json.write(json.dumps(event, default=str) + "\n")
            self._json.flush()


_BEST_METRICS = (
    ("n_trades", "trades", ""),
    ("total_return_pct", "return", "%"),
    ("max_drawdown_pct", "max_dd", "%"),
)
