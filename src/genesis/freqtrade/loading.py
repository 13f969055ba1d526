"""A Freqtrade strategy file → a checked IStrategy instance, or a clear refusal.

Owns :func:`load_strategy` and :func:`resolve_strategy`. The file is used unchanged and
loaded by Freqtrade's own ``StrategyResolver``, so ``buy_params``/``sell_params``, the
``<StrategyFile>.json`` parameter file, the legacy buy/sell API and the config-over-strategy
precedence all apply exactly as in Freqtrade. When the resolver fails, the file is looked
at again to say *where*: the file and line of a syntax error or of the failing import, or
the strategy classes found with a "did you mean". Features genesis's backtest does not
follow yet are refused before any work, naming the attribute or callback (see
:data:`REFUSED_CALLBACKS`); never a silent difference.
"""

from __future__ import annotations

import ast
import copy
import difflib
import importlib.util
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genesis.errors import ConfigError, StrategyError
from genesis.freqtrade._imports import require_freqtrade

if TYPE_CHECKING:
    from genesis.freqtrade.settings import FtSettings

REFUSED_CALLBACKS: dict[str, str] = {
    "custom_roi": "a custom ROI callback is not supported yet",
    "check_entry_timeout": "order timeouts are not simulated (backtest orders fill at once)",
    "check_exit_timeout": "order timeouts are not simulated (backtest orders fill at once)",
    "check_buy_timeout": "order timeouts are not simulated (backtest orders fill at once)",
    "check_sell_timeout": "order timeouts are not simulated (backtest orders fill at once)",
    "order_filled": "the order_filled callback is not supported yet",
    "leverage": "futures/margin (the leverage callback) are not supported yet",
    "bot_loop_start": "bot_loop_start (called every candle) is not supported yet",
}
"""Callbacks refused when overridden, beyond those the engine refuses itself
(:func:`genesis.freqtrade.rules.check_supported`: DCA, custom prices and stakes,
confirm_trade_*, order replacement, custom_sell)."""

_REFUSED_ATTRIBUTES: dict[str, str] = {
    "position_adjustment_enable": "position adjustment (DCA) is not supported yet",
    "can_short": "shorting is not supported yet",
}


def load_strategy(settings: FtSettings) -> Any:
    """Load the settings' strategy as Freqtrade would for ``freqtrade backtesting``.

    Each call gives a fresh instance (its Parameter values are its own), with an offline
    DataProvider reading the data directory attached and ``bot_start`` run, as Freqtrade's
    Backtesting does before the first candle.

    Args:
        settings: From :func:`genesis.freqtrade.settings.load_settings`.

    Returns:
        The IStrategy instance.

    Raises:
        StrategyError: The file does not import, the class is not found, or the strategy
            uses a feature genesis does not support (named, with what to do).
        ConfigError: The config asks for a feature genesis does not support.
    """
    config = copy.deepcopy(settings.config)
    refuse_config_features(config)
    strategy = resolve_strategy(config)
    refuse_strategy_features(strategy)
    strategy.dp = offline_data_provider(config, settings.pairs)
    where = _class_place(strategy)
    try:
        strategy.ft_bot_start()
    except Exception as error:
        raise strategy_error(error, Path(type(strategy).__file__), "bot_start failed") from None
    if strategy.protections:
        raise StrategyError(
            "protections are not supported yet",
            where=f"{where}: protections",
            hint="remove the protections property to backtest without them",
        )
    return strategy


def offline_data_provider(config: dict[str, Any], pairs: Sequence[str]) -> Any:
    """Freqtrade's DataProvider without an exchange: candles from the data directory.

    The pairlist is the settings' pairs; ``market(pair)`` answers from the pair's name
    (base, quote) so ``@informative("{base}/BTC")`` works offline.
    """
    from freqtrade.data.dataprovider import DataProvider

    class _Pairlist:
        def __init__(self, whitelist: list[str]) -> None:
            self.whitelist = whitelist

    class OfflineDataProvider(DataProvider):  # type: ignore[misc]
        def market(self, pair: str) -> dict[str, Any] | None:
            base, _, quote = pair.split(":")[0].partition("/")
            return {"symbol": pair, "base": base, "quote": quote, "spot": True}

    return OfflineDataProvider(config, None, _Pairlist(list(pairs)))


def resolve_strategy(config: dict[str, Any]) -> Any:
    """Freqtrade's StrategyResolver on ``config`` (which it updates, as in Freqtrade).

    Raises:
        StrategyError: With the file and line of the cause when the resolver fails.
    """
    require_freqtrade()
    from freqtrade.exceptions import OperationalException
    from freqtrade.resolvers.strategy_resolver import StrategyResolver

    name = config.get("strategy")
    if not name:
        raise StrategyError(
            "no strategy given", hint="pass --strategy ClassName (and --strategy-path DIR)"
        )
    try:
        return StrategyResolver.load_strategy(config)
    except ImportError as error:
        if "Short strategies" in str(error):
            files = _files_defining(config, name)
            raise StrategyError(
                f"{name} uses can_short: {_REFUSED_ATTRIBUTES['can_short']}",
                where=str(files[0]) if files else name,
                hint="set can_short = False (or run it with freqtrade itself)",
            ) from None
        raise _diagnose(config, name, error) from None
    except OperationalException as error:
        raise _diagnose(config, name, error) from None
    except Exception as error:
        found = _files_defining(config, name)
        raise strategy_error(error, found[0] if found else None, "cannot load") from None


def refuse_config_features(config: dict[str, Any]) -> None:
    """Refuse config settings whose effect genesis's backtest does not reproduce."""
    if config.get("timeframe_detail"):
        raise ConfigError(
            "timeframe_detail (--timeframe-detail) is not supported yet",
            where="timeframe_detail",
            hint="remove it; genesis backtests on the strategy's timeframe",
        )
    for side in ("entry_pricing", "exit_pricing"):
        if (config.get(side) or {}).get("use_order_book"):
            raise ConfigError(
                "order book pricing is not supported",
                where=f"{side}.use_order_book",
                hint=f'set "{side}": {{"use_order_book": false}}',
            )


def refuse_strategy_features(strategy: Any) -> None:
    """Refuse what the strategy uses that genesis does not follow yet (attribute or callback).

    A callback counts as used when the strategy's class overrides IStrategy's method.
    """
    from genesis.freqtrade.rules import check_supported, overrides

    cls = type(strategy)
    for attribute, reason in _REFUSED_ATTRIBUTES.items():
        if getattr(strategy, attribute, False):
            raise _refusal(cls.__name__, attribute, reason, cls)
    try:
        check_supported(strategy)
    except StrategyError as error:  # the engine names the class; add its file and line
        raise StrategyError(error.message, where=_class_place(cls), hint=error.hint) from None
    for name, reason in REFUSED_CALLBACKS.items():
        if overrides(strategy, name):
            raise _refusal(cls.__name__, name, reason, cls)


def _refusal(class_name: str, name: str, reason: str, cls: type | None = None) -> StrategyError:
    where = _class_place(cls) if cls is not None else class_name
    line = _member_line(cls, name) if cls is not None else None
    place = f"{where.rsplit(':', 1)[0]}:{line}" if line else where
    return StrategyError(
        f"{class_name} uses {name}: {reason}",
        where=place,
        hint=f"remove {name} from the strategy (or run it with freqtrade itself)",
    )


def _class_place(cls_or_obj: Any) -> str:
    cls = cls_or_obj if isinstance(cls_or_obj, type) else type(cls_or_obj)
    file = getattr(cls, "__file__", "") or ""
    return f"{file}:{_member_line(cls, None) or 1}" if file else cls.__name__


def _member_line(cls: type | None, name: str | None) -> int | None:
    """The line of ``name`` in the strategy's file (the class line for None), if found."""
    file = getattr(cls, "__file__", "") if cls is not None else ""
    if not file or cls is None:
        return None
    try:
        tree = ast.parse(Path(file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            if name is None:
                return node.lineno
            for item in node.body:
                if _defines(item, name):
                    return item.lineno
    return None


def _defines(node: ast.stmt, name: str) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name == name
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.target.id == name
    return False


def strategy_error(error: BaseException, file: Path | None, what: str) -> StrategyError:
    """A StrategyError naming the user's file and line where ``error`` happened.

    The line is the innermost traceback frame in ``file`` (a SyntaxError's own line);
    the message keeps the exception's type and text, not Freqtrade's frames.
    """
    line: int | None = None
    source = error.filename if isinstance(error, SyntaxError) else None
    if source and file is not None and Path(source).resolve() == file.resolve():
        line = getattr(error, "lineno", None)
    if line is None and file is not None:
        target = str(file.resolve())
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename and str(Path(frame.filename).resolve()) == target:
                line = frame.lineno
    where = None if file is None else f"{file}:{line}" if line else str(file)
    detail = error.msg if isinstance(error, SyntaxError) else str(error)
    return StrategyError(f"{what}: {type(error).__name__}: {detail}", where=where)


def _search_dirs(config: dict[str, Any]) -> list[Path]:
    from freqtrade.constants import USERPATH_STRATEGIES
    from freqtrade.resolvers.strategy_resolver import StrategyResolver

    extra = [config["strategy_path"]] if config.get("strategy_path") else []
    paths = StrategyResolver.build_search_paths(
        config, user_subdir=USERPATH_STRATEGIES, extra_dirs=extra
    )
    return list(dict.fromkeys(p for p in paths if p.is_dir()))


def _python_files(config: dict[str, Any]) -> Iterator[Path]:
    for directory in _search_dirs(config):
        yield from sorted(p for p in directory.iterdir() if p.suffix == ".py" and p.is_file())


def _files_defining(config: dict[str, Any], name: str) -> list[Path]:
    # Freqtrade's own rule for a candidate file: its text holds "class <Name>(".
    marker = f"class {name}("
    return [
        p
        for p in _python_files(config)
        if marker in p.read_text(encoding="utf-8", errors="replace")
    ]


def _diagnose(config: dict[str, Any], name: str, error: BaseException) -> StrategyError:
    """Why the resolver failed: the file and line of an import error, or what exists."""
    for file in _files_defining(config, name):
        failure = _import_failure(file)
        if failure is not None:
            return strategy_error(failure, file, "the strategy file does not import")
    candidates = _files_defining(config, name)
    if candidates:
        return StrategyError(
            f"cannot load {name}: {str(error).splitlines()[0]}", where=str(candidates[0])
        )
    return _not_found(config, name)


def _import_failure(file: Path) -> BaseException | None:
    """Import ``file`` as Freqtrade does (its directory on sys.path); return what it raised."""
    from freqtrade.resolvers.iresolver import PathModifier

    spec = importlib.util.spec_from_file_location(f"_genesis_probe_{file.stem}", file)
    if spec is None or spec.loader is None:
        return ImportError(f"cannot import {file}")
    module = importlib.util.module_from_spec(spec)
    with PathModifier(file.parent):
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            return error
        finally:
            sys.modules.pop(spec.name, None)
    return None


def _not_found(config: dict[str, Any], name: str) -> StrategyError:
    found: dict[str, Path] = {}
    for file in _python_files(config):
        try:
            tree = ast.parse(file.read_text(encoding="utf-8"))
        except (SyntaxError, ValueError, UnicodeDecodeError):
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.bases:
                found.setdefault(node.name, file)
    dirs = ", ".join(str(d) for d in _search_dirs(config)) or "(no strategy directory exists)"
    close = difflib.get_close_matches(name, list(found), n=1)
    listed = ", ".join(f"{n} ({p.name})" for n, p in found.items()) or "none"
    hint = f"did you mean {close[0]!r}? " if close else ""
    return StrategyError(
        f"strategy class {name!r} not found in {dirs}",
        where="--strategy",
        hint=f"{hint}strategy classes found: {listed}",
    )
