"""Strategy files and Freqtrade objects for the hyperopt tests (space, loss, hyperopt).

The tests write their own strategy files and load them with Freqtrade's own resolver, in
hyperopt mode, the way ``freqtrade hyperopt`` does.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

PARAM_STRATEGY = """
from freqtrade.strategy import (
    BooleanParameter, CategoricalParameter, DecimalParameter, IntParameter, IStrategy,
    RealParameter,
)
from freqtrade.optimize.space import SKDecimal


class ParamStrategy(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1h"
    minimal_roi = {"0": 0.1, "60": 0.05}
    stoploss = -0.1
    buy_params = {"buy_rsi": 25, "buy_locked": 4}
    sell_params = {"sell_kind": "c"}
    buy_rsi = IntParameter(10, 40, default=30)
    buy_frac = DecimalParameter(0.1, 0.5, decimals=2, default=0.2)
    buy_fixed = IntParameter(1, 5, default=3, optimize=False)
    buy_locked = IntParameter(1, 9, default=2, load=False)
    sell_real = RealParameter(0.0, 1.0, default=0.5, space="sell")
    sell_kind = CategoricalParameter(["a", "b", "c"], default="b")
    sell_on = BooleanParameter(default=True)
    window = IntParameter(5, 50, default=20, space="enter")
    {extra}

    def populate_indicators(self, dataframe, metadata):
        return dataframe

    def populate_entry_trend(self, dataframe, metadata):
        dataframe["enter_long"] = 0
        return dataframe

    def populate_exit_trend(self, dataframe, metadata):
        dataframe["exit_long"] = 0
        return dataframe
"""

NESTED_HYPEROPT = """
    class HyperOpt:
        def stoploss_space():
            return [SKDecimal(-0.2, -0.05, decimals=2, name="stoploss")]

        def generate_roi_table(params):
            return {0: params["roi_p1"], params["roi_t1"]: 0}
"""


def write_strategy(directory: Path, *, extra: str = "", name: str = "param_strategy") -> Path:
    """Write ``ParamStrategy`` (plus ``extra`` class body lines) to ``directory``."""
    body = PARAM_STRATEGY.replace(
        "{extra}", textwrap.indent(textwrap.dedent(extra), "    ").strip()
    )
    path = directory / f"{name}.py"
    path.write_text(body)
    return path


def ft_config(directory: Path, strategy: str, **extra: Any) -> dict[str, Any]:
    """A Freqtrade config dict for hyperopt on ``BTC/USDT`` with the strategy in ``directory``."""
    from freqtrade.enums import RunMode

    config: dict[str, Any] = {
        "strategy": strategy,
        "strategy_path": str(directory),
        "user_data_dir": directory,
        "stake_currency": "USDT",
        "stake_amount": 100,
        "dry_run": True,
        "dry_run_wallet": 1000,
        "max_open_trades": 2,
        "runmode": RunMode.HYPEROPT,
        "timeframe": "1h",
        "spaces": ["default"],
        "exchange": {"name": "binance", "pair_whitelist": ["BTC/USDT"]},
        "pairlists": [{"method": "StaticPairList"}],
        "entry_pricing": {},
        "exit_pricing": {},
    }
    config.update(extra)
    return config


def load(directory: Path, strategy: str = "ParamStrategy", **extra: Any) -> Any:
    """The strategy loaded by Freqtrade's ``StrategyResolver`` in hyperopt mode."""
    from freqtrade.resolvers import StrategyResolver

    return StrategyResolver.load_strategy(ft_config(directory, strategy, **extra))


def ft_project(
    tmp_path: Path, pairs: tuple[str, ...] = ("BTC/USDT", "ETH/USDT"), n_bars: int = 900
) -> dict[str, Any]:
    """ft-io's RSI project (config, strategy, data) with prices on a 0.01 tick."""
    from ftio_support import candle_frame, project, write_candles

    paths = project(tmp_path, pairs)
    for seed, pair in enumerate(pairs, start=1):
        frame = candle_frame(pair, n_bars=n_bars, seed=seed)
        prices = ["open", "high", "low", "close"]
        frame[prices] = frame[prices].round(2)
        write_candles(paths["datadir"], pair, frame=frame)
    paths["strategy_file"] = paths["strategy_path"] / "rsistrategy.py"
    return paths


def ft_config_dict(paths: dict[str, Any], out: Path, **sections: Any) -> dict[str, Any]:
    """A genesis config naming the project's RsiStrategy (``sections`` merged in)."""
    config: dict[str, Any] = {
        "strategy": {"name": f"{paths['strategy_file']}:RsiStrategy"},
        "freqtrade": {
            "config": [str(paths["config"])],
            "datadir": str(paths["datadir"]),
            "spaces": ["buy", "sell", "roi", "stoploss"],
        },
        "score": {"objectives": ["loss:SharpeHyperOptLoss"]},
        "optimizer": {"n_trials": 12, "seed": 7},
        "output_dir": str(out),
    }
    for name, value in sections.items():
        config[name] = {**config.get(name, {}), **value} if isinstance(value, dict) else value
    return config
