"""load_settings: config files merged as Freqtrade merges them, flags applied, errors located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftio_support import base_config, project, settings_of, write_config

from genesis.errors import ConfigError
from genesis.freqtrade.rules import Market
from genesis.freqtrade.settings import DEFAULT_FEE, check_json_file, load_settings


def settings(tmp_path: Path, **flags: object):  # type: ignore[no-untyped-def]
    paths = project(tmp_path)
    return settings_of(paths, **flags), paths


def test_config_values_become_wallet_pairs_and_timeframe(tmp_path: Path) -> None:
    loaded, paths = settings(tmp_path)
    assert loaded.pairs == ("BTC/USDT", "ETH/USDT")
    assert loaded.timeframe == "1h"  # from the strategy: the config sets none
    assert loaded.strategy_name == "RsiStrategy"
    assert loaded.strategy_path == paths["strategy_path"] / "rsistrategy.py"
    assert loaded.datadir == paths["datadir"]
    wallet = loaded.wallet
    assert (wallet.max_open_trades, wallet.stake_amount) == (2, None)  # "unlimited"
    assert (wallet.dry_run_wallet, wallet.tradable_balance_ratio, wallet.fee) == (1000, 0.99, 0.001)
    assert loaded.markets == {"BTC/USDT": Market(), "ETH/USDT": Market()}


def test_flags_override_the_config(tmp_path: Path) -> None:
    loaded, _ = settings(
        tmp_path,
        timeframe="4h",
        fee=0.002,
        max_open_trades=5,
        stake_amount="100",
        dry_run_wallet=5000,
        timerange="20170101-20170201",
    )
    assert loaded.timeframe == "4h"
    assert loaded.timerange == "20170101-20170201"
    wallet = loaded.wallet
    assert (wallet.max_open_trades, wallet.stake_amount) == (5, 100.0)
    assert (wallet.dry_run_wallet, wallet.fee) == (5000.0, 0.002)


def test_unlimited_stake_flag_and_unlimited_slots(tmp_path: Path) -> None:
    paths = project(tmp_path, stake_amount=10, max_open_trades=-1)
    loaded = settings_of(paths)
    assert (loaded.wallet.max_open_trades, loaded.wallet.stake_amount) == (-1, 10.0)
    again = settings_of(paths, stake_amount="unlimited", max_open_trades=3)
    assert (again.wallet.max_open_trades, again.wallet.stake_amount) == (3, None)


def test_later_files_win_and_add_config_files_are_read(tmp_path: Path) -> None:
    paths = project(tmp_path)
    (tmp_path / "extra.json").write_text(json.dumps({"dry_run_wallet": 300}))
    second = write_config(
        tmp_path / "second.json",
        {"max_open_trades": 1, "fee": 0.0005, "add_config_files": ["extra.json"]},
    )
    loaded = settings_of(paths, second)
    assert (loaded.wallet.max_open_trades, loaded.wallet.fee) == (1, 0.0005)
    assert loaded.wallet.dry_run_wallet == 300
    assert loaded.config_files == (paths["config"], second)


def test_no_fee_anywhere_uses_the_documented_default(tmp_path: Path) -> None:
    config = base_config(["BTC/USDT"])
    del config["fee"]
    paths = project(tmp_path, pairs=("BTC/USDT",))
    write_config(paths["config"], config)
    loaded = settings_of(paths)
    assert loaded.wallet.fee == DEFAULT_FEE


def test_blacklist_removes_pairs(tmp_path: Path) -> None:
    paths = project(tmp_path, pairs=("BTC/USDT", "ETH/USDT"))
    config = base_config(["BTC/USDT", "ETH/USDT"])
    config["exchange"]["pair_blacklist"] = ["ETH/.*"]
    write_config(paths["config"], config)
    loaded = settings_of(paths)
    assert loaded.pairs == ("BTC/USDT",)


def test_markets_from_the_genesis_key(tmp_path: Path) -> None:
    paths = project(
        tmp_path,
        genesis={
            "markets": {"BTC/USDT": {"amount_step": 0.001, "price_step": 0.01, "min_stake": 5}},
            "default_market": {"amount_step": 0.1},
        },
    )
    loaded = settings_of(paths)
    assert loaded.markets["BTC/USDT"] == Market(amount_step=0.001, price_step=0.01, min_stake=5)
    assert loaded.markets["ETH/USDT"] == Market(amount_step=0.1)


def test_market_for_an_unknown_pair_says_did_you_mean(tmp_path: Path) -> None:
    paths = project(tmp_path, genesis={"markets": {"BTC/USTD": {"amount_step": 0.001}}})
    with pytest.raises(ConfigError) as caught:
        settings_of(paths)
    assert str(paths["config"]) in str(caught.value)
    assert "genesis.markets.BTC/USTD" in str(caught.value)
    assert "'BTC/USDT'" in str(caught.value)


def test_broken_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{\n  "max_open_trades": 3,\n  "stake_amount": ,\n}\n')
    with pytest.raises(ConfigError) as caught:
        check_json_file(path)
    assert caught.value.where == f"{path}:3"


def test_binary_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b'{"a": 1,\n"b": "\xff\xfe"}')
    with pytest.raises(ConfigError) as caught:
        check_json_file(path)
    assert caught.value.where == f"{path}:2"
    assert "UTF-8" in caught.value.message


def test_comments_and_trailing_commas_are_accepted_as_in_freqtrade(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{\n  // a comment\n  "max_open_trades": 3,\n}\n')
    assert check_json_file(path) == {"max_open_trades": 3}


def test_missing_config_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings([tmp_path / "nope.json"], strategy="RsiStrategy")
    assert str(tmp_path / "nope.json") in str(caught.value)


def test_invalid_value_names_file_and_key(tmp_path: Path) -> None:
    paths = project(tmp_path)
    bad = write_config(tmp_path / "bad.json", {"tradable_balance_ratio": 7})
    with pytest.raises(ConfigError) as caught:
        settings_of(paths, bad)
    assert caught.value.where == f"{bad}: tradable_balance_ratio"


def test_stake_larger_than_the_wallet_is_refused(tmp_path: Path) -> None:
    paths = project(tmp_path, stake_amount=5000)
    with pytest.raises(ConfigError) as caught:
        settings_of(paths)
    assert caught.value.where == f"{paths['config']}: stake_amount"


def test_bad_stake_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'lots'"):
        settings(tmp_path, stake_amount="lots")


def test_dynamic_pairlist_is_refused(tmp_path: Path) -> None:
    paths = project(tmp_path, pairlists=[{"method": "VolumePairList", "number_assets": 5}])
    with pytest.raises(ConfigError, match="VolumePairList") as caught:
        settings_of(paths)
    assert caught.value.where == f"{paths['config']}: pairlists"


def test_futures_and_protections_in_the_config_are_refused(tmp_path: Path) -> None:
    paths = project(tmp_path, trading_mode="futures", margin_mode="isolated")
    with pytest.raises(ConfigError, match="futures"):
        settings_of(paths)
    paths = project(
        tmp_path / "p", protections=[{"method": "CooldownPeriod", "stop_duration_candles": 2}]
    )
    with pytest.raises(ConfigError, match="protections"):
        settings_of(paths)


def test_missing_datadir_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as caught:
        settings(tmp_path, datadir=tmp_path / "nodata")
    assert caught.value.where == "--datadir"
