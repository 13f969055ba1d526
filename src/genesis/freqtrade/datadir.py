"""A Freqtrade data directory, read as ``freqtrade download-data`` writes it.

Owns :func:`load_dataset` and :func:`find_candle_file`. Files are
``<datadir>/<BASE>_<QUOTE>-<timeframe>.<ext>`` in any of Freqtrade's formats (feather,
parquet, json, json.gz); the config's ``dataformat_ohlcv`` is looked for first. Reading,
gap filling, ``--timerange`` with the strategy's startup candles and the start-date
adjustment are Freqtrade's own functions (``load_pair_history``, ``TimeRange``), so the
candles are the ones ``freqtrade backtesting`` would use. Unlike Freqtrade, a pair
without data is an error naming the pair, the timeframe and every path looked for, not a
pair silently left out; a broken candle (non-finite or non-positive price, high below the
body, ...) is named with its file and date.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genesis.data import Candles, collect_problems, fingerprint, format_ts
from genesis.errors import DataError

FORMATS = ("feather", "parquet", "json", "jsongz")
"""Freqtrade's OHLCV storage formats (``dataformat_ohlcv``), in the order looked for."""


@dataclass(frozen=True)
class Dataset:
    """The candles of every pair for one timeframe and window, as Freqtrade loads them.

    Attributes:
        frames: Per pair, Freqtrade's candle frame (``date, open, high, low, close,
            volume``), the strategy's startup candles included.
        timerange: Freqtrade's ``TimeRange`` after its start-date adjustment (what
            ``trim_dataframe`` trims the analyzed frames with).
        startup_candles: The startup candles loaded before the window.
        timeframe: The candles' timeframe.
        paths: Per pair, the file read.
        data_format: The format of the files read.
        fingerprint: A hash of exactly these candles (pairs, times, OHLCV).
    """

    frames: Mapping[str, pd.DataFrame]
    timerange: Any
    startup_candles: int
    timeframe: str
    paths: Mapping[str, Path]
    data_format: str
    fingerprint: str


def candle_paths(datadir: Path, pair: str, timeframe: str, first: str = "feather") -> list[Path]:
    """Every path Freqtrade's formats would store ``pair``/``timeframe`` at, ``first`` first."""
    from freqtrade.data.history.datahandlers.idatahandler import get_datahandlerclass
    from freqtrade.enums import CandleType

    order = [first, *(f for f in FORMATS if f != first)]
    return [
        get_datahandlerclass(fmt)._pair_data_filename(datadir, pair, timeframe, CandleType.SPOT)
        for fmt in order
    ]


def find_candle_file(
    datadir: Path, pair: str, timeframe: str, first: str = "feather"
) -> tuple[Path, str]:
    """The file holding ``pair``/``timeframe`` candles and its format.

    Raises:
        DataError: No file, naming the pair, the timeframe and every path looked for.
    """
    order = [first, *(f for f in FORMATS if f != first)]
    paths = candle_paths(datadir, pair, timeframe, first)
    for path, fmt in zip(paths, order, strict=True):
        if path.is_file():
            return path, fmt
    raise DataError(
        f"no {timeframe} candles for {pair}: looked for " + ", ".join(str(p) for p in paths),
        where=str(datadir),
        hint=f"run `freqtrade download-data --pairs {pair} --timeframes {timeframe} "
        f"--datadir {datadir}`",
    )


def load_dataset(
    datadir: Path,
    pairs: Sequence[str],
    timeframe: str,
    *,
    timerange: str | None = None,
    startup_candles: int = 0,
    data_format: str = "feather",
) -> Dataset:
    """Load every pair's candles as ``freqtrade backtesting`` does.

    Args:
        datadir: The data directory.
        pairs: The pairs (``BASE/QUOTE``).
        timeframe: The timeframe, e.g. ``"5m"``.
        timerange: Freqtrade's ``--timerange`` text (``20200101-20210101``), if any.
        startup_candles: The strategy's ``startup_candle_count``.
        data_format: The config's ``dataformat_ohlcv`` (looked for first).

    Returns:
        The dataset.

    Raises:
        DataError: A missing file, an unreadable file, no candles in the timerange, a
            broken candle, or a bad ``--timerange``.
    """
    from freqtrade.exchange import timeframe_to_seconds

    window = parse_timerange(timerange)
    frames: dict[str, pd.DataFrame] = {}
    paths: dict[str, Path] = {}
    fmt = data_format
    for pair in pairs:
        path, fmt = find_candle_file(datadir, pair, timeframe, data_format)
        frames[pair] = _load_pair(path, fmt, datadir, pair, timeframe, window, startup_candles)
        paths[pair] = path
        _check_candles(frames[pair], pair, timeframe, path)
    first_date = min(frame["date"].iloc[0] for frame in frames.values())
    window.adjust_start_if_necessary(
        timeframe_to_seconds(timeframe), startup_candles, first_date.to_pydatetime()
    )
    return Dataset(
        frames=frames,
        timerange=window,
        startup_candles=startup_candles,
        timeframe=timeframe,
        paths=paths,
        data_format=fmt,
        fingerprint=dataset_fingerprint(frames, timeframe),
    )


def parse_timerange(text: str | None) -> Any:
    """Freqtrade's ``TimeRange`` for ``--timerange`` text.

    Raises:
        DataError: The text is not Freqtrade's timerange syntax.
    """
    from freqtrade.configuration import TimeRange
    from freqtrade.exceptions import OperationalException

    try:
        return TimeRange.parse_timerange(text)
    except (OperationalException, ValueError) as error:
        raise DataError(
            f"bad --timerange {text!r}: {error}",
            where="--timerange",
            hint="use YYYYMMDD-YYYYMMDD, YYYYMMDD- or -YYYYMMDD",
        ) from None


def _load_pair(
    path: Path,
    fmt: str,
    datadir: Path,
    pair: str,
    timeframe: str,
    window: Any,
    startup_candles: int,
) -> pd.DataFrame:
    from freqtrade.data.history import load_pair_history

    try:
        frame = load_pair_history(
            pair,
            timeframe,
            datadir,
            timerange=window,
            startup_candles=startup_candles,
            data_format=fmt,
        )
    except Exception as error:
        raise DataError(
            f"cannot read {pair} {timeframe} candles: {type(error).__name__}: {error}",
            where=str(path),
            hint="re-download the pair with `freqtrade download-data`",
        ) from None
    if frame.empty:
        span = "" if window.starttype is None and window.stoptype is None else " in the timerange"
        raise DataError(
            f"no {timeframe} candles for {pair}{span}",
            where=str(path),
            hint="compare --timerange with `freqtrade list-data --show-timerange`",
        )
    return frame


def frame_candles(frame: pd.DataFrame, pair: str, timeframe: str) -> Candles:
    """Freqtrade's candle frame as genesis :class:`~genesis.data.Candles`."""
    dates = pd.to_datetime(frame["date"], utc=True)
    ts_ms = dates.to_numpy(dtype="datetime64[ms]").astype(np.int64)
    return Candles.from_arrays(
        ts_ms,
        frame["open"].to_numpy(dtype=np.float64),
        frame["high"].to_numpy(dtype=np.float64),
        frame["low"].to_numpy(dtype=np.float64),
        frame["close"].to_numpy(dtype=np.float64),
        frame["volume"].to_numpy(dtype=np.float64),
        symbol=pair,
        timeframe=timeframe,
    )


def _check_candles(frame: pd.DataFrame, pair: str, timeframe: str, path: Path) -> None:
    problems = collect_problems(frame_candles(frame, pair, timeframe))
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DataError(
            f"broken {pair} {timeframe} candle at {format_ts(first.ts_ms)}: {first.message}{more}",
            where=str(path),
            hint="fix or re-download the file (`freqtrade download-data --erase`)",
        )


def dataset_fingerprint(frames: Mapping[str, pd.DataFrame], timeframe: str) -> str:
    """One hash over every pair's candles (genesis's per-series fingerprint, combined)."""
    digest = hashlib.blake2b(b"genesis-freqtrade-dataset-v1", digest_size=16)
    for pair in sorted(frames):
        digest.update(
            f"{pair}\x00{fingerprint(frame_candles(frames[pair], pair, timeframe))}\n".encode()
        )
    return digest.hexdigest()
