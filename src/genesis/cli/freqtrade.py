"""``genesis freqtrade``: Freqtrade's commands on genesis's engine, with Freqtrade's flags.

A user's ``freqtrade backtesting -c config.json --strategy X ...`` works with ``freqtrade``
replaced by ``genesis freqtrade``. The Freqtrade flags genesis honours are declared here;
any other Freqtrade flag is looked up in Freqtrade's own option table and refused with a
message (never accepted and ignored). freqtrade, numba and pandas are imported inside the
command only, so ``genesis --help`` stays fast and works without the extra.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from genesis.cli._freqtrade_options import (
    EXTRA_ARGS,
    Configs,
    DataDir,
    DryRunWallet,
    Fee,
    MaxOpenTrades,
    StakeAmount,
    StrategyName,
    StrategyPath,
    TimeFrame,
    TimeRange,
    UserDir,
)

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(no_args_is_help=True)

_SUPPORTED = frozenset(
    {
        "config", "datadir", "user_data_dir", "strategy", "strategy_path", "timeframe",
        "timerange", "dataformat_ohlcv", "max_open_trades", "stake_amount", "fee", "pairs",
        "dry_run_wallet",
    }
)  # fmt: skip
_WHY_NOT: dict[str, str] = {
    "timeframe_detail": "intra-candle detail backtests are not supported yet",
    "enable_protections": "protections are not supported yet",
    "export": "use --json FILE for the trades and the summary",
    "exportfilename": "use --json FILE for the trades and the summary",
    "exportdirectory": "use --json FILE for the trades and the summary",
    "backtest_breakdown": "the per-period breakdown is not printed; --json FILE has every trade",
    "backtest_cache": "genesis caches indicators itself (--cache-dir DIR)",
    "strategy_list": "run one command per strategy",
    "position_stacking": "position stacking is not supported",
    "enable_dynamic_pairlist": "only StaticPairList is supported (offline)",
    "freqai_backtest_live_models": "FreqAI is not supported",
    "freqaimodel": "FreqAI is not supported",
    "freqaimodel_path": "FreqAI is not supported",
}


@app.command(context_settings=EXTRA_ARGS)
def backtesting(
    ctx: typer.Context,
    config: Configs = None,
    strategy: StrategyName = None,
    strategy_path: StrategyPath = None,
    datadir: DataDir = None,
    userdir: UserDir = None,
    timerange: TimeRange = None,
    timeframe: TimeFrame = None,
    pairs: Annotated[
        list[str] | None,
        typer.Option("-p", "--pairs", help="Pairs to backtest instead of the whitelist."),
    ] = None,
    fee: Fee = None,
    max_open_trades: MaxOpenTrades = None,
    stake_amount: StakeAmount = None,
    dry_run_wallet: DryRunWallet = None,
    data_format: Annotated[
        str | None,
        typer.Option("--data-format-ohlcv", help="feather, parquet, json or jsongz."),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the trades (Freqtrade's fields) and the summary here."),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Keep the strategy's indicators here between runs."),
    ] = None,
) -> None:
    """Backtest a Freqtrade strategy as `freqtrade backtesting` does, offline, fast.

    Freqtrade's flags as in Freqtrade; a Freqtrade flag genesis does not honour yet is
    refused with a message. --json FILE writes the trades and the summary metrics.
    """
    pairs = _pairs_and_refusals(list(ctx.args), pairs)
    from genesis.freqtrade.settings import load_settings

    started = time.perf_counter()
    settings = load_settings(
        config or [],
        strategy=strategy,
        strategy_path=strategy_path,
        datadir=datadir,
        timerange=timerange,
        timeframe=timeframe,
        fee=fee,
        max_open_trades=max_open_trades,
        stake_amount=stake_amount,
        dry_run_wallet=dry_run_wallet,
        pairs=pairs,
        user_data_dir=userdir,
        data_format=data_format,
    )
    document = _run(settings, cache_dir)
    document["genesis"]["elapsed_s"] = round(time.perf_counter() - started, 3)
    console = _console()
    _print_summary(console, settings, document)
    if json_out is not None:
        from genesis.artifacts import write_json

        write_json(json_out, document)
        console.print(f"wrote {json_out}", soft_wrap=True, highlight=False)


def _pairs_and_refusals(extra: list[str], pairs: list[str] | None) -> list[str] | None:
    """Freqtrade's ``-p A B C`` (the B, C land in the extra args); refuse other extras."""
    from genesis.errors import UsageError

    given = [p for value in pairs or [] for p in value.replace(",", " ").split()]
    for arg in extra:
        if not arg.startswith("-") and given:
            given.append(arg)  # -p BTC/USDT ETH/USDT, as Freqtrade's nargs="+"
            continue
        if arg.startswith("-"):
            _refuse_flag(arg)
        raise UsageError(f"unexpected argument {arg!r}", hint="see --help")
    return given or None


def _refuse_flag(flag: str) -> None:
    """Refuse a Freqtrade flag genesis does not honour, or say the flag is unknown."""
    from genesis.errors import UsageError
    from genesis.freqtrade.settings import freqtrade_option

    name = flag.split("=", 1)[0]
    dest = freqtrade_option(name)
    if dest is not None and dest not in _SUPPORTED:
        reason = _WHY_NOT.get(dest, "genesis does not honour it yet")
        raise UsageError(
            f"the freqtrade option {name} is not supported: {reason}",
            hint="remove it: genesis refuses a flag rather than ignore it",
        )
    raise UsageError(f"no such option: {name}", hint="see `genesis freqtrade backtesting --help`")


def _run(settings: Any, cache_dir: Path | None) -> dict[str, Any]:
    """Load, compute the signals, backtest; the --json document."""
    from genesis.freqtrade.backtest import run_backtest
    from genesis.freqtrade.export import result_document
    from genesis.freqtrade.loading import load_strategy
    from genesis.freqtrade.rules import ExitRules
    from genesis.freqtrade.signals import SignalSource

    strategy = load_strategy(settings)
    source = SignalSource(strategy, settings, cache_dir)
    frames = source.pair_frames()
    result = run_backtest(
        frames, ExitRules.from_strategy(strategy), settings.wallet, strategy=strategy
    )
    extra = {
        "strategy_file": str(settings.strategy_path),
        "signals_fingerprint": source.fingerprint,
        "data_fingerprint": source.dataset.fingerprint,
        "timeframe": settings.timeframe,
        "pairs": list(settings.pairs),
        "fee": settings.wallet.fee,
    }
    return result_document(
        settings.strategy_name,
        result,
        source.start,
        source.end,
        stake_currency=str(settings.config.get("stake_currency", "")),
        extra=extra,
    )


def _console() -> Console:
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=120)


def _print_summary(console: Console, settings: Any, document: dict[str, Any]) -> None:
    from rich import box
    from rich.table import Table

    stats = document["strategy"][settings.strategy_name]
    currency = stats["stake_currency"]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, title="SUMMARY METRICS")
    table.add_column("metric")
    table.add_column("value", justify="right")
    wallet = settings.wallet
    slots = "unlimited" if wallet.max_open_trades == -1 else str(wallet.max_open_trades)
    rows = [
        ("Strategy", settings.strategy_name),
        ("Pairs", f"{len(settings.pairs)} ({settings.timeframe})"),
        ("Backtesting from", stats["backtest_start"]),
        ("Backtesting to", stats["backtest_end"]),
        ("Max open trades", slots),
        ("Fee per side", f"{wallet.fee:.4%}"),
        ("Total trades", f"{stats['total_trades']:,}"),
        ("Starting balance", f"{stats['starting_balance']:,.3f} {currency}"),
        ("Final balance", f"{stats['final_balance']:,.3f} {currency}"),
        ("Absolute profit", f"{stats['profit_total_abs']:,.3f} {currency}"),
        ("Total profit %", f"{stats['profit_total_pct']:.2f}%"),
        ("Win / Draw / Loss", f"{stats['wins']} / {stats['draws']} / {stats['losses']}"),
        ("Win %", _pct(stats["winrate"])),
        ("Max drawdown (account)", _pct(stats["max_drawdown_account"])),
        ("Max drawdown (abs)", f"{stats['max_drawdown_abs']:,.3f} {currency}"),
        ("Sharpe / Sortino / Calmar", " / ".join(_num(stats[k]) for k in _RATIO_KEYS)),
        ("Exit reasons", _reasons(stats["exit_reasons"])),
        ("Elapsed", f"{document['genesis']['elapsed_s']:.2f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    if settings.config.get("fee") is None:
        console.print(
            f"fee {wallet.fee:.2%} per side: neither --fee nor the config sets one "
            "(Freqtrade would ask the exchange); pass --fee to match your exchange",
            soft_wrap=True,
            highlight=False,
        )


_RATIO_KEYS = ("sharpe", "sortino", "calmar")


def _pct(ratio: float | None) -> str:
    return "undefined" if ratio is None else f"{ratio:.2%}"


def _num(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.2f}"


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in counts.items()) or "none"


def _register_hyperopt() -> None:
    """``genesis freqtrade hyperopt`` (its own module: the command is long)."""
    from genesis.cli._freqtrade_hyperopt import hyperopt

    app.command(context_settings=EXTRA_ARGS)(hyperopt)


_register_hyperopt()
