"""Benchmark: `genesis freqtrade hyperopt` against `freqtrade hyperopt`, same everything.

Run on demand (not part of the tests)::

    PYTHONPATH=src .venv/bin/python bench/freqtrade_hyperopt.py [--data DIR] [--epochs 60]

(``--data`` defaults to ``../shared/data`` next to the repository.)

Both commands run as a user runs them, each in a fresh process (start-up included), one
worker (``-j 1``), on the same data directory, config file, strategy file (Freqtrade's own
``SampleStrategy`` template, unchanged), spaces (``default``: buy sell roi stoploss), loss
(``SharpeHyperOptLoss``) and ``--random-state``. Freqtrade runs offline with its markets
patched in, as its own tests do (``tests/freqtrade/reference.py``); genesis needs no network.
Each genesis run gets a fresh results directory, so its result cache and indicator cache
start empty, like Freqtrade's.

Figures:

* *whole command*: wall time of the command at ``--epochs`` epochs (start-up, data loading,
  indicators, every epoch, the summary);
* *per epoch*: the median time of one epoch inside that command: Freqtrade's
  ``HyperOptimizer.generate_optimizer`` call (parameters set, signals, backtest, stats,
  loss; timed by wrapping it), genesis's trial from ask to tell (``trials.csv``
  ``duration_s``: parameters suggested, signals, backtest, metrics, loss, storage) over the
  trials that ran a backtest (a repeated proposal answered from memory would flatter it).

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
import statistics
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
import json, sys, time
sys.path.insert(0, {harness!r})
import reference
from freqtrade.main import main
from freqtrade.optimize.hyperopt.hyperopt_optimizer import HyperOptimizer
epochs = []
original = HyperOptimizer.generate_optimizer
def timed(self, params):
    started = time.perf_counter()
    try:
        return original(self, params)
    finally:
        epochs.append(time.perf_counter() - started)
HyperOptimizer.generate_optimizer = timed
with reference.offline_markets(reference.markets([{pair!r}])):
    try:
        main({args!r})
    except SystemExit as stop:
        code = stop.code
print("EPOCHS " + json.dumps(epochs))
sys.exit(code)
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


def write_project(tmp: Path, data: Path) -> tuple[Path, str]:
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


def _candles(data: Path) -> tuple[pd.DataFrame, str]:
    csv = data / "tBTCUSD_1h_bitfinex.csv"
    if csv.is_file():
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


def timed(script: str, env: dict[str, str]) -> tuple[float, str]:
    """Wall time and output of ``python -c script`` (it must exit 0)."""
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"command failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def freqtrade_run(config: Path, tmp: Path, epochs: int) -> tuple[float, list[float]]:
    """The command's wall time and each epoch's time."""
    args = common_args(config, tmp, epochs)
    harness = str(ROOT / "tests" / "freqtrade")
    script = _FREQTRADE.format(harness=harness, pair=PAIR, args=args)
    elapsed, output = timed(script, _env())
    line = next(x for x in output.splitlines() if x.startswith("EPOCHS "))
    return elapsed, json.loads(line.removeprefix("EPOCHS "))


def genesis_run(config: Path, tmp: Path, epochs: int, out: Path) -> tuple[float, list[float]]:
    """The command's wall time and the time of each trial that ran a backtest."""
    args = ["freqtrade", *common_args(config, tmp, epochs), "--out", str(out)]
    elapsed, _ = timed(_GENESIS.format(args=args), _env())
    trials = pd.read_csv(next(out.glob("*/trials.csv")))
    computed = trials[trials["cache_source"] == "computed"]
    return elapsed, computed["duration_s"].astype(float).tolist()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


def measure(config: Path, tmp: Path, epochs: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    runs = iter(range(100))
    for name, run in (
        ("freqtrade", lambda e: freqtrade_run(config, tmp, e)),
        ("genesis", lambda e: genesis_run(config, tmp, e, tmp / f"results_{next(runs)}")),
    ):
        run(2)  # warm the OS file cache (and numba's cache of what it can cache)
        whole_s, epoch_s = run(epochs)
        results[name] = {
            "whole_s": whole_s,
            "per_epoch_s": statistics.median(epoch_s),
            "n_epochs_timed": len(epoch_s),
        }
    return results


def table(results: dict[str, dict[str, float]], epochs: int, label: str) -> str:
    ft, gen = results["freqtrade"], results["genesis"]
    rows = [
        f"data: {label}; SampleStrategy, spaces default, {LOSS}, -j 1",
        "",
        "| measure | freqtrade 2026.9 | genesis | genesis faster |",
        "|---|---|---|---|",
        f"| whole command, {epochs} epochs | {ft['whole_s']:.2f} s | {gen['whole_s']:.2f} s "
        f"| {ft['whole_s'] / gen['whole_s']:.1f}x |",
        f"| per epoch (median of {ft['n_epochs_timed']:.0f} / {gen['n_epochs_timed']:.0f}) "
        f"| {1000 * ft['per_epoch_s']:.1f} ms | {1000 * gen['per_epoch_s']:.1f} ms "
        f"| {ft['per_epoch_s'] / gen['per_epoch_s']:.1f}x |",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="genesis-ft-hyperopt-") as name:
        tmp = Path(name)
        config, label = write_project(tmp, args.data)
        results: Any = measure(config, tmp, args.epochs)
    print(table(results, args.epochs, label))


if __name__ == "__main__":
    main()
