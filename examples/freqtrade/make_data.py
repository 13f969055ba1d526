"""Write synthetic 1h candles in Freqtrade's data layout (<BASE>_<QUOTE>-1h.feather).

Real users point genesis at the folder `freqtrade download-data` filled; this makes one
offline for the examples: `python examples/freqtrade/make_data.py user_data/data`.
"""

import sys
from pathlib import Path

import pandas as pd

from genesis.data import synthetic_candles

PAIRS = ("BTC/USDT", "ETH/USDT", "SOL/USDT")


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for seed, pair in enumerate(PAIRS, start=1):
        candles = synthetic_candles(symbol=pair, timeframe="1h", n_bars=6000, seed=seed)
        frame = pd.DataFrame(
            {
                "date": pd.to_datetime(candles.ts_ms, unit="ms", utc=True),
                "open": candles.open.round(2),
                "high": candles.high.round(2),
                "low": candles.low.round(2),
                "close": candles.close.round(2),
                "volume": candles.volume.round(3),
            }
        )
        frame.to_feather(folder / f"{pair.replace('/', '_')}-1h.feather")
        print(f"{pair}: {len(frame)} candles, {frame.date.iloc[0]} .. {frame.date.iloc[-1]}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "user_data/data"))
