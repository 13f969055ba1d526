"""Benchmark: one Freqtrade backtest in freqtrade 2026.9 and in genesis, then parity rows.

Run on demand (not part of the tests)::

    PYTHONPATH=src .venv/bin/python bench/freqtrade.py [--data DIR] [--repeats N]

Speed, in one process, on the same synthetic candles (one pair, 5m) and Freqtrade's own
``SampleStrategy`` (its template file, unchanged):

* freqtrade *loop*: ``Backtesting.backtest`` on the analyzed frames (what a hyperopt epoch
  runs: signals, shift, the per-candle loop, the trade list);
* freqtrade *command*: ``Backtesting.start()`` (data loading, indicators, loop, stats), as
  ``freqtrade backtesting`` runs it after the configuration;
* genesis *run_backtest*: on frames whose signals and price ticks are ready (hyperopt's
  per-trial cost when only ROI/stoploss/trailing change);
* genesis *+ signals*: ``ft_advise_signals`` on cached indicators, then run_backtest;
* genesis *+ indicators*: ``advise_all_indicators`` too.

Freqtrade runs offline with its markets patched (``tests/freqtrade/reference.py``, the parity
tests' harness). Then, when the real candles exist (``<data>/tBTCUSD_1h_bitfinex.csv`` and
``<data>/binance-5m-2018/``; ``--data`` defaults to ``../shared/data`` next to the repo),
one parity row per case: trade counts, identical share and total profit difference.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from _common import median_ms  # before bench/ leaves the import path, below

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the package it measures: drop bench/ from the import path so that
# `import freqtrade` finds Freqtrade, and add the parity tests' harness.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
sys.path.insert(0, str(ROOT / "tests" / "freqtrade"))

import reference as ref  # noqa: E402  (the parity tests' Freqtrade harness)

from genesis.freqtrade.backtest import PairFrame, price_ticks, run_backtest  # noqa: E402
from genesis.freqtrade.rules import ExitRules, Market, Wallet  # noqa: E402

SPEED_CANDLES = 57_600  # 200 days of 5m candles
RULES_FILE = ROOT / "tests" / "freqtrade" / "strategies" / "rule_strategies.py"
LEGACY_FILE = ROOT / "tests" / "freqtrade" / "strategies" / "legacy_strategy.py"
BITFINEX_CASES = [
    ("SampleStrategy", None),
    ("RoiSteps", RULES_FILE),
    ("TrailingOffset", RULES_FILE),
    ("TrailingPlain", RULES_FILE),
    ("ExitProfitOnly", RULES_FILE),
    ("CustomStop", RULES_FILE),
    ("CustomExit", RULES_FILE),
    ("LegacyApi", LEGACY_FILE),
]


def sample_strategy_file() -> Path:
    import freqtrade

    return Path(freqtrade.__file__).parent / "templates" / "sample_strategy.py"


def quiet() -> None:
    """Silence Freqtrade's logging (it logs every setting at INFO)."""
    logging.disable(logging.WARNING)


def _setup(tmp: Path, strategy_file: Path, strategy: str, pairs: Sequence[str],
           timeframe: str, wallet: Wallet, **extra: Any) -> dict[str, Any]:  # fmt: skip
    return ref.ft_config(tmp, strategy_file, strategy, pairs, timeframe, wallet, **extra)


def speed(repeats: int) -> list[str]:
    """The one-backtest timings and their ratios, as Markdown rows."""
    pair, wallet = "BTC/USDT", Wallet(max_open_trades=1, stake_amount=None)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        candles = ref.synthetic_candles(SPEED_CANDLES, seed=11, timeframe="5m", price=100.0)
        ref.write_candles(tmp / "data", pair, "5m", candles)
        config = _setup(tmp, sample_strategy_file(), "SampleStrategy", [pair], "5m", wallet)
        ft = ref.run_freqtrade(config, wallet)  # warm-up, and the trades to compare
        timings = _freqtrade_timings(config, wallet, repeats)
        genesis, trades = _genesis_timings(ft, candles, pair, wallet, repeats * 10)
    parity = ref.compare(ft.trades, trades)
    ft_loop, ft_command = timings
    g_run, g_signals, g_indicators = genesis
    return [
        f"SampleStrategy, {SPEED_CANDLES:,} synthetic 5m candles, 1 pair, stake unlimited; "
        f"trades freqtrade {parity.n_freqtrade} / genesis {parity.n_genesis}, identical "
        f"{100 * parity.identical_share:.2f} %; medians of {repeats} (freqtrade) and "
        f"{repeats * 10} (genesis) runs\n",
        "| what | freqtrade 2026.9 (ms) | genesis (ms) | freqtrade / genesis |",
        "|---|---:|---:|---:|",
        f"| loop vs run_backtest | {ft_loop:,.1f} | {g_run:.2f} | {ft_loop / g_run:,.0f}x |",
        f"| loop vs + signals | {ft_loop:,.1f} | {g_signals:.2f} | {ft_loop / g_signals:,.0f}x |",
        f"| command vs + indicators | {ft_command:,.1f} | {g_indicators:.2f} "
        f"| {ft_command / g_indicators:,.0f}x |",
    ]


def _freqtrade_timings(config: dict[str, Any], wallet: Wallet, repeats: int) -> tuple[float, float]:
    from freqtrade.data.converter import trim_dataframes
    from freqtrade.data.history import get_timerange
    from freqtrade.optimize.backtesting import Backtesting

    pairs = config["exchange"]["pair_whitelist"]
    with ref.offline_markets(ref.markets(pairs)):
        backtesting = Backtesting(config)
        data, timerange = backtesting.load_bt_data()
        strategy = backtesting.strategylist[0]
        backtesting._set_strategy(strategy)
        analyzed = strategy.advise_all_indicators(data)
        start, end = get_timerange(
            trim_dataframes(analyzed, timerange, backtesting.required_startup)
        )
        copies = [{p: f.copy() for p, f in analyzed.items()} for _ in range(repeats)]
        loop_ms = median_ms(
            lambda: backtesting.backtest(processed=copies.pop(), start_date=start, end_date=end),
            repeats,
        )

        def command() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                Backtesting(config).start()

        command_ms = median_ms(command, repeats)
    return loop_ms, command_ms


def _genesis_timings(ft: ref.Reference, candles: pd.DataFrame, pair: str, wallet: Wallet,
                     repeats: int) -> tuple[tuple[float, float, float], pd.DataFrame]:  # fmt: skip
    strategy = ft.strategy
    rules = ExitRules.from_strategy(strategy)
    market = Market(amount_step=ref.AMOUNT_STEP)
    frame = ft.frames[pair]
    ticks = price_ticks(frame)
    indicators = strategy.advise_all_indicators({pair: frame[candles.columns].copy()})[pair]
    frames = [PairFrame(pair, frame, market, ticks)]
    result = run_backtest(frames, rules, wallet, start=ft.start, startup_candles=ft.startup_candles)

    def with_signals(ind: pd.DataFrame) -> object:
        signals = strategy.ft_advise_signals(ind.copy(), {"pair": pair})
        return run_backtest(
            [PairFrame(pair, signals, market, ticks)], rules, wallet, start=ft.start
        )

    def with_indicators() -> object:
        raw = {pair: frame[candles.columns].copy()}
        return with_signals(strategy.advise_all_indicators(raw)[pair])

    run_ms = median_ms(
        lambda: run_backtest(
            frames, rules, wallet, start=ft.start, startup_candles=ft.startup_candles
        ),
        repeats,
    )
    signals_ms = median_ms(lambda: with_signals(indicators), repeats)
    indicators_ms = median_ms(with_indicators, max(repeats // 4, 3))
    return (run_ms, signals_ms, indicators_ms), result.trades


def _parity_row(label: str, config: dict[str, Any], wallet: Wallet) -> str:
    ft = ref.run_freqtrade(config, wallet)
    result = run_backtest(
        ft.pair_frames(), ExitRules.from_strategy(ft.strategy), wallet, strategy=ft.strategy,
        start=ft.start, startup_candles=ft.startup_candles,
    )  # fmt: skip
    parity = ref.compare(ft.trades, result.trades)
    verdict = "pass" if parity.passes() else "FAIL"
    return (
        f"| {label} | {parity.n_genesis} / {parity.n_freqtrade} "
        f"| {100 * parity.identical_share:.2f} | {parity.profit_diff_pct:.4f} | {verdict} |"
    )


def bitfinex_rows(csv: Path) -> list[str]:
    """Parity on Bitfinex BTC/USD 1h, 2016-08-11 to 2019-12-31, one pair."""
    raw = pd.read_csv(csv)
    raw["date"] = pd.to_datetime(raw.pop("timestamp"), utc=True)
    wallet = Wallet(max_open_trades=1, stake_amount=None)
    rows = []
    for strategy, file in BITFINEX_CASES:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            ref.write_candles(tmp / "data", "BTC/USD", "1h", raw)
            config = _setup(
                tmp, file or sample_strategy_file(), strategy, ["BTC/USD"], "1h", wallet,
                timerange="20160811-20200101",
            )  # fmt: skip
            rows.append(_parity_row(f"BTC/USD 1h {strategy}", config, wallet))
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def binance_rows(folder: Path) -> list[str]:
    """Parity on the ten Binance 5m pairs of 2018 with 3 slots (SampleStrategy)."""
    files = sorted(folder.glob("*-5m.feather"))
    pairs = [f.name.removesuffix("-5m.feather").replace("_", "/") for f in files]
    rows = []
    for stake in (None, 0.05):
        wallet = Wallet(max_open_trades=3, stake_amount=stake, dry_run_wallet=1.0)
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            for pair, file in zip(pairs, files, strict=True):
                ref.write_candles(tmp / "data", pair, "5m", pd.read_feather(file))
            config = _setup(tmp, sample_strategy_file(), "SampleStrategy", pairs, "5m", wallet)
            label = f"Binance 10 pairs 5m, 3 slots, stake {stake or 'unlimited'}"
            rows.append(_parity_row(label, config, wallet))
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def main() -> None:
    """Print the speed table, then the parity rows on real data (or say it is absent)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    quiet()
    print("\n".join(speed(args.repeats)))
    rows = ["| case | trades genesis / freqtrade | identical % | profit diff % | criteria |",
            "|---|---:|---:|---:|---|"]  # fmt: skip
    bitfinex = args.data / "tBTCUSD_1h_bitfinex.csv"
    binance = args.data / "binance-5m-2018"
    print("\nParity on real candles:\n")
    if not bitfinex.exists() and not binance.is_dir():
        print(f"(no real candles: {bitfinex} and {binance} are absent; pass --data DIR)")
        return
    if bitfinex.exists():
        rows += bitfinex_rows(bitfinex)
    else:
        print(f"({bitfinex} is absent: no Bitfinex rows)")
    if binance.is_dir():
        rows += binance_rows(binance)
    else:
        print(f"({binance} is absent: no Binance rows)")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
