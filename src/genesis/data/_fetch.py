"""Downloading candles from an exchange into ``DATA_DIR/EXCHANGE/<market id>_<TF>.parquet``.

Owns :func:`fetch_candles`: paginated, rate-limit aware (ccxt's ``enableRateLimit``),
retrying transient failures (see :mod:`genesis.data._exchange`), incremental and
crash-safe:

* incremental: when the file exists, only bars after its last bar are requested, so a
  second run appends new candles and never duplicates one (to extend a file *backwards*
  in time, delete it and fetch again);
* crash-safe: fetched pages are validated and the whole file is rewritten atomically
  (temporary file + rename) every ``flush_every_pages`` pages and once more when the
  download stops for any reason, so an interrupted download keeps what it got;
* only closed bars are stored: a bar still forming (open time + timeframe after now)
  is left for the next fetch, which would otherwise never update it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from genesis.data._candles import Candles, timeframe_ms
from genesis.data._exchange import (
    RetryPolicy,
    call_with_retries,
    check_timeframe,
    create_exchange,
    resolve_market,
)
from genesis.data._io import write_candles
from genesis.data._load import DEFAULT_DATA_DIR, candle_file_path, read_candles_file
from genesis.data._transform import parse_date_ms
from genesis.data._validate import DataReport, format_ts, validate_candles
from genesis.errors import DataError, UsageError

ProgressCallback = Callable[[int, int], None]
"""Called after each page with (bars fetched so far, open time in ms of the last bar)."""


@dataclass(frozen=True)
class FetchResult:
    """What a fetch did.

    Attributes:
        path: The Parquet file holding all candles of this market and timeframe.
        symbol: The exchange's market id (``tBTCUSD``), also the file name stem.
        n_new: Candles added by this fetch.
        n_total: Candles in the file now.
        report: Validation report of the whole file (None if it is still empty).
    """

    path: Path
    symbol: str
    n_new: int
    n_total: int
    report: DataReport | None


@dataclass
class _Download:
    """One download: where it goes, how to page, and the candles fetched so far."""

    client: Any
    market: dict[str, Any]
    timeframe: str
    path: Path
    stored: Candles | None
    policy: RetryPolicy
    page_limit: int
    flush_every_pages: int
    on_progress: ProgressCallback | None
    pending: list[Candles] = field(default_factory=list)
    n_new: int = 0

    def run(self, cursor: int, stop_ms: int) -> None:
        """Fetch pages of bars with open times in ``[cursor, stop_ms)``, flushing as it goes."""
        bar_ms = timeframe_ms(self.timeframe)
        n_pages = 0
        while cursor < stop_ms:
            page = self._page(cursor, stop_ms)
            if page is None:
                break
            self.pending.append(page)
            self.n_new += len(page)
            cursor = int(page.ts_ms[-1]) + bar_ms
            n_pages += 1
            if n_pages % self.flush_every_pages == 0:
                self.flush()
            if self.on_progress is not None:
                self.on_progress(self.n_new, int(page.ts_ms[-1]))

    def _page(self, cursor: int, stop_ms: int) -> Candles | None:
        """The validated bars of one request that fall in ``[cursor, stop_ms)``, if any."""
        market_id = self.market["id"]
        rows = call_with_retries(
            lambda: self.client.fetch_ohlcv(
                self.market["symbol"],
                self.timeframe,
                since=cursor,
                limit=self.page_limit,
                params={"until": stop_ms - 1},
            ),
            self.policy,
            f"fetching {market_id} {self.timeframe} from {format_ts(cursor)}",
        )
        where = f"{self.client.id} {market_id} {self.timeframe} page from {format_ts(cursor)}"
        page = _page_candles(rows, market_id, self.timeframe, where)
        inside = np.flatnonzero((page.ts_ms >= cursor) & (page.ts_ms < stop_ms))
        if inside.size == 0:
            return None
        page = page.slice(int(inside[0]), int(inside[-1]) + 1)
        validate_candles(page, where=where)
        return page

    def flush(self) -> None:
        """Write stored + pending candles atomically (nothing to do without new pages)."""
        if not self.pending:
            return
        parts = ([self.stored] if self.stored is not None else []) + self.pending
        self.stored = _concat(parts)
        self.pending = []
        write_candles(self.stored, self.path)


def _concat(parts: list[Candles]) -> Candles:
    names = ("ts_ms", "open", "high", "low", "close", "volume")
    arrays = [np.concatenate([getattr(part, name) for part in parts]) for name in names]
    first = parts[0]
    return Candles.from_arrays(*arrays, symbol=first.symbol, timeframe=first.timeframe)


def _page_candles(rows: list[list[Any]], market_id: str, timeframe: str, where: str) -> Candles:
    table = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    table = table[np.argsort(table[:, 0], kind="stable")]
    keep = np.diff(table[:, 0], prepend=-np.inf) > 0  # the exchange may repeat a row
    table = table[keep]
    return Candles.from_arrays(
        table[:, 0].astype(np.int64),
        *(table[:, i] for i in range(1, 6)),
        symbol=market_id,
        timeframe=timeframe,
        source=where,
    )


def fetch_candles(
    symbol: str,
    timeframe: str,
    *,
    since: str,
    until: str | None = None,
    exchange: str = "bitfinex",
    data_dir: Path = DEFAULT_DATA_DIR,
    client: Any | None = None,
    on_progress: ProgressCallback | None = None,
    page_limit: int = 10_000,
    flush_every_pages: int = 5,
    retry: RetryPolicy | None = None,
    now_ms: int | None = None,
) -> FetchResult:
    """Download candles into ``data_dir/<exchange>/<market id>_<timeframe>.parquet``.

    Args:
        symbol: Exchange market id (``tBTCUSD``) or unified symbol (``BTC/USD``).
        timeframe: Bar length, one the exchange offers (``"1h"``).
        since: First date to fetch (ISO 8601, inclusive).
        until: Date to stop at (ISO 8601, exclusive); default: now.
        exchange: ccxt exchange id; ignored when ``client`` is given.
        data_dir: Root directory of fetched data.
        client: A ready ccxt client (see :func:`create_exchange`), e.g. pointed at a
            test server; default: a new rate-limited client for ``exchange``.
        on_progress: Called after each page with (bars fetched, last bar's open time ms).
        page_limit: Candles asked for per request (Bitfinex allows up to 10,000).
        flush_every_pages: Rewrite the file after this many pages (and at the end).
        retry: Retry policy for transient failures; default :class:`RetryPolicy`.
        now_ms: The current time (tests); bars not closed by then are not stored.

    Returns:
        A :class:`FetchResult`.

    Raises:
        UsageError: Unknown exchange, symbol or timeframe; bad or reversed dates.
        DataFetchError: The exchange failed beyond retries (pages already fetched are kept).
        DataError: The exchange sent candles that fail validation.
    """
    since_ms, until_ms = _parse_span(since, until)
    policy = retry or RetryPolicy()
    client = client if client is not None else create_exchange(exchange)
    check_timeframe(client, timeframe)
    market = resolve_market(client, symbol, policy)
    path = candle_file_path(data_dir, client.id, market["id"], timeframe)
    stored = _read_stored(path, timeframe) if path.is_file() else None
    bar_ms = timeframe_ms(timeframe)
    now = now_ms if now_ms is not None else client.milliseconds()
    start = since_ms if stored is None else max(since_ms, int(stored.ts_ms[-1]) + bar_ms)
    stop = min(until_ms if until_ms is not None else now, now - bar_ms + 1)
    download = _Download(
        client, market, timeframe, path, stored, policy, page_limit,
        max(1, flush_every_pages), on_progress,
    )  # fmt: skip
    try:
        download.run(start, stop)
    finally:
        download.flush()  # keep every validated page, whatever stopped the download
    final = download.stored
    report = (
        validate_candles(final, where=str(path), expected_timeframe=timeframe) if final else None
    )
    return FetchResult(path, market["id"], download.n_new, len(final) if final else 0, report)


def _parse_span(since: str, until: str | None) -> tuple[int, int | None]:
    try:
        since_ms = parse_date_ms(since)
        until_ms = parse_date_ms(until) if until is not None else None
    except DataError as error:  # a bad date on the command line is a usage problem
        raise UsageError(str(error)) from error
    if until_ms is not None and until_ms <= since_ms:
        raise UsageError(f"--until {until} is not after --since {since}")
    return since_ms, until_ms


def _read_stored(path: Path, timeframe: str) -> Candles:
    stored = read_candles_file(path, timeframe=timeframe)
    validate_candles(stored, where=str(path), expected_timeframe=timeframe)
    return stored
