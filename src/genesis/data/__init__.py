"""Candles for genesis: load, synthesize, fetch, validate, window, resample, fingerprint.

The data layer is the bottom of the pipeline: it imports only :mod:`genesis.errors`
from genesis, never prints (long operations take an ``on_progress`` callback), keeps
pandas and pyarrow in ``_io`` and imports ccxt only inside the fetch functions.
Everything a caller may rely on is listed in ``__all__``.
"""

from __future__ import annotations

from genesis.data._candles import Candles, timeframe_ms
from genesis.data._exchange import RetryPolicy, create_exchange
from genesis.data._fetch import FetchResult, fetch_candles
from genesis.data._fingerprint import fingerprint
from genesis.data._io import write_candles
from genesis.data._load import (
    Inspection,
    candle_file_path,
    inspect_candles_file,
    load_candles,
    read_candles_file,
)
from genesis.data._suspects import RANGE_RATIO as SUSPECT_RANGE_RATIO
from genesis.data._suspects import SuspectTick, find_suspect_ticks
from genesis.data._synth import synthetic_candles
from genesis.data._transform import parse_date_ms, resample, window
from genesis.data._validate import (
    DataReport,
    Gap,
    Problem,
    collect_problems,
    detect_timeframe,
    format_ts,
    validate_candles,
)

__all__ = [
    "SUSPECT_RANGE_RATIO",
    "Candles",
    "DataReport",
    "FetchResult",
    "Gap",
    "Inspection",
    "Problem",
    "RetryPolicy",
    "SuspectTick",
    "candle_file_path",
    "collect_problems",
    "create_exchange",
    "detect_timeframe",
    "fetch_candles",
    "find_suspect_ticks",
    "fingerprint",
    "format_ts",
    "inspect_candles_file",
    "load_candles",
    "parse_date_ms",
    "read_candles_file",
    "resample",
    "synthetic_candles",
    "timeframe_ms",
    "validate_candles",
    "window",
    "write_candles",
]
