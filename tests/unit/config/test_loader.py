"""The config loader: validation messages with YAML paths and lines, and precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from genesis.config import FixedParam, IntParam, load_config
from genesis.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["tBTCUSD_1h_optuna_smoke_loose.yaml", "tBTCUSD_1h_optuna.yaml"])
def test_bundled_configs_are_valid(name: str) -> None:
    config = load_config(ROOT / "config" / "optimizer" / name, env={})
    assert config.strategy.name == "genesis_trend"
    assert config.search_space


def test_high_below_low_names_the_path_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "search_space:\n  fast:\n    type: int\n    low: 10\n    high: 5\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(info.value).startswith(f"{path}:5: search_space.fast.high: must be > low")


def test_unknown_key_and_wrong_type_are_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "optimizer:\n  n_trails: 5\nbacktest:\n  fee_bps: lots\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    text = str(info.value)
    assert "optimizer.n_trails: unknown key" in text
    assert "backtest.fee_bps:" in text
    assert f"{path}:2:" in text


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(_write(tmp_path, "data: [unclosed\n"), env={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml", env={})


def test_bare_scalars_in_the_search_space_are_fixed(tmp_path: Path) -> None:
    path = _write(tmp_path, "search_space:\n  slow: 30\n  fast: {type: int, low: 2, high: 9}\n")
    config = load_config(path, env={})
    assert config.search_space["slow"] == FixedParam(type="fixed", value=30)
    assert isinstance(config.search_space["fast"], IntParam)


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    path = _write(tmp_path, "optimizer:\n  seed: 1\ndata:\n  fast_window: false\n")
    assert load_config(path, env={}).optimizer.seed == 1
    env = {
        "GENESIS_RANDOM_SEED": "7",
        "GENESIS_FAST_WINDOW": "1",
        "GENESIS_PRECOMPUTE_FEATURES": "1",
    }
    from_env = load_config(path, env=env)
    assert (from_env.optimizer.seed, from_env.data.fast_window, from_env.features.precompute) == (
        7,
        True,
        True,
    )
    from_flag = load_config(path, env=env, overrides={"optimizer.seed": 99, "study_name": None})
    assert from_flag.optimizer.seed == 99
    assert load_config(_write(tmp_path, "{}\n"), env={}).optimizer.seed == 42


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    path = _write(tmp_path, "{}\n")
    with pytest.raises(ConfigError, match="GENESIS_RANDOM_SEED='x' is not an integer"):
        load_config(path, env={"GENESIS_RANDOM_SEED": "x"})
    with pytest.raises(ConfigError, match="GENESIS_FAST_WINDOW"):
        load_config(path, env={"GENESIS_FAST_WINDOW": "maybe"})


def test_study_name_must_be_a_plain_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="study_name"):
        load_config(_write(tmp_path, "study_name: ../escape\n"), env={})


def test_urls_come_from_the_environment_and_are_dumped_without_password(tmp_path: Path) -> None:
    from genesis.config import dump_config, has_masked_password

    path = _write(tmp_path, "storage: postgresql://u:file-secret@h/db\n")
    env = {"GENESIS_STORAGE_URL": "postgresql://u:env-secret@h/db",
           "GENESIS_CACHE_URL": "postgresql://c:cache-secret@h/db"}  # fmt: skip
    config = load_config(path, env=env)
    assert config.storage == env["GENESIS_STORAGE_URL"]
    assert config.cache.location == env["GENESIS_CACHE_URL"]
    dumped = dump_config(config)
    assert "secret" not in dumped
    assert "postgresql://u:***@h/db" in dumped and "postgresql://c:***@h/db" in dumped
    assert has_masked_password("postgresql://u:***@h/db")
    assert not has_masked_password("postgresql://u:real@h/db")
    assert not has_masked_password("postgresql://u@h/db")


def test_a_binary_config_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_bytes(b"optimizer:\n  seed: \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"cfg.yaml: not a text file: byte 0xff at offset 19"):
        load_config(path, env={})


def test_a_bad_flag_value_is_blamed_on_the_flag_not_a_config_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "optimizer:\n  n_trials: 10\n  seed: 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={}, overrides={"optimizer.n_trials": 0})
    assert str(info.value).startswith("--trials: optimizer.n_trials:")
    assert "cfg.yaml" not in str(info.value)
    with pytest.raises(ConfigError, match=r"^override: optimizer.n_trials: "):  # no flag name
        load_config(path, env={}, overrides={"optimizer.n_trials": 0}, flags={})
    # the file's own values keep their line
    with pytest.raises(ConfigError, match=r"cfg.yaml:2: optimizer.n_trials"):
        load_config(_write(tmp_path, "optimizer:\n  n_trials: 0\n"), env={})


def test_an_empty_config_file_says_what_a_config_needs(tmp_path: Path) -> None:
    for text in ("", "\n", "# only a comment\n"):
        with pytest.raises(ConfigError, match="the config file is empty") as info:
            load_config(_write(tmp_path, text), env={})
        assert "strategy" in str(info.value) and "search_space" in str(info.value)


def test_a_strategy_file_resolves_beside_the_config_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "project"
    (folder / "strategies").mkdir(parents=True)
    (folder / "strategies" / "mine.py").write_text("# a strategy\n")
    config = folder / "cfg.yaml"
    config.write_text("strategy:\n  name: strategies/mine.py:Mine\n")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "strategies").mkdir(parents=True)
    (elsewhere / "strategies" / "mine.py").write_text("# another\n")
    monkeypatch.chdir(elsewhere)
    resolved = load_config(config, env={}).strategy.name
    assert resolved == f"{(folder / 'strategies' / 'mine.py').resolve()}:Mine"
    # not beside the config: from the current directory, made absolute too
    (folder / "strategies" / "mine.py").unlink()
    found_here = (elsewhere / "strategies" / "mine.py").resolve()
    assert load_config(config, env={}).strategy.name == f"{found_here}:Mine"
    # in neither place: left as written, for the registry to report it missing
    (elsewhere / "strategies" / "mine.py").unlink()
    assert load_config(config, env={}).strategy.name == "strategies/mine.py:Mine"


def test_a_data_file_resolves_beside_the_config_and_is_dumped_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genesis.config import dump_config

    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "btc.csv").write_text("ts,open\n")
    config = folder / "cfg.yaml"
    config.write_text("data:\n  source: data/btc.csv\noutput_dir: results\n")
    monkeypatch.chdir(tmp_path)  # not the config's folder: data/btc.csv is not here
    loaded = load_config(config, env={})
    absolute = str((folder / "data" / "btc.csv").resolve())
    assert loaded.data.source == absolute
    assert f"source: {absolute}" in dump_config(loaded)  # the run's copy works from anywhere
    assert loaded.output_dir == "results"  # what a run writes stays relative to here
    for source in ("synthetic:tBTCUSD:1h", "exchange:bitfinex:tBTCUSD:1h", "missing.csv"):
        config.write_text(f"data:\n  source: {source}\n")
        assert load_config(config, env={}).data.source == source


def test_an_unquoted_invalid_date_is_a_config_error_with_its_line(tmp_path: Path) -> None:
    text = "data:\n  source: synthetic:tBTCUSD:1h\n  start: 2018-13-01\n"
    with pytest.raises(ConfigError, match=r"data\.start: '2018-13-01' is not a valid date") as info:
        load_config(_write(tmp_path, text), env={})
    assert info.value.where == f"{tmp_path / 'cfg.yaml'}:3"
    assert "month must be in 1..12" in str(info.value) and "quote" in str(info.value)
    fixed = load_config(_write(tmp_path, text.replace("13", "12")), env={})
    assert fixed.data.start == "2018-12-01"


@pytest.mark.parametrize(
    ("path", "value", "flag", "limit"),
    [
        ("optimizer.n_trials", 99999999999999999999999, "--trials", "10000000"),
        ("optimizer.n_workers", 10**9, "--workers", "64"),
        ("optimizer.timeout_s", 1e300, None, "31622400"),
        ("optimizer.timeout_s", float("inf"), None, "31622400"),
        ("optimizer.max_trials", 10**30, None, "10000000"),
        ("optimizer.heartbeat_grace_s", 10**12, None, "86400"),
        ("optimizer.storage_retry_s", 1e20, None, "31622400"),
        ("backtest.initial_capital", 1e308, None, "1000000000000000"),
        ("data.fast_window_bars", 10**23, None, "100000000"),
    ],
)
def test_an_absurd_number_is_refused_naming_the_flag_and_the_limit(
    tmp_path: Path, path: str, value: float, flag: str | None, limit: str
) -> None:
    config = _write(tmp_path, "strategy: {name: ema_cross}\n")
    with pytest.raises(ConfigError) as info:
        load_config(config, env={}, overrides={path: value})
    message = str(info.value)
    assert message.startswith(f"{flag or 'override'}: {path}:"), message
    assert limit in message
