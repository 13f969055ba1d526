"""Candle files: reading and writing CSV and Parquet.

This is the data layer's edge and the only module in :mod:`genesis.data` that imports
pandas or pyarrow. Reading does not validate (``genesis data inspect`` wants to see a
broken file whole); it only refuses what cannot become arrays at all: a missing file,
an empty file, missing columns, unparseable timestamps. Rows keep their file order, so
that validation can point at the line that is wrong.

Column names are matched case-insensitively; the time column may be called
``timestamp``, ``time``, ``date``, ``datetime``, ``open_time`` or ``mts`` and hold ISO
8601 strings or epoch numbers (seconds, milliseconds, microseconds or nanoseconds,
told apart by magnitude). Written CSV looks like the bundled Bitfinex file:
``timestamp,open,high,low,close,volume`` with ``2018-01-01T00:00:00Z`` times. Written
Parquet keeps ``timestamp`` as a UTC millisecond timestamp and stores the symbol and
timeframe in the file's metadata.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from genesis.data._candles import Candles
from genesis.errors import DataError

TIME_COLUMNS = ("timestamp", "time", "date", "datetime", "open_time", "mts")
VALUE_COLUMNS = ("open", "high", "low", "close", "volume")
SUFFIXES = (".csv", ".parquet")
_META_SYMBOL = b"genesis.symbol"
_META_TIMEFRAME = b"genesis.timeframe"
# Epoch numbers below these bounds are read in the unit beside them (year ~5000 limits).
_EPOCH_UNITS = ((1e11, 1_000.0), (1e14, 1.0), (1e17, 1e-3), (float("inf"), 1e-6))


def header_lines(path: Path) -> int:
    """Lines before the first data row: 1 for CSV (the header), 0 for Parquet."""
    return 1 if path.suffix.lower() == ".csv" else 0


def read_frame(path: Path) -> tuple[pd.DataFrame, dict[bytes, bytes]]:
    """Read a candle file into a DataFrame plus its key/value metadata (Parquet only)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(
            f"unsupported candle file type {path.suffix!r}",
            where=str(path),
            hint="use a .csv or .parquet file",
        )
    if not path.is_file():
        raise DataError("file not found", where=str(path))
    try:
        if suffix == ".csv":
            return pd.read_csv(path, skip_blank_lines=False), {}
        table = pq.read_table(path)
        return table.to_pandas(), dict(table.schema.metadata or {})
    except pd.errors.EmptyDataError:
        raise DataError("file is empty", where=str(path)) from None
    except (OSError, ValueError, pa.ArrowException) as error:
        raise DataError(f"cannot read file: {error}", where=str(path)) from error


def _find_columns(frame: pd.DataFrame, where: str) -> dict[str, Any]:
    by_lower = {str(name).strip().lower(): name for name in frame.columns}
    found: dict[str, Any] = {}
    time_name = next((by_lower[n] for n in TIME_COLUMNS if n in by_lower), None)
    missing = [] if time_name is not None else ["timestamp"]
    found["timestamp"] = time_name
    for name in VALUE_COLUMNS:
        if name in by_lower:
            found[name] = by_lower[name]
        else:
            missing.append(name)
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}",
            where=where,
            hint="need a time column (timestamp|time|date|datetime|open_time|mts) "
            "and open, high, low, close, volume",
        )
    return found


def _epoch_to_ms(values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    factor = next(f for bound, f in _EPOCH_UNITS if largest < bound)
    return np.rint(values * factor).astype(np.int64)


def _times_to_ms(column: pd.Series, where: str, first_line: int) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        parsed = column if column.dt.tz is not None else column.dt.tz_localize("UTC")
    elif pd.api.types.is_numeric_dtype(column.dtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        _raise_on_bad_times(np.isnan(values), column, where, first_line)
        return _epoch_to_ms(values)
    else:
        parsed = pd.to_datetime(column, utc=True, format="ISO8601", errors="coerce")
    _raise_on_bad_times(parsed.isna().to_numpy(), column, where, first_line)
    delta = parsed - pd.Timestamp(0, tz="UTC")
    return np.asarray((delta // pd.Timedelta(milliseconds=1)).to_numpy(), dtype=np.int64)


def _raise_on_bad_times(bad: np.ndarray, column: pd.Series, where: str, first_line: int) -> None:
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"cannot parse timestamp {column.iloc[index]!r}",
            where=f"{where}:{index + first_line}",
            hint="use ISO 8601 (2018-01-01T00:00:00Z) or epoch milliseconds",
        )


def frame_to_candles(
    frame: pd.DataFrame, *, where: str, first_line: int, symbol: str, timeframe: str
) -> Candles:
    """Turn a DataFrame with candle columns into (unvalidated) Candles.

    Non-numeric prices become NaN so that validation reports them with their line.
    """
    last = frame.dropna(how="all").last_valid_index()  # trailing blank lines are not rows
    if last is None:
        raise DataError("file has no candles", where=where)
    frame = frame.loc[:last]
    columns = _find_columns(frame, where)
    ts_ms = _times_to_ms(frame[columns["timestamp"]], where, first_line)
    values = {
        name: pd.to_numeric(frame[columns[name]], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        for name in VALUE_COLUMNS
    }
    return Candles.from_arrays(ts_ms, **values, symbol=symbol, timeframe=timeframe, source=where)


def file_metadata(meta: dict[bytes, bytes]) -> tuple[str | None, str | None]:
    """The symbol and timeframe stored in a Parquet file written by :func:`write_candles`."""
    symbol = meta.get(_META_SYMBOL)
    timeframe = meta.get(_META_TIMEFRAME)
    return (
        symbol.decode() if symbol else None,
        timeframe.decode() if timeframe else None,
    )


def _format_float(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _csv_text(candles: Candles) -> str:
    times = np.datetime_as_string(candles.ts_ms.astype("datetime64[ms]"), unit="s")
    columns = [candles.open, candles.high, candles.low, candles.close, candles.volume]
    lines = ["timestamp,open,high,low,close,volume"]
    for i, stamp in enumerate(times):
        lines.append(",".join([f"{stamp}Z", *(_format_float(c[i]) for c in columns)]))
    return "\n".join(lines) + "\n"


def _parquet_table(candles: Candles) -> pa.Table:
    table = pa.table(
        {
            "timestamp": pa.array(candles.ts_ms, type=pa.timestamp("ms", tz="UTC")),
            **{name: pa.array(getattr(candles, name)) for name in VALUE_COLUMNS},
        }
    )
    return table.replace_schema_metadata(
        {_META_SYMBOL: candles.symbol.encode(), _META_TIMEFRAME: candles.timeframe.encode()}
    )


def file_mode() -> int:
    """The mode ``open()`` gives a new file: 0o666 less the umask (0o644 under umask 022).

    Read from ``/proc/self/status`` where there is one, because ``os.umask`` can only be
    read by setting it, which races with threads creating files (the cache writer's).
    """
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return 0o644
    for line in status.splitlines():
        if line.startswith("Umask:"):
            return 0o666 & ~int(line.split()[1], 8)
    return 0o644


def write_candles(candles: Candles, path: str | Path) -> Path:
    """Write candles to ``path`` (CSV or Parquet by suffix), atomically.

    The file is written to a temporary file in the same directory and renamed over
    ``path``, so a reader (or an interrupted download) never sees a half-written file.

    Args:
        candles: The bars to write.
        path: Target file; its suffix (``.csv`` or ``.parquet``) picks the format.

    Returns:
        The path written.

    Raises:
        DataError: If the suffix is not supported or the file cannot be written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(
            f"unsupported candle file type {target.suffix!r}",
            where=str(target),
            hint="use a .csv or .parquet file",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    os.chmod(temp_name, file_mode())  # mkstemp makes 0600: candles are not secrets
    try:
        if suffix == ".csv":
            Path(temp_name).write_text(_csv_text(candles), encoding="utf-8")
        else:
            pq.write_table(_parquet_table(candles), temp_name)
        os.replace(temp_name, target)
    except (OSError, pa.ArrowException) as error:
        Path(temp_name).unlink(missing_ok=True)
        raise DataError(f"cannot write candles: {error}", where=str(target)) from error
    return target
