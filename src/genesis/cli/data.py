"""``genesis data``: fetch, inspect and resample candle files.

Thin commands over :mod:`genesis.data`: heavy imports (pandas, numba, ccxt) happen
inside each command, errors are raised as :mod:`genesis.errors` exceptions for the root
app to print, and progress is shown with a rich bar passed in as a callback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from genesis.data import Candles, DataReport, SuspectTick

app = typer.Typer(no_args_is_help=True)

_MAX_GAPS_SHOWN = 5


@app.command()
def fetch(
    symbol: Annotated[str, typer.Argument(help="Market: tBTCUSD (exchange id) or BTC/USD.")],
    timeframe: Annotated[str, typer.Argument(help="Bar length, e.g. 1h.")],
    since: Annotated[str, typer.Option(help="First date to fetch (ISO 8601).")],
    until: Annotated[
        str | None, typer.Option(help="Date to stop at, exclusive (default: now).")
    ] = None,
    exchange: Annotated[str, typer.Option(help="ccxt exchange id.")] = "bitfinex",
    data_dir: Annotated[Path, typer.Option(help="Root of fetched data.")] = Path("data/raw"),
    api_url: Annotated[
        str | None, typer.Option(hidden=True, help="Override the exchange's public API URL.")
    ] = None,
) -> None:
    """Download candles to DATA_DIR/EXCHANGE/<market id>_<TF>.parquet (incremental).

    The file is named after the exchange's market id, so tBTCUSD and BTC/USD on
    Bitfinex both go to tBTCUSD_1h.parquet. A second run appends only newer candles.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from genesis.data import create_exchange, fetch_candles, format_ts, parse_date_ms

    since_ms = parse_date_ms(since)
    client = create_exchange(exchange, api_urls={"public": api_url} if api_url else None)
    end_ms = parse_date_ms(until) if until else int(client.milliseconds())
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[bars]:>9,} bars, reached {task.fields[reached]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(
            f"{symbol} {timeframe}", total=max(1, end_ms - since_ms), bars=0, reached="-"
        )

        def on_progress(n_bars: int, reached_ms: int) -> None:
            progress.update(
                task, completed=reached_ms - since_ms, bars=n_bars, reached=format_ts(reached_ms)
            )

        result = fetch_candles(
            symbol, timeframe, since=since, until=until, data_dir=data_dir,
            client=client, on_progress=on_progress,
        )  # fmt: skip
    console = Console()
    console.print(
        f"{result.path}: {result.n_new:,} new candles, {result.n_total:,} in total",
        soft_wrap=True,
    )
    if result.report is not None:
        _print_report(console, result.report)


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="A .csv or .parquet candle file.")],
) -> None:
    """Describe a candle file: rows, range, timeframe, gaps, prices, suspect ticks, fingerprint.

    A file that fails validation gets every bad row listed (line, timestamp, problem)
    and exit code 2. Suspect ticks (a bar whose range is far outside its neighbours')
    are listed but do not fail the file.
    """
    from genesis.data import inspect_candles_file
    from genesis.errors import DataError

    console = Console()
    inspection = inspect_candles_file(file)
    if inspection.problems:
        for problem in inspection.problems:
            console.print(f"{file}:{problem}", markup=False, highlight=False, soft_wrap=True)
        raise DataError(
            f"{len(inspection.problems)} problem(s) in {len(inspection.rows_with_problems)} "
            f"of {len(inspection.candles):,} rows",
            where=str(file),
        )
    console.print(f"file         {file}", markup=False, highlight=False)
    console.print(f"symbol       {inspection.candles.symbol}", markup=False)
    if inspection.report is not None:
        _print_report(console, inspection.report)
    _print_prices(console, inspection.candles)
    _print_suspects(console, file, inspection.suspects)
    console.print(f"fingerprint  {inspection.fingerprint}")


def _print_suspects(console: Console, file: Path, suspects: tuple[SuspectTick, ...]) -> None:
    """Suspect ticks are reported (the first few by line), never a reason to fail."""
    from genesis.data import SUSPECT_RANGE_RATIO

    console.print(
        f"suspect      {len(suspects):,} bar(s) with a range over {SUSPECT_RANGE_RATIO:g}x "
        "their neighbours' (bad ticks? check them against the exchange)"
        if suspects
        else "suspect      none (no bar's range is far outside its neighbours')",
        highlight=False,
        soft_wrap=True,
    )
    for suspect in suspects[:_MAX_GAPS_SHOWN]:
        console.print(f"  {file}:{suspect}", markup=False, highlight=False, soft_wrap=True)
    if len(suspects) > _MAX_GAPS_SHOWN:
        console.print(f"  ...        {len(suspects) - _MAX_GAPS_SHOWN:,} more")


def _print_prices(console: Console, candles: Candles) -> None:
    console.print(
        f"prices       low {candles.low.min():,.8g} .. high {candles.high.max():,.8g}; "
        f"close {candles.close.min():,.8g} .. {candles.close.max():,.8g}"
    )
    console.print(f"volume       {candles.volume.sum():,.2f} in total")


def _print_report(console: Console, report: DataReport) -> None:
    console.print(f"rows         {report.n_rows:,}")
    console.print(f"range        {report.start} .. {report.end}")
    console.print(f"timeframe    {report.timeframe or 'unknown'}")
    console.print(f"gaps         {report.n_gaps:,} ({report.n_missing_bars:,} missing bars)")
    if report.largest_gap is not None:
        console.print(f"largest gap  {report.largest_gap}")
    for gap in report.gaps[:_MAX_GAPS_SHOWN]:
        console.print(f"  gap        {gap}")
    if report.n_gaps > _MAX_GAPS_SHOWN:
        console.print(f"  ...        {report.n_gaps - _MAX_GAPS_SHOWN:,} more")


@app.command()
def resample(
    file: Annotated[Path, typer.Argument(help="A .csv or .parquet candle file.")],
    to: Annotated[str, typer.Option(help="Target timeframe, a multiple of the file's.")],
    out: Annotated[
        Path | None, typer.Option(help="Output file (default: <stem>_<TO><suffix> beside FILE).")
    ] = None,
) -> None:
    """Aggregate a candle file into longer, epoch-aligned bars (gaps stay gaps)."""
    from genesis.data import load_candles, write_candles
    from genesis.data import resample as resample_candles

    candles = load_candles(file)
    coarse = resample_candles(candles, to)
    target = out or file.with_name(f"{file.stem}_{to}{file.suffix}")
    write_candles(coarse, target)
    Console().print(
        f"{target}: {len(coarse):,} {to} bars from {len(candles):,} {candles.timeframe} bars",
        soft_wrap=True,
    )
