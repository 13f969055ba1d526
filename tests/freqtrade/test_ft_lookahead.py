"""The look-ahead check of Freqtrade strategies: clean ones pass, seeded leaks are caught and
refuse `genesis freqtrade hyperopt` (exit 2) unless --allow-lookahead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ftio_support import project, settings_of, strategy_source, write_strategy
from hyperopt_support import ft_config_dict, ft_project

from genesis.freqtrade.loading import load_strategy
from genesis.freqtrade.lookahead import CutMemo, check_lookahead, cut_points, first_difference
from genesis.freqtrade.signals import SignalSource

INFORMATIVE_CLEAN = """
def informative_pairs(self):
    return [("ETH/USDT", "4h")]

def populate_indicators(self, dataframe, metadata):
    dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
    eth = self.dp.get_pair_dataframe("ETH/USDT", "4h")
    eth["eth"] = eth["close"]
    from freqtrade.strategy import merge_informative_pair
    dataframe = merge_informative_pair(dataframe, eth[["date", "eth"]], "1h", "4h", ffill=True)
    dataframe["eth_ma"] = dataframe["eth_4h"].rolling(3).mean()
    return dataframe

def populate_entry_trend(self, dataframe, metadata):
    dataframe.loc[
        (dataframe["rsi"] < self.buy_rsi.value) | (dataframe["eth_4h"] > dataframe["eth_ma"]),
        ["enter_long", "enter_tag"],
    ] = (1, "rsi_or_eth")
    return dataframe
"""

_ENTRY = """
def populate_entry_trend(self, dataframe, metadata):
    dataframe.loc[{condition}, "enter_long"] = 1
    return dataframe

def populate_exit_trend(self, dataframe, metadata):
    dataframe["exit_long"] = 0
    return dataframe
"""


def _leak(indicator: str, condition: str) -> str:
    body = (
        "def populate_indicators(self, dataframe, metadata):\n"
        f"    {indicator}\n"
        "    return dataframe\n"
    )
    return body + _ENTRY.format(condition=condition)


LEAKS: dict[str, str] = {
    "shift(-1)": _leak(
        'dataframe["nxt"] = dataframe["close"].shift(-1)',
        'dataframe["nxt"] > dataframe["close"]',
    ),
    "centred rolling window": _leak(
        'dataframe["mid"] = dataframe["close"].rolling(9, center=True).mean()',
        'dataframe["close"] < dataframe["mid"]',
    ),
    "whole-frame normalisation": _leak(
        'dataframe["z"] = (dataframe["close"] - dataframe["close"].mean()) '
        '/ dataframe["close"].std()',
        'dataframe["z"] < -0.3',
    ),
    "future high": _leak(
        'dataframe["top"] = dataframe["high"].rolling(5).max().shift(-4)',
        'dataframe["top"] > dataframe["close"] * 1.01',
    ),
    "back-filled warm-up": _leak(
        'dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14).bfill()',
        'dataframe["rsi"] > 0',
    ),
    "fixed later row": _leak(
        'dataframe["late"] = dataframe["close"].iloc[550]',
        'dataframe["close"] > dataframe["late"]',
    ),
    "informative merge without the shift": """
def informative_pairs(self):
    return [("ETH/USDT", "4h")]

def populate_indicators(self, dataframe, metadata):
    eth = self.dp.get_pair_dataframe("ETH/USDT", "4h")[["date", "close"]]
    eth = eth.rename(columns={"close": "eth"})
    dataframe = dataframe.merge(eth, on="date", how="left")
    dataframe["eth"] = dataframe["eth"].ffill()
    dataframe["eth_up"] = dataframe["eth"] > dataframe["eth"].shift(4)
    return dataframe
"""
    + _ENTRY.format(condition='dataframe["eth_up"]'),
}


def _source(tmp_path: Path, extra: str) -> SignalSource:
    paths = project(tmp_path, timeframes=("1h", "4h"))
    write_strategy(paths["strategy_path"], extra=extra)
    settings = settings_of(paths)
    return SignalSource(load_strategy(settings), settings, None)


def test_a_clean_strategy_with_an_informative_merge_passes(tmp_path: Path) -> None:
    source = _source(tmp_path, INFORMATIVE_CLEAN)
    before = source.pair_frames()[0].frame.copy()
    found = check_lookahead(source, [{}, {"buy_rsi": 45}])
    assert found["found"] is False and found["checked"] is True, found["detail"]
    assert found["params_checked"] == 2 and found["cuts"] >= 16
    assert set(found) >= {"detail", "elapsed_s", "warmup_needed", "warmup_given"}
    assert source.parameters()[0][1].value == 30  # the check leaves the defaults in place
    pd.testing.assert_frame_equal(source.pair_frames()[0].frame, before)


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_seeded_lookahead_bugs_are_caught(tmp_path: Path, name: str) -> None:
    found = check_lookahead(_source(tmp_path, LEAKS[name]), [{}])
    assert found["params_checked"] == 1 and found["found"] is True, name
    detail = found["detail"]
    assert detail.startswith(("BTC/USDT: ", "ETH/USDT: "))
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", detail), detail
    if name == "fixed later row":
        assert "fails when the data ends" in detail
    else:
        assert "column 'enter_long'" in detail


def test_a_second_check_of_the_run_reuses_the_cut_indicators(tmp_path: Path) -> None:
    counting = """
calls = []

def populate_indicators(self, dataframe, metadata):
    self.calls.append(len(dataframe))
    dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
    return dataframe
"""
    source = _source(tmp_path, counting)
    memo = CutMemo()
    strategy = source._strategy
    strategy.calls.clear()
    first = check_lookahead(source, [{}], memo=memo)
    assert len(strategy.calls) == first["cuts"] > 0
    again = check_lookahead(source, [{"buy_rsi": 45}], memo=memo)
    assert again["found"] is False and len(strategy.calls) == first["cuts"]
    check_lookahead(source, [{}], memo=CutMemo(budget=0))  # nothing kept: computed again
    assert len(strategy.calls) == 2 * first["cuts"]


def test_the_leak_names_the_first_differing_date() -> None:
    dates = pd.date_range("2024-01-01", periods=6, freq="h", tz="UTC")
    full = pd.DataFrame({"date": dates, "enter_long": [0, 1, 1, float("nan"), 0, 1]})
    part = full.iloc[:5].copy()
    assert first_difference(full, part) is None  # NaN equals NaN
    part.loc[3, "enter_long"] = 1
    part["enter_tag"] = None
    assert first_difference(full, part) == ("enter_tag", 0)  # a column only the cut has
    del part["enter_tag"]
    assert first_difference(full, part) == ("enter_long", 3)


def test_cuts_cover_the_data_and_the_warm_up() -> None:
    regular, early = cut_points(1000, startup=40)
    assert len(regular) == 16 and regular[0] == 300 and regular[-1] == 999
    assert early == [20, 40, 100]
    pairs = [cut_points(1000, startup=40, pair_index=i, n_pairs=3) for i in range(3)]
    assert [len(r) for r, _ in pairs] == [6, 6, 6] and [e for _, e in pairs[1:]] == [[], []]
    assert len({c for r, _ in pairs for c in r}) == 18  # the pairs' cuts interleave
    assert pairs[0][0][0] == 300 and pairs[2][0][-1] == 999


def _run(project_paths: dict[str, Any], out: Path, *extra: str) -> list[str]:
    return [
        "freqtrade", "hyperopt", "-c", str(project_paths["config"]), "--strategy",
        "RsiStrategy", "--strategy-path", str(project_paths["strategy_path"]), "--datadir",
        str(project_paths["datadir"]), "--hyperopt-loss", "SharpeHyperOptLoss", "--spaces",
        "buy", "-e", "3", "--disable-param-export", "--out", str(out), *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_a_leak_refuses_the_hyperopt_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from genesis.cli._app import main

    paths = ft_project(tmp_path / "ft")
    paths["strategy_file"].write_text(strategy_source(extra=LEAKS["shift(-1)"]))
    with pytest.raises(SystemExit) as stopped:
        main(_run(paths, tmp_path / "out"))
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "looks ahead" in error and "BTC/USDT" in error and "'enter_long'" in error
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", error) and "--allow-lookahead" in error
    with pytest.raises(SystemExit) as finished:
        main(_run(paths, tmp_path / "out", "--allow-lookahead", "--study", "allowed"))
    assert finished.value.code in (0, None)
    verdict = next(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("VERDICT: ")
    )
    assert "looks ahead (BTC/USDT: column 'enter_long' at " in verdict
    assert not verdict.startswith("VERDICT: candidate")


_LEAK_ABOVE_40 = """
def populate_indicators(self, dataframe, metadata):
    dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
    dataframe["nxt"] = dataframe["close"].shift(-1)
    return dataframe

def populate_entry_trend(self, dataframe, metadata):
    peek = (dataframe["nxt"] > dataframe["close"]) if self.buy_rsi.value > 40 else False
    dataframe.loc[(dataframe["rsi"] < self.buy_rsi.value) | peek, "enter_long"] = 1
    return dataframe
"""


def test_guard_and_recheck_run_the_check_on_a_freqtrade_problem(tmp_path: Path) -> None:
    from genesis.config import config_from_dict
    from genesis.freqtrade.hyperopt import build_ft_problem
    from genesis.optimizer.lookahead import guard, recheck

    paths = ft_project(tmp_path / "ft")
    paths["strategy_file"].write_text(strategy_source(extra=_LEAK_ABOVE_40))
    problem = build_ft_problem(config_from_dict(ft_config_dict(paths, tmp_path / "out")))
    checked = guard(problem, allowed=False)  # the defaults (buy_rsi 30) do not peek
    assert checked.lookahead["checked"] is True and checked.lookahead["found"] is False
    assert recheck(problem, [{"buy_rsi": 35}]) is None
    found = recheck(problem, [{"buy_rsi": 45}])  # the search's choice does
    assert found is not None and "'buy_rsi': 45" in found["detail"]
    assert "column 'enter_long'" in found["detail"]
