"""Talking to an exchange through ccxt: set-up, name checks and retries.

Owns the ccxt boundary of the data layer. ccxt is imported inside the functions (it
takes most of a second to import), and every ccxt error is translated here:
bad names the user typed become :class:`~genesis.errors.UsageError` with close
matches, transient failures (``NetworkError`` and its subclasses ``RateLimitExceeded``,
``DDoSProtection``, ``ExchangeNotAvailable``, ``RequestTimeout``) are retried with
exponential backoff, anything else becomes :class:`~genesis.errors.DataFetchError`.
A network that is not there at all (the host name does not resolve, the connection is
refused, no route) is told apart from a flaky one: it is retried once, not for a minute,
and the error says the network is unreachable.
"""

from __future__ import annotations

import difflib
import errno
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from genesis.data._candles import TIMEFRAME_MS
from genesis.errors import DataFetchError, UsageError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry transient exchange failures.

    Attempt ``k`` (0-based) that fails transiently waits ``backoff_s * 2**k`` seconds
    before the next one; after ``max_retries`` retries the failure is final. When the
    network is unreachable, only ``unreachable_retries`` retries are made.
    """

    max_retries: int = 6
    backoff_s: float = 1.0
    unreachable_retries: int = 1
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


def _did_you_mean(name: str, choices: list[str]) -> str | None:
    by_upper = {choice.upper(): choice for choice in choices}
    close = difflib.get_close_matches(name.upper(), list(by_upper), n=3, cutoff=0.6)
    return f"did you mean {', '.join(by_upper[c] for c in close)}?" if close else None


def create_exchange(
    exchange_id: str,
    *,
    api_urls: Mapping[str, str] | None = None,
    enable_rate_limit: bool = True,
    timeout_ms: int = 30_000,
) -> Any:
    """Build a ccxt exchange client for public market data.

    Args:
        exchange_id: A ccxt exchange id (``"bitfinex"``).
        api_urls: Replacements for entries of ``client.urls["api"]`` (tests point them
            at a local server).
        enable_rate_limit: Let ccxt space out requests to respect the exchange's limits.
        timeout_ms: Per-request timeout.

    Returns:
        The ccxt client.

    Raises:
        UsageError: If ccxt has no such exchange (with close matches).
    """
    import ccxt

    if exchange_id not in ccxt.exchanges:
        raise UsageError(
            f"unknown exchange {exchange_id!r}",
            hint=_did_you_mean(exchange_id, list(ccxt.exchanges)) or "see ccxt.exchanges",
        )
    client = getattr(ccxt, exchange_id)(
        {"enableRateLimit": enable_rate_limit, "timeout": timeout_ms}
    )
    if api_urls:
        current = client.urls["api"]
        client.urls["api"] = {**current, **api_urls} if isinstance(current, dict) else api_urls
    return client


_UNREACHABLE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN}


def unreachable_reason(error: BaseException) -> str | None:
    """Why the network is unreachable, if that is what ``error`` comes from, else None.

    ccxt wraps requests, which wraps urllib3, which wraps the socket error; the chain is
    followed through ``__cause__``, ``__context__`` and urllib3's ``reason``.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return "the exchange's host name does not resolve"
        if isinstance(current, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(current, OSError) and current.errno in _UNREACHABLE_ERRNOS:
            return "there is no route to the exchange"
        reason = getattr(current, "reason", None)
        wrapped = current.args[0] if current.args else None
        current = (
            current.__cause__
            or current.__context__
            or (reason if isinstance(reason, BaseException) else None)
            or (wrapped if isinstance(wrapped, BaseException) else None)
        )
    return None


def call_with_retries(call: Callable[[], T], policy: RetryPolicy, what: str) -> T:
    """Run ``call``; retry transient ccxt failures with exponential backoff.

    Raises:
        DataFetchError: On a non-transient ccxt error, or when retries run out.
    """
    import ccxt

    for attempt in range(policy.max_retries + 1):
        try:
            return call()
        except ccxt.NetworkError as error:
            unreachable = unreachable_reason(error)
            if unreachable is not None and attempt >= policy.unreachable_retries:
                raise DataFetchError(
                    f"{what} failed: the network is unreachable ({unreachable})",
                    hint="check the internet connection (or proxy); nothing was written",
                ) from error
            if attempt == policy.max_retries:
                raise DataFetchError(
                    f"{what} failed after {attempt + 1} attempts: {error}",
                    hint="the exchange is unreachable or rate-limiting us; try again later",
                ) from error
            policy.sleep(policy.backoff_s * 2**attempt)
        except ccxt.BaseError as error:
            raise DataFetchError(f"{what} failed: {error}") from error
    raise AssertionError("unreachable: the loop returns or raises")


def check_timeframe(client: Any, timeframe: str) -> None:
    """Refuse a timeframe the exchange does not offer or genesis cannot use.

    Raises:
        UsageError: With the timeframes that would work.
    """
    offered = list(getattr(client, "timeframes", None) or {})
    usable = [tf for tf in offered if tf in TIMEFRAME_MS]
    if timeframe not in usable:
        where = "genesis" if timeframe in offered else client.id
        raise UsageError(
            f"{where} does not support timeframe {timeframe!r}",
            hint=f"use one of {', '.join(usable)}",
        )


def resolve_market(client: Any, symbol: str, policy: RetryPolicy) -> dict[str, Any]:
    """Find the market for ``symbol``: an exchange id (``tBTCUSD``) or unified (``BTC/USD``).

    Exact matches on the market id or unified symbol win; otherwise a unique
    case-insensitive match is accepted.

    Raises:
        UsageError: If no market matches (with close matches).
        DataFetchError: If the markets cannot be loaded.
    """
    markets: dict[str, dict[str, Any]] = call_with_retries(
        client.load_markets, policy, f"loading {client.id} markets"
    )
    for market in markets.values():
        if symbol in (market["id"], market["symbol"]):
            return market
    folded = [
        m for m in markets.values() if symbol.upper() in (m["id"].upper(), m["symbol"].upper())
    ]
    if len(folded) == 1:
        return folded[0]
    names = [m["id"] for m in markets.values()] + list(markets)
    raise UsageError(
        f"unknown symbol {symbol!r} on {client.id}",
        hint=_did_you_mean(symbol, names) or f"{client.id} has {len(markets)} markets",
    )
