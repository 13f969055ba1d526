"""The look-ahead check compares a strategy's exit rules too: they must not depend on the end."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from genesis.engine import ExitRules, Signals
from genesis.features import Features
from genesis.strategy.base import ParamSpec, ParamValue
from genesis.strategy.lookahead import check_lookahead

from .conftest import random_walk_candles

CANDLES = random_walk_candles(600, seed=4)


class _RulesStrategy:
    """EMA cross with a ROI table that is either fixed or taken from the last close."""

    name = "rules_probe"
    version = "1"
    params: Mapping[str, ParamSpec] = {"peek": ParamSpec("bool", False)}

    def signals(self, features: Features, params: Mapping[str, ParamValue]) -> Signals:
        fast, slow = features.ema(5), features.ema(20)
        above = np.nan_to_num(fast - slow) > 0
        # the leak: a target scaled by where the data ends (the last close of the data)
        target = float(features.close[-1] / features.close[0]) / 100 if params["peek"] else 0.02
        rules = ExitRules(roi=((0, 0.05), (10, target)), stop_loss_frac=0.03)
        return Signals(entry_long=above, exit_long=~above, exit_rules=rules)


def test_fixed_exit_rules_pass_the_check() -> None:
    report = check_lookahead(_RulesStrategy(), CANDLES, [{"peek": False}])
    assert report.n_params == 1 and not report.found


def test_exit_rules_that_depend_on_the_end_of_the_data_are_a_leak() -> None:
    report = check_lookahead(_RulesStrategy(), CANDLES, [{"peek": True}])
    assert report.found
    leak = report.leaks[0]
    assert (leak.signal, leak.bar) == ("exit_rules", 0)
