"""fetch_candles and ``genesis data fetch`` against a local fake of Bitfinex's v2 API.

The server answers the two ``conf`` requests ccxt's ``bitfinex.load_markets`` makes and
the candle endpoint ``/v2/candles/trade:1h:tBTCUSD/hist`` (rows ``[MTS, OPEN, CLOSE,
HIGH, LOW, VOLUME]``, ``start``/``end``/``limit``/``sort`` like the real one), and can
be told to fail: answer 429 or 503 once, or break for good after N candle pages. The
fetch code under test is the real one; only ``client.urls["api"]`` points here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

import genesis
from genesis.data import (
    Candles,
    RetryPolicy,
    create_exchange,
    fetch_candles,
    read_candles_file,
    synthetic_candles,
)
from genesis.errors import DataFetchError, UsageError

HOUR_MS = 3_600_000
FAST_RETRY = RetryPolicy(max_retries=3, backoff_s=0.001)
FAR_FUTURE_MS = 4_102_444_800_000  # 2100-01-01: every served bar is closed
PAIR_INFO = [None, None, None, "0.00006", "2000.0", None, None, None, None, None, None, None]
CURRENCIES = [["BTC", "USD", "ETH"], *([] for _ in range(10))]


@dataclass
class FakeBitfinex:
    """What the server serves, the failures it should inject and the requests it saw."""

    candles: Candles
    n_served: int
    failures: list[int] = field(default_factory=list)  # statuses for the next candle requests
    break_after_pages: int | None = None
    pages_served: int = 0
    candle_requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def candle_rows(self, query: dict[str, str]) -> list[list[float]]:
        c = self.candles
        ts = c.ts_ms[: self.n_served]
        start, end = int(query.get("start", 0)), int(query.get("end", 2**62))
        chosen = np.flatnonzero((ts >= start) & (ts <= end))[: int(query.get("limit", 100))]
        return [
            [int(ts[i]), c.open[i], c.close[i], c.high[i], c.low[i], c.volume[i]] for i in chosen
        ]


def _handler(fake: FakeBitfinex) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: Any) -> None:
            is_text = isinstance(body, str)
            data = (body if is_text else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if is_text else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path.startswith("/v2/conf/pub:list:currency"):
                self._send(200, CURRENCIES)
            elif url.path.startswith("/v2/conf/pub:info:pair"):
                pairs = [["BTCUSD", PAIR_INFO], ["ETHUSD", PAIR_INFO]]
                self._send(200, [pairs, [], [], ["BTCUSD"]])
            elif url.path == "/v2/candles/trade:1h:tBTCUSD/hist":
                self._candles({k: v[0] for k, v in parse_qs(url.query).items()})
            else:
                self._send(404, ["error", 10020, "unknown path"])

        def _candles(self, query: dict[str, str]) -> None:
            fake.candle_requests.append(query)
            if fake.failures:
                status = fake.failures.pop(0)
                if status == 429:  # what Bitfinex itself answers when rate-limited
                    self._send(429, ["error", 11010, "ratelimit: error"])
                else:  # what a proxy in front of it answers when it is down
                    self._send(status, "<html><h1>Service Temporarily Unavailable</h1></html>")
            elif fake.break_after_pages is not None and fake.pages_served >= fake.break_after_pages:
                self._send(500, ["error", 10020, "server broke"])
            else:
                fake.pages_served += 1
                self._send(200, fake.candle_rows(query))

    return Handler


def _with_gaps(n_bars: int) -> Candles:
    full = synthetic_candles(n_bars=n_bars + 10, seed=3)
    keep = np.ones(len(full), dtype=bool)
    keep[[40, 41, 42, 130, 200, 201, 202, 203, 204, 205]] = False  # exchange-style holes
    c = full
    return Candles.from_arrays(
        c.ts_ms[keep], c.open[keep], c.high[keep], c.low[keep], c.close[keep], c.volume[keep],
        symbol="tBTCUSD", timeframe="1h",
    )  # fmt: skip


@pytest.fixture
def fake() -> Iterator[FakeBitfinex]:
    state = FakeBitfinex(candles=_with_gaps(250), n_served=250)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _fetch(fake: FakeBitfinex, data_dir: Path, **kwargs: Any) -> Any:
    client = create_exchange("bitfinex", api_urls={"public": fake.url}, enable_rate_limit=False)
    symbol = kwargs.pop("symbol", "tBTCUSD")
    options: dict[str, Any] = {
        "since": "2017-01-01", "data_dir": data_dir, "client": client, "page_limit": 100,
        "retry": FAST_RETRY, "now_ms": FAR_FUTURE_MS, **kwargs,
    }  # fmt: skip
    return fetch_candles(symbol, "1h", **options)


def _assert_same_rows(path: Path, expected: Candles) -> None:
    stored = read_candles_file(path)
    for name in ("ts_ms", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(stored, name), getattr(expected, name))


def test_full_fetch_pages_through_and_writes_the_parquet(
    fake: FakeBitfinex, tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    result = _fetch(fake, tmp_path, on_progress=lambda n, ts: seen.append((n, ts)))
    assert result.path == tmp_path / "bitfinex" / "tBTCUSD_1h.parquet"
    assert (result.n_new, result.n_total) == (250, 250)
    _assert_same_rows(result.path, fake.candles)
    assert len(fake.candle_requests) == 4  # 100 + 100 + 50, then an empty page
    assert [n for n, _ in seen] == [100, 200, 250]
    assert seen[-1][1] == int(fake.candles.ts_ms[-1])
    assert result.report.n_gaps == 3 and result.report.n_missing_bars == 10


def test_unified_symbol_maps_to_the_same_file(fake: FakeBitfinex, tmp_path: Path) -> None:
    result = _fetch(fake, tmp_path, symbol="BTC/USD")
    assert result.path.name == "tBTCUSD_1h.parquet"
    assert result.symbol == "tBTCUSD"


def test_second_fetch_appends_only_new_candles(fake: FakeBitfinex, tmp_path: Path) -> None:
    fake.n_served = 150
    first = _fetch(fake, tmp_path)
    assert first.n_total == 150
    fake.n_served = 250  # the exchange has new candles now
    fake.candle_requests.clear()
    second = _fetch(fake, tmp_path)
    assert (second.n_new, second.n_total) == (100, 250)
    assert int(fake.candle_requests[0]["start"]) == int(fake.candles.ts_ms[149]) + HOUR_MS
    _assert_same_rows(second.path, fake.candles)
    third = _fetch(fake, tmp_path)
    assert (third.n_new, third.n_total) == (0, 250)


def test_rate_limit_and_server_errors_are_retried(fake: FakeBitfinex, tmp_path: Path) -> None:
    fake.failures = [429, 503]
    result = _fetch(fake, tmp_path)
    assert result.n_total == 250
    assert len(fake.candle_requests) == 4 + 2
    _assert_same_rows(result.path, fake.candles)


def test_retries_run_out_with_a_clear_error(fake: FakeBitfinex, tmp_path: Path) -> None:
    fake.failures = [503] * 10
    with pytest.raises(DataFetchError, match="after 4 attempts"):
        _fetch(fake, tmp_path)


@pytest.mark.parametrize("flush_every_pages", [1, 5])
def test_interrupted_download_keeps_the_pages_already_fetched(
    fake: FakeBitfinex, tmp_path: Path, flush_every_pages: int
) -> None:
    fake.break_after_pages = 2
    with pytest.raises(DataFetchError, match="server broke"):
        _fetch(fake, tmp_path, flush_every_pages=flush_every_pages)
    path = tmp_path / "bitfinex" / "tBTCUSD_1h.parquet"
    _assert_same_rows(path, fake.candles.slice(0, 200))
    fake.break_after_pages = None
    resumed = _fetch(fake, tmp_path)
    assert (resumed.n_new, resumed.n_total) == (50, 250)


def test_bars_still_forming_are_not_stored(fake: FakeBitfinex, tmp_path: Path) -> None:
    now = int(fake.candles.ts_ms[-1]) + HOUR_MS // 2  # the last bar closes in 30 minutes
    result = _fetch(fake, tmp_path, now_ms=now)
    assert result.n_total == 249


def test_until_is_exclusive(fake: FakeBitfinex, tmp_path: Path) -> None:
    result = _fetch(fake, tmp_path, until="2017-01-02")
    assert result.n_total == 24


def test_unknown_symbol_and_timeframe(fake: FakeBitfinex, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"unknown symbol 'tBTCUDS'.*did you mean tBTCUSD"):
        _fetch(fake, tmp_path, symbol="tBTCUDS")
    with pytest.raises(UsageError, match="bitfinex does not support timeframe '2h'"):
        fetch_candles("tBTCUSD", "2h", since="2019-01-01", client=create_exchange("bitfinex"))


def _genesis(*args: str) -> subprocess.CompletedProcess[str]:
    source_root = str(Path(genesis.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": source_root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, "-m", "genesis", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--exchange", "bitfinexx"], "unknown exchange 'bitfinexx' (did you mean bitfinex"),
        (["--until", "2018-01-01"], "--until 2018-01-01 is not after --since 2019-01-01"),
        (["--since", "2019-13-45"], "cannot parse date '2019-13-45'"),
    ],
)
def test_cli_bad_inputs_exit_2_with_a_clear_message(
    tmp_path: Path, args: list[str], message: str
) -> None:
    base = ["data", "fetch", "tBTCUSD", "1h", "--since", "2019-01-01", "--data-dir", str(tmp_path)]
    done = _genesis(*base, *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr


def test_cli_unknown_symbol_and_timeframe_exit_2(fake: FakeBitfinex, tmp_path: Path) -> None:
    common = ["--since", "2019-01-01", "--data-dir", str(tmp_path), "--api-url", fake.url]
    done = _genesis("data", "fetch", "tBTCUDS", "1h", *common)
    assert done.returncode == 2, done.stderr
    assert "unknown symbol 'tBTCUDS' on bitfinex (did you mean tBTCUSD" in done.stderr
    done = _genesis("data", "fetch", "tBTCUSD", "2h", *common)
    assert done.returncode == 2, done.stderr
    assert "does not support timeframe '2h' (use one of 1m, 5m" in done.stderr


def test_cli_fetch_writes_the_file(fake: FakeBitfinex, tmp_path: Path) -> None:
    done = _genesis(
        "data", "fetch", "BTC/USD", "1h", "--since", "2017-01-01", "--until", "2017-01-05",
        "--data-dir", str(tmp_path), "--api-url", fake.url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "93 new candles, 93 in total" in done.stdout  # 96 hours less a 3-hour hole
    assert (tmp_path / "bitfinex" / "tBTCUSD_1h.parquet").is_file()


def _refused_url() -> str:
    """A local port that was free a moment ago: connecting to it is refused."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_cli_offline_fetch_says_the_network_is_unreachable(tmp_path: Path) -> None:
    done = _genesis(
        "data", "fetch", "tBTCUSD", "1h", "--since", "2019-01-01", "--data-dir", str(tmp_path),
        "--api-url", _refused_url(),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "the network is unreachable (the connection was refused)" in done.stderr
    assert "Traceback" not in done.stderr and not any(tmp_path.iterdir())


def test_an_unreachable_network_gives_up_after_one_second_a_flaky_one_retries(
    tmp_path: Path,
) -> None:
    import ccxt

    from genesis.data._exchange import call_with_retries

    waits: list[float] = []
    policy = RetryPolicy(sleep=waits.append)  # the default policy, sleeps recorded
    client = create_exchange("bitfinex", api_urls={"public": _refused_url()})
    with pytest.raises(DataFetchError, match="the network is unreachable"):
        fetch_candles("tBTCUSD", "1h", since="2019-01-01", data_dir=tmp_path, client=client,
                      retry=policy)  # fmt: skip
    assert waits == [1.0]  # one retry; the old policy waited 1 + 2 + … + 32 = 63 s
    waits.clear()

    def flaky() -> None:
        raise ccxt.RequestTimeout("timed out")

    with pytest.raises(DataFetchError, match="failed after 7 attempts"):
        call_with_retries(flaky, policy, "loading markets")
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
