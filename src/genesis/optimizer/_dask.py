"""The one module that imports Dask distributed, an optional extra (``genesis[cluster]``).

It connects the coordinator (:mod:`genesis.optimizer.coordinator`) to a Dask cluster:
a scheduler's address (``tcp://host:8786``, workers started with ``dask worker``), or
``local:N`` for a ``LocalCluster`` of N worker processes on this machine. The rest of
genesis sees futures only through :class:`Cluster`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from genesis.errors import ConfigError

_CONNECT_TIMEOUT_S = 30
LOCAL_PREFIX = "local:"


def require_distributed() -> ModuleType:
    """``distributed``, or a ConfigError that names the extra to install."""
    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise ConfigError(
            "--cluster needs Dask distributed, which is not installed",
            hint="pip install 'genesis[cluster]'",
        ) from None


def local_workers(url: str) -> int | None:
    """N of ``local:N``; ``None`` for a scheduler's address.

    Raises:
        ConfigError: ``local:`` without a positive number.
    """
    if not url.startswith(LOCAL_PREFIX):
        return None
    text = url[len(LOCAL_PREFIX) :]
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(
            f"optimizer.cluster {url!r}: local:N needs a number of worker processes N >= 1",
            hint="e.g. --cluster local:4, or a scheduler address tcp://host:8786",
        )
    return int(text)


class Cluster:
    """A connection to a Dask cluster: submit tasks, collect them as they finish."""

    def __init__(self, url: str) -> None:
        distributed = require_distributed()
        self.url = url
        self._local: Any = None
        n = local_workers(url)
        try:
            if n is not None:
                self._local = distributed.LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=40,
                )  # fmt: skip
                self._client = distributed.Client(self._local)
            else:
                self._client = distributed.Client(url, timeout=_CONNECT_TIMEOUT_S)
        except OSError as error:  # no scheduler there (Dask raises OSError on a timeout)
            self.close()
            raise ConfigError(
                f"cannot connect to the Dask scheduler at {url}: {error}",
                hint="start one with `dask scheduler` and workers with `dask worker ADDRESS`",
            ) from None
        # Results come with their futures: no round trip per result (7 ms each, measured).
        self._completed = distributed.as_completed(with_results=True, raise_errors=False)

    def capacity(self) -> int:
        """How many tasks the workers can run at once (their threads), at least 1."""
        threads: dict[str, int] = self._client.nthreads()
        return max(1, sum(threads.values()))

    def wait_for_workers(self, n: int, timeout_s: float) -> None:
        """Block until ``n`` workers have joined (a LocalCluster's start up)."""
        self._client.wait_for_workers(n, timeout=timeout_s)

    def submit(self, fn: Callable[..., Any], rows: list[tuple[Any, ...]], keys: list[str]) -> None:
        """Run ``fn(*row)`` for each row on the workers, as tasks ``keys``, in one message;
        :meth:`finished` collects them. Dask runs a task again when its worker dies."""
        if not rows:
            return
        futures = self._client.map(fn, *zip(*rows, strict=True), key=keys, pure=False)
        self._completed.update(futures)

    def finished(self) -> list[tuple[str, Any, str | None]]:
        """Block until at least one task is done; (key, result, error) of each one done by
        now. ``error`` says why a task failed (it raised, or its workers kept dying)."""
        done = []
        for future, result in self._completed.next_batch(block=True):
            error = None
            if future.status == "error":
                error, result = f"{type(result).__name__}: {result}", None
            done.append((future.key, result, error))
            future.release()
        return done

    def close(self) -> None:
        """Disconnect (and stop a local cluster); submitted tasks are cancelled."""
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
        if self._local is not None:
            self._local.close()


__all__ = ["LOCAL_PREFIX", "Cluster", "local_workers", "require_distributed"]
