"""Benchmark: `genesis freqtrade hyperopt` against `freqtrade hyperopt`, same everything.

Run on demand (not part of the tests)::

    PYTHONPATH=src .venv/bin/python bench/freqtrade_hyperopt.py [--data DIR] [--epochs 60]

Both commands run as a user runs them, each in a fresh process (start-up included), one
worker (``-j 1``), on the same data directory, config file, strategy file (Freqtrade's own
``SampleStrategy`` template, unchanged), spaces (``default``: buy sell roi stoploss), loss
(``SharpeHyperOptLoss``) and ``--random-state``. Freqtrade runs offline with its markets
patched in, as its own tests do (``tests/freqtrade/reference.py``); genesis needs no network.
Each genesis run gets a fresh results directory, so its result cache and indicator cache
start empty, like Freqtrade's.

Figures:

* *whole command*: wall time of the command at ``--epochs`` epochs (start-up, data loading,
  indicators, every epoch, the summary and the parameter file);
* *per epoch*: ``(T(epochs) - T(short)) / (epochs - short)``: what one more epoch costs once
  the command runs, the same way for both tools (``--short`` epochs, default 20).

Data: ``<data>/tBTCUSD_1h_bitfinex.csv`` (BTC/USD 1h, 2017-01-01 to 2018-12-31 traded, the
candles before warm the indicators up) when present, with ``--data`` defaulting to
``../shared/data`` next to the repository; otherwise seeded synthetic 1h candles of the same
length, and the table says so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
# bench/freqtrade.py is named like the package: keep bench/ off the import path so that
# `import freqtrade` finds Freqtrade.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
PYTHON = sys.executable
PAIR = "BTC/USD"
TIMERANGE = "20170101-20190101"
LOSS = "SharpeHyperOptLoss"
SEED = "1"

_FREQTRADE = """
import sys
sys.path.insert(0, {harness!r})
import reference
from freqtrade.main import main
with reference.offline_markets(reference.markets([{pair!r}])):
    try:
        main({args!r})
    except SystemExit as stop:
        sys.exit(stop.code)
"""

_GENESIS = """
import sys
import typer
from genesis.cli._app import main
from genesis.cli import freqtrade as group
if "hyperopt" not in {{c.name or c.callback.__name__ for c in group.app.registered_commands}}:
    from genesis.cli._freqtrade_hyperopt import hyperopt
    group.app.command(context_settings=group._EXTRA_ARGS)(hyperopt)
main({args!r})
"""


def write_project(tmp: Path, data: Path | None) -> tuple[Path, str]:
    """A Freqtrade user directory (config, SampleStrategy, candles); and the data's name."""
    import freqtrade

    user = tmp / "user_data"
    (user / "strategies").mkdir(parents=True)
    template = Path(freqtrade.__file__).parent / "templates" / "sample_strategy.py"
    shutil.copy(template, user / "strategies" / "sample_strategy.py")
    datadir = user / "data"
    datadir.mkdir()
    frame, label = _candles(data)
    frame.reset_index(drop=True).to_feather(datadir / "BTC_USD-1h.feather")
    config = {
        "max_open_trades": 1, "stake_currency": "USD", "stake_amount": "unlimited",
        "tradable_balance_ratio": 0.99, "dry_run_wallet": 1000, "dry_run": True,
        "fee": 0.001, "timeframe": "1h", "trading_mode": "spot",
        "exchange": {"name": "binance", "pair_whitelist": [PAIR], "pair_blacklist": []},
        "pairlists": [{"method": "StaticPairList"}],
        "entry_pricing": {"price_side": "same", "use_order_book": False},
        "exit_pricing": {"price_side": "same", "use_order_book": False},
        "dataformat_ohlcv": "feather",
        "genesis": {"default_market": {"amount_step": 1e-5}},
    }  # fmt: skip
    path = tmp / "config.json"
    path.write_text(json.dumps(config, indent=2))
    return path, label


def _candles(data: Path | None) -> tuple[pd.DataFrame, str]:
    csv = None if data is None else data / "tBTCUSD_1h_bitfinex.csv"
    if csv is not None and csv.is_file():
        frame = pd.read_csv(csv)
        frame["date"] = pd.to_datetime(frame.pop("timestamp"), utc=True)
        frame = frame[(frame.date >= "2016-09-01") & (frame.date < "2019-01-01")]
        cols = ["date", "open", "high", "low", "close", "volume"]
        return frame[cols], f"{csv.name} (BTC/USD 1h, {len(frame):,} candles)"
    sys.path.insert(0, str(ROOT / "tests" / "freqtrade"))
    import reference

    frame = reference.synthetic_candles(20_000, seed=3, timeframe="1h", start="2016-09-01")
    return frame, f"synthetic 1h candles ({len(frame):,}; {csv} not found)"


def common_args(config: Path, tmp: Path, epochs: int) -> list[str]:
    user = tmp / "user_data"
    return [
        "hyperopt", "-c", str(config), "--userdir", str(user), "--strategy", "SampleStrategy",
        "--strategy-path", str(user / "strategies"), "--datadir", str(user / "data"),
        "--timerange", TIMERANGE, "--hyperopt-loss", LOSS, "--spaces", "default",
        "-e", str(epochs), "-j", "1", "--random-state", SEED, "--disable-param-export",
    ]  # fmt: skip


def timed(script: str, env: dict[str, str]) -> float:
    """Wall time of ``python -c script`` (it must exit 0)."""
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"command failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed


def freqtrade_run(config: Path, tmp: Path, epochs: int) -> float:
    args = common_args(config, tmp, epochs)
    harness = str(ROOT / "tests" / "freqtrade")
    script = _FREQTRADE.format(harness=harness, pair=PAIR, args=args)
    return timed(script, _env())


def genesis_run(config: Path, tmp: Path, epochs: int, out: Path) -> float:
    args = ["freqtrade", *common_args(config, tmp, epochs), "--out", str(out)]
    return timed(_GENESIS.format(args=args), _env())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


def measure(config: Path, tmp: Path, epochs: int, short: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    runs = iter(range(100))
    for name, run in (
        ("freqtrade", lambda e: freqtrade_run(config, tmp, e)),
        ("genesis", lambda e: genesis_run(config, tmp, e, tmp / f"results_{next(runs)}")),
    ):
        run(2)  # warm the OS file cache and numba's on-disk compile cache
        long_s, short_s = run(epochs), run(short)
        results[name] = {
            "whole_s": long_s,
            "short_s": short_s,
            "per_epoch_s": max(long_s - short_s, 1e-9) / (epochs - short),
        }
    return results


def table(results: dict[str, dict[str, float]], epochs: int, short: int, label: str) -> str:
    ft, gen = results["freqtrade"], results["genesis"]
    rows = [
        f"data: {label}; SampleStrategy, spaces default, {LOSS}, -j 1",
        "",
        "| measure | freqtrade 2026.9 | genesis | genesis faster |",
        "|---|---|---|---|",
        f"| whole command, {epochs} epochs | {ft['whole_s']:.2f} s | {gen['whole_s']:.2f} s "
        f"| {ft['whole_s'] / gen['whole_s']:.1f}x |",
        f"| whole command, {short} epochs | {ft['short_s']:.2f} s | {gen['short_s']:.2f} s "
        f"| {ft['short_s'] / gen['short_s']:.1f}x |",
        f"| per epoch ({epochs} vs {short}) | {1000 * ft['per_epoch_s']:.1f} ms "
        f"| {1000 * gen['per_epoch_s']:.2f} ms "
        f"| {ft['per_epoch_s'] / gen['per_epoch_s']:.0f}x |",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--short", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="genesis-ft-hyperopt-") as name:
        tmp = Path(name)
        config, label = write_project(tmp, args.data if args.data.is_dir() else None)
        results: Any = measure(config, tmp, args.epochs, args.short)
    print(table(results, args.epochs, args.short, label))


if __name__ == "__main__":
    main()
