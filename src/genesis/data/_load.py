"""Where candles come from: files, the synthetic generator, fetched exchange data.

Owns :func:`load_candles` (one string names any source, validated on the way in),
:func:`read_candles_file` (a file as it is, for inspection) and the rule that names
fetched files.

Source strings:

* ``path/to/file.csv`` or ``.parquet``: a candle file;
* ``synthetic:SYMBOL:TF[:SEED[:NBARS]]``: generated candles (seed 42, 50,000 bars);
* ``exchange:EXCHANGE:SYMBOL:TF``: a file written by ``genesis data fetch``, at
  ``DATA_DIR/EXCHANGE/<stem>_<TF>.parquet``, see :func:`symbol_file_stem`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from genesis.data._candles import TIMEFRAME_MS, Candles
from genesis.data._fingerprint import fingerprint
from genesis.data._io import file_metadata, frame_to_candles, header_lines, read_frame
from genesis.data._suspects import SuspectTick, find_suspect_ticks
from genesis.data._synth import synthetic_candles
from genesis.data._validate import (
    DataReport,
    Problem,
    collect_problems,
    detect_timeframe,
    validate_candles,
)
from genesis.errors import DataError

SYNTHETIC_PREFIX = "synthetic:"
EXCHANGE_PREFIX = "exchange:"
DEFAULT_DATA_DIR = Path("data/raw")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def symbol_file_stem(exchange: str, symbol: str) -> str:
    """The file-name stem for ``symbol`` on ``exchange``: the exchange's own market id.

    The rule: an exchange market id (``tBTCUSD`` on Bitfinex) is used as given; a
    unified ``BASE/QUOTE`` symbol becomes Bitfinex style on Bitfinex (``t`` + BASE +
    QUOTE, with a ``:`` between them when either is longer than 3 letters) and
    ``BASEQUOTE`` elsewhere. Characters other than letters, digits, ``.``, ``_`` and
    ``-`` become ``-`` so the name is safe on every file system. ``genesis data
    fetch`` resolves the market first and names the file from the market's id, so
    ``BTC/USD`` and ``tBTCUSD`` share ``tBTCUSD_1h.parquet``.
    """
    if "/" in symbol:
        base, quote = symbol.split(":")[0].split("/", 1)
        if exchange == "bitfinex":
            joiner = ":" if max(len(base), len(quote)) > 3 else ""
            symbol = f"t{base}{joiner}{quote}"
        else:
            symbol = base + quote
    return _UNSAFE.sub("-", symbol)


def candle_file_path(data_dir: Path, exchange: str, symbol: str, timeframe: str) -> Path:
    """Where fetched candles of ``symbol``/``timeframe`` from ``exchange`` live."""
    return Path(data_dir) / exchange / f"{symbol_file_stem(exchange, symbol)}_{timeframe}.parquet"


def _timeframe_from_name(stem: str) -> str | None:
    return next((part for part in stem.split("_") if part in TIMEFRAME_MS), None)


def read_candles_file(
    path: str | Path, *, symbol: str | None = None, timeframe: str | None = None
) -> Candles:
    """Read a CSV or Parquet candle file without validating its rows.

    Args:
        path: The file; ``.csv`` or ``.parquet``.
        symbol: Symbol to record; default: stored in the file (Parquet written by
            genesis), else the file name up to the first ``_``.
        timeframe: Timeframe to record; default: stored in the file, else detected from
            the timestamps, else a timeframe token in the file name.

    Returns:
        The rows in file order (possibly unsorted or invalid: see
        :func:`genesis.data.validate_candles`).

    Raises:
        DataError: Missing or unreadable file, empty file, missing columns or an
            unparseable timestamp (with its line).
    """
    path = Path(path)
    frame, meta = read_frame(path)
    stored_symbol, stored_timeframe = file_metadata(meta)
    candles = frame_to_candles(
        frame,
        where=str(path),
        first_line=header_lines(path) + 1,
        symbol=symbol or stored_symbol or path.stem.split("_")[0],
        timeframe="1h",
    )
    resolved = (
        timeframe
        or stored_timeframe
        or detect_timeframe(candles.ts_ms)
        or _timeframe_from_name(path.stem)
    )
    if resolved is None:
        raise DataError(
            "cannot tell the timeframe of these candles",
            where=str(path),
            hint="pass the timeframe explicitly",
        )
    return replace(candles, timeframe=resolved)


@dataclass(frozen=True)
class Inspection:
    """A candle file as :func:`inspect_candles_file` found it.

    Attributes:
        candles: The rows in file order.
        problems: Every bad row (empty for a valid file).
        report: Rows, range, timeframe and gaps; None when there are problems.
        fingerprint: :func:`genesis.data.fingerprint` of the candles.
        suspects: Valid bars whose range is far outside their neighbours' (bad ticks,
            or real crashes: reported, never refused); empty when there are problems.
    """

    candles: Candles
    problems: tuple[Problem, ...]
    report: DataReport | None
    fingerprint: str
    suspects: tuple[SuspectTick, ...] = ()

    @property
    def rows_with_problems(self) -> tuple[int, ...]:
        """The distinct lines that have at least one problem."""
        return tuple(sorted({problem.line for problem in self.problems}))


def inspect_candles_file(path: str | Path, *, timeframe: str | None = None) -> Inspection:
    """Read a candle file and check every row, without stopping at the first bad one.

    Args:
        path: A ``.csv`` or ``.parquet`` file.
        timeframe: Expected timeframe (default: stored in or detected from the file).

    Raises:
        DataError: If the file cannot be read as candles at all, or its timeframe
            differs from ``timeframe``.
    """
    path = Path(path)
    candles = read_candles_file(path, timeframe=timeframe)
    first_line = header_lines(path) + 1
    problems = tuple(collect_problems(candles, first_line=first_line))
    report = None
    suspects: tuple[SuspectTick, ...] = ()
    if not problems:
        report = validate_candles(
            candles, where=str(path), expected_timeframe=candles.timeframe, first_line=first_line
        )
        suspects = find_suspect_ticks(candles, first_line=first_line)
    return Inspection(candles, problems, report, fingerprint(candles), suspects)


def load_candles(
    source: str | Path,
    *,
    symbol: str | None = None,
    timeframe: str | None = None,
    data_dir: Path = DEFAULT_DATA_DIR,
) -> Candles:
    """Load validated candles from a file, the synthetic generator or fetched data.

    Args:
        source: A file path, ``synthetic:SYMBOL:TF[:SEED[:NBARS]]`` or
            ``exchange:EXCHANGE:SYMBOL:TF`` (see the module docstring).
        symbol: Symbol to record for a file (default from the file); for the other
            sources it must match the one named in ``source``.
        timeframe: Expected timeframe; a mismatch with the data is an error.
        data_dir: Root of fetched data, for ``exchange:`` sources.

    Returns:
        Candles that passed :func:`genesis.data.validate_candles`.

    Raises:
        DataError: Unknown source form, missing file (with a hint to fetch it), bad
            rows (file, line, timestamp) or a timeframe mismatch.
    """
    text = str(source)
    first_line = 1
    if isinstance(source, str) and text.startswith(SYNTHETIC_PREFIX):
        candles = _synthetic(text)
    elif isinstance(source, str) and text.startswith(EXCHANGE_PREFIX):
        candles = read_candles_file(_exchange_path(text, data_dir))  # symbol from the file
    else:
        candles = read_candles_file(source, symbol=symbol, timeframe=timeframe)
        first_line = header_lines(Path(source)) + 1
    if symbol is not None and symbol != candles.symbol:
        raise DataError(f"source {text!r} holds {candles.symbol}, not {symbol}")
    validate_candles(
        candles,
        where=candles.source,
        expected_timeframe=timeframe or candles.timeframe,
        first_line=first_line,
    )
    return candles


def _synthetic(text: str) -> Candles:
    parts = text.split(":")
    if not 3 <= len(parts) <= 5 or not parts[1] or not parts[2]:
        raise DataError(
            f"bad synthetic source {text!r}", hint="use synthetic:SYMBOL:TF[:SEED[:NBARS]]"
        )
    try:
        numbers = [int(part) for part in parts[3:]]
    except ValueError:
        raise DataError(
            f"bad synthetic source {text!r}", hint="SEED and NBARS are integers"
        ) from None
    seed, n_bars = [*numbers, *(42, 50_000)[len(numbers) :]]
    if n_bars <= 0:
        raise DataError(f"bad synthetic source {text!r}", hint="NBARS must be positive")
    return synthetic_candles(symbol=parts[1], timeframe=parts[2], n_bars=n_bars, seed=seed)


def _exchange_path(text: str, data_dir: Path) -> Path:
    parts = text.split(":")
    if len(parts) < 4 or not all(parts[1:]):
        raise DataError(f"bad exchange source {text!r}", hint="use exchange:EXCHANGE:SYMBOL:TF")
    exchange, symbol, timeframe = parts[1], ":".join(parts[2:-1]), parts[-1]
    path = candle_file_path(data_dir, exchange, symbol, timeframe)
    if not path.is_file():
        raise DataError(
            f"no fetched candles for {symbol} {timeframe} from {exchange}",
            where=str(path),
            hint=f"run `genesis data fetch {symbol} {timeframe} --since 2019-01-01 "
            f"--exchange {exchange} --data-dir {data_dir}`",
        )
    return path
