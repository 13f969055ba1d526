"""Freqtrade's configuration for genesis: config.json files + Freqtrade's CLI flags → FtSettings.

Owns :func:`load_settings`. The files are read and merged by Freqtrade's own
``Configuration`` (``load_from_files``/``deep_merge_dicts``, ``add_config_files``, the
``FREQTRADE__*`` environment variables, the flags applied as ``freqtrade backtesting``
applies them), then checked by Freqtrade's ``validate_config_consistency``, and the
strategy's attributes are merged in by Freqtrade's ``StrategyResolver`` (config values win
over the strategy's, the strategy's fill what the config leaves out), as Freqtrade's
``Backtesting`` does. Nothing here touches the network: Freqtrade's exchange is never built.

Offline there are no exchange markets. A pair's :class:`~genesis.freqtrade.rules.Market`
(amount and price steps, minimum stake) comes from the optional ``genesis.markets`` key of
the config (``{"BTC/USDT": {"amount_step": 0.00001, "price_step": 0.01, "min_stake": 5}}``;
``genesis.default_market`` applies to pairs not listed); without it amounts and prices are
not rounded and there is no minimum stake. Without ``fee`` (config or ``--fee``) the fee is
:data:`DEFAULT_FEE` (0.1 % per side, Binance's spot fee), where Freqtrade would ask the
exchange.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genesis.errors import ConfigError
from genesis.freqtrade._imports import require_freqtrade
from genesis.freqtrade.rules import Market, Wallet

DEFAULT_FEE = 0.001
DEFAULT_CONFIG = Path("config.json")
_MARKET_KEYS = ("amount_step", "price_step", "min_stake", "min_amount")


@dataclass(frozen=True)
class FtSettings:
    """One Freqtrade configuration: files merged, flags applied, the strategy's values merged.

    Attributes:
        config: The merged config dict, as Freqtrade's own (``runmode`` backtest).
        strategy_path: The strategy's file.
        strategy_name: The strategy's class name.
        datadir: The data directory (``--datadir``, else Freqtrade's default).
        timeframe: The candles' timeframe (``-i``, the config, else the strategy's).
        pairs: The pairs to trade (``exchange.pair_whitelist`` minus the blacklist).
        timerange: Freqtrade's ``--timerange`` text, if any.
        wallet: Slots, stake, starting balance and fee.
        markets: Each pair's exchange rules (see the module docstring).
        config_files: The files read, in the order given.
        data_format: Freqtrade's ``dataformat_ohlcv`` (``feather`` by default).
    """

    config: dict[str, Any]
    strategy_path: Path
    strategy_name: str
    datadir: Path
    timeframe: str
    pairs: tuple[str, ...]
    timerange: str | None
    wallet: Wallet
    markets: Mapping[str, Market]
    config_files: tuple[Path, ...] = field(default=())
    data_format: str = "feather"


def load_settings(
    configs: Sequence[Path | str],
    *,
    strategy: str | None = None,
    strategy_path: Path | str | None = None,
    datadir: Path | str | None = None,
    timerange: str | None = None,
    timeframe: str | None = None,
    fee: float | None = None,
    max_open_trades: int | None = None,
    stake_amount: str | float | None = None,
    dry_run_wallet: float | None = None,
    pairs: Sequence[str] | None = None,
    user_data_dir: Path | str | None = None,
    data_format: str | None = None,
    hyperopt: bool = False,
) -> FtSettings:
    """Read Freqtrade config files and apply ``freqtrade backtesting``'s flags.

    Args:
        configs: The ``-c/--config`` files, later ones overriding earlier ones; empty:
            ``config.json`` in the working directory, as Freqtrade.
        strategy: ``--strategy``: the IStrategy class name.
        strategy_path: ``--strategy-path``: a directory to search first (a file is
            taken as its directory).
        datadir: ``--datadir``.
        timerange: ``--timerange`` (Freqtrade's syntax, e.g. ``20200101-20210101``).
        timeframe: ``-i/--timeframe``.
        fee: ``--fee`` (ratio per side).
        max_open_trades: ``--max-open-trades`` (-1: unlimited).
        stake_amount: ``--stake-amount``: a number or ``"unlimited"``.
        dry_run_wallet: ``--dry-run-wallet``.
        pairs: ``-p/--pairs``: replaces ``exchange.pair_whitelist``.
        user_data_dir: ``--userdir``.
        data_format: ``--data-format-ohlcv`` (the format looked for first).
        hyperopt: Load for ``freqtrade hyperopt`` (run mode HYPEROPT: the strategy's
            Parameters are in their spaces, ``.range`` spans them) instead of backtesting.

    Returns:
        The settings.

    Raises:
        ConfigError: A file is missing, not JSON (file and line), or a key is invalid
            (file and key).
        StrategyError: The strategy cannot be loaded (see :mod:`genesis.freqtrade.loading`).
    """
    require_freqtrade()
    files = [Path(c) for c in configs] or [DEFAULT_CONFIG]
    raw = {path: check_json_file(path) for path in files}
    args = _freqtrade_args(
        files,
        strategy=strategy,
        strategy_path=strategy_path,
        datadir=datadir,
        timerange=timerange,
        timeframe=timeframe,
        fee=fee,
        max_open_trades=max_open_trades,
        stake_amount=stake_amount,
        dry_run_wallet=dry_run_wallet,
        pairs=list(pairs) if pairs else None,
        user_data_dir=None if user_data_dir is None else str(user_data_dir),
        dataformat_ohlcv=data_format,
    )
    config = _freqtrade_config(args, raw, hyperopt=hyperopt)
    from genesis.freqtrade.loading import resolve_strategy

    instance = resolve_strategy(config)
    _validate_final(config, raw)
    return _settings(config, instance, raw, files)


def _validate_final(config: dict[str, Any], raw: Mapping[Path, dict[str, Any]]) -> None:
    """Freqtrade's full check once the strategy's values are in (as its Backtesting does)."""
    from freqtrade.configuration import validate_config_consistency
    from freqtrade.exceptions import OperationalException

    try:
        validate_config_consistency(config)
    except OperationalException as error:
        raise _config_error(error, config, raw) from None


def freqtrade_option(flag: str) -> str | None:
    """The name (``dest``) of Freqtrade's command-line option ``flag``, None if none.

    Read from Freqtrade's own option table, so a flag of any Freqtrade command is known.
    """
    require_freqtrade()
    from freqtrade.commands.cli_options import AVAILABLE_CLI_OPTIONS

    name = flag.split("=", 1)[0]
    return next((dest for dest, o in AVAILABLE_CLI_OPTIONS.items() if name in o.cli), None)


def check_json_file(path: Path) -> dict[str, Any]:
    """Parse one config file as Freqtrade does (JSON with comments and trailing commas).

    Raises:
        ConfigError: The file is missing, not UTF-8 text, or not JSON (with the line).
    """
    import rapidjson
    from freqtrade.configuration.load_config import CONFIG_PARSE_MODE

    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"cannot read the config file: {error.strerror or error}",
            where=str(path),
            hint="pass an existing Freqtrade config.json with -c",
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError("not a text file (not UTF-8)", where=f"{path}:{line}") from None
    try:
        parsed = rapidjson.loads(text, parse_mode=CONFIG_PARSE_MODE)
    except rapidjson.JSONDecodeError as error:
        place = _json_error_place(path, data, error)
        raise ConfigError(f"not valid JSON: {error}", where=place) from None
    if not isinstance(parsed, dict):
        raise ConfigError("a Freqtrade config must be a JSON object", where=f"{path}:1")
    return parsed


def _json_error_place(path: Path, data: bytes, error: Exception) -> str:
    # rapidjson reports a byte offset ("Parse error at offset 12: ...").
    text = str(error)
    digits = text.split("offset ", 1)[1].split(":", 1)[0] if "offset " in text else ""
    if not digits.isdigit():
        return str(path)
    line = data[: int(digits)].count(b"\n") + 1
    return f"{path}:{line}"


def _freqtrade_args(files: Sequence[Path], **flags: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"command": "backtesting", "config": [str(f) for f in files]}
    path = flags.pop("strategy_path")
    if path is not None:
        path = Path(path)
        args["strategy_path"] = str(path.parent if path.is_file() else path)
    datadir = flags.pop("datadir")
    if datadir is not None:
        if not Path(datadir).is_dir():
            raise ConfigError(
                f"the data directory {datadir} does not exist",
                where="--datadir",
                hint="point --datadir at the directory `freqtrade download-data` wrote",
            )
        args["datadir"] = str(datadir)
    stake = flags.pop("stake_amount")
    if stake is not None:
        args["stake_amount"] = _stake_flag(stake)
    args.update({name: value for name, value in flags.items() if value is not None})
    return args


def _stake_flag(stake: str | float) -> str | float:
    if isinstance(stake, str) and stake.strip().lower() == "unlimited":
        return "unlimited"
    try:
        value = float(stake)
    except ValueError:
        raise ConfigError(
            f"--stake-amount must be a number or 'unlimited', not {stake!r}", where="--stake-amount"
        ) from None
    if not value > 0:
        raise ConfigError(f"--stake-amount must be positive, not {stake}", where="--stake-amount")
    return value


def _freqtrade_config(
    args: dict[str, Any], raw: Mapping[Path, dict[str, Any]], *, hyperopt: bool
) -> dict[str, Any]:
    from freqtrade.configuration import Configuration, validate_config_consistency
    from freqtrade.enums import RunMode
    from freqtrade.exceptions import OperationalException

    class _QuietConfiguration(Configuration):  # type: ignore[misc]
        # Freqtrade's own loading minus its logging set-up (handlers on the root logger).
        def _process_logging_options(self, config: dict[str, Any]) -> None:
            config.setdefault("verbosity", 0)
            config["print_colorized"] = False

        def _process_datadir_options(self, config: dict[str, Any]) -> None:
            # Freqtrade insists on a user_data directory; genesis needs one only to find
            # the data, so without one --datadir must say where the candles are.
            user_dir = self.args.get("user_data_dir") or config.get("user_data_dir")
            user_path = Path(user_dir) if user_dir else Path.cwd() / "user_data"
            if user_path.is_dir():
                super()._process_datadir_options(config)
                return
            if not self.args.get("datadir"):
                raise ConfigError(
                    f"no data directory: {user_path} does not exist",
                    where="--datadir",
                    hint="pass --datadir DIR (where `freqtrade download-data` wrote the candles)",
                )
            config.setdefault("exchange", {}).setdefault("pair_whitelist", [])
            config["user_data_dir"] = user_path
            config["datadir"] = Path(self.args["datadir"])

    built: dict[str, Any] | None = None
    try:
        mode = RunMode.HYPEROPT if hyperopt else RunMode.BACKTEST
        args["command"] = "hyperopt" if hyperopt else "backtesting"
        built = _QuietConfiguration(args, mode).get_config()
        built["dry_run"] = True
        validate_config_consistency(built, preliminary=True)
    except OperationalException as error:
        raise _config_error(error, built, raw) from None
    _refuse_config(built, raw)
    return built


def _config_error(
    error: Exception, config: dict[str, Any] | None, raw: Mapping[Path, dict[str, Any]]
) -> ConfigError:
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    key = _schema_error_key(config) if config is not None else None
    if key is None:
        return ConfigError(message, where=", ".join(str(p) for p in raw))
    return ConfigError(message, where=f"{file_of_key(key, raw)}: {key}")


def _schema_error_key(config: dict[str, Any]) -> str | None:
    """The dotted key Freqtrade's JSON schema complains about first, if any."""
    from freqtrade.config_schema.config_schema import CONF_SCHEMA
    from freqtrade.configuration.config_validation import FreqtradeValidator
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    plain = {k: v for k, v in config.items() if k not in ("original_config", "runmode")}
    found = best_match(FreqtradeValidator(CONF_SCHEMA).iter_errors(plain))
    if found is None:
        return None
    return ".".join(str(part) for part in found.absolute_path) or None


def file_of_key(key: str, raw: Mapping[Path, dict[str, Any]]) -> str:
    """The file that set ``key`` (dotted): the last one holding it, as later files win."""
    holders = [path for path, data in raw.items() if _dig(data, key.split(".")) is not None]
    chosen = holders[-1] if holders else next(reversed(list(raw)), None)
    return str(chosen) if chosen is not None else "config"


def _dig(data: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _refuse_config(config: dict[str, Any], raw: Mapping[Path, dict[str, Any]]) -> None:
    """Config settings genesis does not honour yet: refused, never silently ignored."""
    for entry in config.get("pairlists", []):
        method = entry.get("method") if isinstance(entry, dict) else None
        if method != "StaticPairList":
            raise ConfigError(
                f"pairlist method {method!r} is not supported (it needs the live exchange)",
                where=f"{file_of_key('pairlists', raw)}: pairlists",
                hint='use [{"method": "StaticPairList"}] and list the pairs in '
                "exchange.pair_whitelist",
            )
    mode = str(getattr(config.get("trading_mode"), "value", config.get("trading_mode")))
    if mode not in ("spot", "None", ""):
        raise ConfigError(
            f"trading_mode {mode!r}: futures and margin are not supported yet",
            where=f"{file_of_key('trading_mode', raw)}: trading_mode",
            hint='use "trading_mode": "spot"',
        )
    if config.get("protections"):
        raise ConfigError(
            "protections are not supported yet",
            where=f"{file_of_key('protections', raw)}: protections",
            hint="remove the protections key to backtest without them",
        )
    if config.get("freqai", {}).get("enabled"):
        raise ConfigError(
            "FreqAI is not supported",
            where=f"{file_of_key('freqai', raw)}: freqai.enabled",
            hint="set freqai.enabled to false",
        )


def _settings(
    config: dict[str, Any],
    strategy: Any,
    raw: Mapping[Path, dict[str, Any]],
    files: Sequence[Path],
) -> FtSettings:
    timeframe = config.get("timeframe")
    if not timeframe:
        raise ConfigError(
            "no timeframe: the strategy sets none and neither do the config files",
            where=", ".join(str(f) for f in files),
            hint="pass -i/--timeframe or set `timeframe` in the strategy or the config",
        )
    pairs = _pairs(config, raw)
    return FtSettings(
        config=config,
        strategy_path=Path(type(strategy).__file__),
        strategy_name=type(strategy).__name__,
        datadir=Path(config["datadir"]),
        timeframe=str(timeframe),
        pairs=pairs,
        timerange=config.get("timerange"),
        wallet=_wallet(config, raw),
        markets=_markets(config, pairs, raw),
        config_files=tuple(files),
        data_format=str(config.get("dataformat_ohlcv") or "feather"),
    )


def _pairs(config: dict[str, Any], raw: Mapping[Path, dict[str, Any]]) -> tuple[str, ...]:
    from freqtrade.plugins.pairlist.pairlist_helpers import expand_pairlist

    exchange = config.get("exchange", {})
    whitelist = list(exchange.get("pair_whitelist") or [])
    try:
        blacklist = expand_pairlist(list(exchange.get("pair_blacklist") or []), whitelist)
    except ValueError as error:
        raise ConfigError(
            str(error),
            where=f"{file_of_key('exchange.pair_blacklist', raw)}: exchange.pair_blacklist",
        ) from None
    pairs = tuple(dict.fromkeys(p for p in whitelist if p not in blacklist))
    if not pairs:
        raise ConfigError(
            "no pairs to backtest",
            where=f"{file_of_key('exchange.pair_whitelist', raw)}: exchange.pair_whitelist",
            hint='list the pairs, e.g. "pair_whitelist": ["BTC/USDT"]',
        )
    return pairs


def _wallet(config: dict[str, Any], raw: Mapping[Path, dict[str, Any]]) -> Wallet:
    from freqtrade.constants import UNLIMITED_STAKE_AMOUNT
    from freqtrade.util import get_dry_run_wallet

    stake: Any = config.get("stake_amount")
    unlimited = stake == UNLIMITED_STAKE_AMOUNT
    balance = float(get_dry_run_wallet(config))
    ratio = float(config.get("tradable_balance_ratio", 0.99))
    if not unlimited and float(stake) > balance * ratio:
        raise ConfigError(
            f"stake_amount {stake} is larger than the starting balance {balance:g} x "
            f"tradable_balance_ratio {ratio:g}",
            where=f"{file_of_key('stake_amount', raw)}: stake_amount",
            hint="lower stake_amount or raise dry_run_wallet (--dry-run-wallet)",
        )
    slots: Any = config.get("max_open_trades", -1)
    fee: Any = config.get("fee")
    try:
        return Wallet(
            max_open_trades=-1 if slots is None or math.isinf(float(slots)) else int(slots),
            stake_amount=None if unlimited else float(stake),
            dry_run_wallet=balance,
            tradable_balance_ratio=ratio,
            fee=DEFAULT_FEE if fee is None else float(fee),
        )
    except ConfigError as error:  # the wallet's own checks: say which files set the values
        files = ", ".join(str(p) for p in raw)
        raise ConfigError(error.message, where=files, hint=error.hint) from None


def _markets(
    config: dict[str, Any], pairs: Sequence[str], raw: Mapping[Path, dict[str, Any]]
) -> dict[str, Market]:
    section = config.get("genesis") or {}
    listed = section.get("markets") or {}
    unknown = [p for p in listed if p not in pairs]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(pairs), n=1)
        raise ConfigError(
            f"genesis.markets lists {unknown[0]!r}, which is not a pair being traded",
            where=f"{file_of_key('genesis.markets', raw)}: genesis.markets.{unknown[0]}",
            hint=f"did you mean {close[0]!r}?" if close else "list only whitelisted pairs",
        )
    default = _market(section.get("default_market") or {}, "genesis.default_market", raw)
    return {
        pair: _market(listed[pair], f"genesis.markets.{pair}", raw) if pair in listed else default
        for pair in pairs
    }


def _market(entry: Any, key: str, raw: Mapping[Path, dict[str, Any]]) -> Market:
    where = f"{file_of_key(key.split('.')[0], raw)}: {key}"
    if not isinstance(entry, dict):
        raise ConfigError("must be an object", where=where, hint=f"keys: {', '.join(_MARKET_KEYS)}")
    extra = [k for k in entry if k not in _MARKET_KEYS]
    if extra:
        raise ConfigError(
            f"unknown key {extra[0]!r}", where=where, hint=f"keys: {', '.join(_MARKET_KEYS)}"
        )
    values: dict[str, float | None] = {}
    for name in _MARKET_KEYS:
        value = entry.get(name)
        if value is not None and (not isinstance(value, int | float) or not value > 0):
            raise ConfigError(f"{name} must be a positive number, not {value!r}", where=where)
        values[name] = None if value is None else float(value)
    return Market(**values)
