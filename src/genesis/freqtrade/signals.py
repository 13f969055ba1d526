"""A Freqtrade strategy's signals: indicators once per pair and window, entries/exits per params.

Owns :class:`SignalSource`. ``advise_indicators`` (``populate_indicators`` with the
``@informative`` methods and ``merge_informative_pair`` working unchanged through an offline
DataProvider) runs once per pair and data window and is kept on disk, keyed by the
strategy file's content, its parameter file, the data (the pairs' and the informative
pairs' candles) and the timeframe/timerange; a corrupt entry is recomputed. The entry/exit
methods run once per distinct set of the strategy's Parameter values (a small in-process
LRU), so a trial that changes only ROI, stoploss or trailing reuses the signals.

What the cache key does not see: modules the strategy file imports from its own directory
and config values the strategy reads in ``populate_indicators``; change the strategy file
(or clear the cache directory) after changing those.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genesis.data import fingerprint
from genesis.errors import StrategyError
from genesis.freqtrade.backtest import PairFrame, price_ticks
from genesis.freqtrade.datadir import (
    Dataset,
    find_candle_file,
    frame_candles,
    load_dataset,
)
from genesis.freqtrade.loading import strategy_error
from genesis.freqtrade.settings import quiet_freqtrade

if TYPE_CHECKING:
    from genesis.freqtrade.settings import FtSettings

__all__ = ["SignalSource"]

_KEY_VERSION = b"genesis-freqtrade-indicators-v1"
_SIGNAL_COLUMNS = ("enter_long", "exit_long", "enter_tag", "exit_tag")
_CANDLE_COLUMNS = ("date", "open", "high", "low", "close", "volume")


class SignalSource:
    """The signals of one strategy on one dataset, computed as Freqtrade's backtest does.

    Args:
        strategy: The IStrategy (:func:`genesis.freqtrade.loading.load_strategy`).
        settings: The settings it was loaded with.
        cache_dir: Where indicator frames are kept (None: in memory only).
        dataset: The candles (default: loaded from the settings' data directory).
        memo_size: How many entry/exit results (per parameter set) to keep in memory.

    Attributes:
        dataset: The candles used.
        fingerprint: Hash of the strategy file, its parameter file and the data: what the
            indicators depend on (for genesis's result-cache key).
        informative_fingerprint: Hash of the informative pairs' candles the strategy reads
            (``dataset.fingerprint`` covers the traded pairs').
        start: The first candle Freqtrade backtests (after the startup candles).
        end: The last candle.
        disk_hits: Indicator frames read from the cache directory.
        disk_misses: Indicator frames computed (and written when possible).
    """

    def __init__(
        self,
        strategy: Any,
        settings: FtSettings,
        cache_dir: Path | None,
        *,
        dataset: Dataset | None = None,
        memo_size: int = 8,
    ) -> None:
        self._strategy = strategy
        self._settings = settings
        self._cache_dir = cache_dir
        self._memo: OrderedDict[tuple[Any, ...], list[PairFrame]] = OrderedDict()
        self._memo_size = memo_size
        self._trimmed: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.dataset = dataset or load_dataset(
            settings.datadir,
            settings.pairs,
            settings.timeframe,
            timerange=settings.timerange,
            startup_candles=int(strategy.startup_candle_count or 0),
            data_format=settings.data_format,
        )
        strategy.config["dataformat_ohlcv"] = self.dataset.data_format
        self.disk_hits = 0
        self.disk_misses = 0
        with quiet_freqtrade():
            self.informative_fingerprint = self._informative_fingerprint()
            self.fingerprint = self._fingerprint(self.informative_fingerprint)
            self._indicators = {pair: self._pair_indicators(pair) for pair in settings.pairs}
        self._ticks = {pair: self._pair_ticks(pair) for pair in self.dataset.frames}
        self.start, self.end = self._window()

    def pair_frames(self, params: Mapping[str, Any] | None = None) -> list[PairFrame]:
        """The pairs' frames with entry/exit signals for ``params``.

        Sets the strategy's Parameter ``.value``s named in ``params`` (other keys, e.g.
        roi/stoploss values, are left to the caller), then runs ``advise_entry`` and
        ``advise_exit`` on the cached indicator frames, once per distinct set of values.

        Returns:
            One :class:`~genesis.freqtrade.backtest.PairFrame` per pair, signals not
            shifted, trimmed of the startup candles as Freqtrade's ``trim_dataframe``
            (``start``/``end`` give the window).

        Raises:
            StrategyError: ``populate_entry_trend``/``populate_exit_trend`` raised (the
                strategy file's line and the message kept).
        """
        key = self._set_params(params or {})
        cached = self._memo.get(key)
        if cached is not None:
            self._memo.move_to_end(key)
            return cached
        frames = [self._signals(pair) for pair in self._settings.pairs]
        self._memo[key] = frames
        if len(self._memo) > self._memo_size:
            self._memo.popitem(last=False)
        return frames

    def indicators(self, pair: str) -> pd.DataFrame:
        """A copy of ``pair``'s frame after ``advise_indicators`` (startup candles included)."""
        return self._indicators[pair].copy()

    def parameters(self) -> list[tuple[str, Any]]:
        """The strategy's Parameters by name (their ``.value`` is what the signals use)."""
        return list(self._strategy.enumerate_parameters())

    def analyze(self, pair: str, raw: pd.DataFrame) -> pd.DataFrame:
        """``populate_indicators`` of ``pair`` on ``raw`` (not cached; the look-ahead check's
        cut data)."""
        return self._compute_indicators(pair, raw)

    def advise(
        self, pair: str, indicators: pd.DataFrame, params: Mapping[str, Any]
    ) -> pd.DataFrame:
        """The entry/exit signals of ``params`` on a copy of ``indicators`` (not cached).

        Raises:
            StrategyError: ``populate_entry_trend``/``populate_exit_trend`` raised.
        """
        self._set_params(params)
        try:
            frame: pd.DataFrame = self._strategy.ft_advise_signals(
                indicators.copy(), {"pair": pair}
            )
        except Exception as error:  # the user's populate_entry/exit_trend
            raise strategy_error(
                error, self._settings.strategy_path, f"entry/exit signals failed for {pair}"
            ) from None
        return frame

    @contextmanager
    def data_until(self, last: pd.Timestamp) -> Iterator[None]:
        """The DataProvider serves only candles closed when the candle at ``last`` closes
        (Freqtrade's own slicing of informative pairs in a backtest)."""
        from freqtrade.exchange import timeframe_to_minutes

        close = last + pd.Timedelta(minutes=timeframe_to_minutes(self._settings.timeframe))
        self._strategy.dp._set_dataframe_max_date(close.to_pydatetime())
        try:
            with quiet_freqtrade():
                yield
        finally:
            self._strategy.dp._set_dataframe_max_date(None)

    def _set_params(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        parameters = dict(self._strategy.enumerate_parameters())
        for name, value in params.items():
            if name in parameters:
                parameters[name].value = value
        return tuple(sorted((name, repr(p.value)) for name, p in parameters.items()))

    def _signals(self, pair: str) -> PairFrame:
        from freqtrade.data.converter import trim_dataframe

        strategy = self._strategy
        try:
            analyzed = strategy.ft_advise_signals(self._indicators[pair].copy(), {"pair": pair})
        except Exception as error:  # the user's populate_entry/exit_trend: the trial fails
            raise strategy_error(
                error, self._settings.strategy_path, f"entry/exit signals failed for {pair}"
            ) from None
        strategy.dp._set_cached_df(
            pair, self._settings.timeframe, analyzed, strategy.config["candle_type_def"]
        )
        columns = [c for c in (*_CANDLE_COLUMNS, *_SIGNAL_COLUMNS) if c in analyzed.columns]
        dates = analyzed["date"].values  # datetime64 (to_numpy: Timestamp objects, ~8 ms)
        kept = self._trimmed.get(pair)
        if kept is None or not np.array_equal(kept[0], dates):
            # trim_dataframe's rows depend on the dates only: found once per pair (the
            # signals keep the indicators' rows), reused by every other signal set
            trimmed = trim_dataframe(
                pd.DataFrame({"date": analyzed["date"]}).reset_index(drop=True),
                self.dataset.timerange, startup_candles=self.dataset.startup_candles,
            )  # fmt: skip
            rows = trimmed.index.to_numpy()  # positions: the frame given has a RangeIndex
            kept = (dates, rows, np.asarray(self._ticks[pair])[rows])
            self._trimmed[pair] = kept
        return PairFrame(
            pair=pair,
            frame=analyzed[columns].take(kept[1]).reset_index(drop=True),
            market=self._settings.markets[pair],
            price_ticks=kept[2],
        )

    def _window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        from freqtrade.data.converter import trim_dataframe

        trimmed = [
            trim_dataframe(
                frame, self.dataset.timerange, startup_candles=self.dataset.startup_candles
            )
            for frame in self.dataset.frames.values()
        ]
        kept = [frame for frame in trimmed if not frame.empty]
        if not kept:
            raise StrategyError(
                "no candles left after the startup candles "
                f"(startup_candle_count = {self.dataset.startup_candles})",
                where=str(self._settings.strategy_path),
                hint="widen --timerange or download more data",
            )
        return (
            min(frame["date"].iloc[0] for frame in kept),
            max(frame["date"].iloc[-1] for frame in kept),
        )

    def _informative_fingerprint(self) -> str:
        """Check every informative pair's file exists and hash the candles the DP serves."""
        strategy = self._strategy
        try:
            informative = strategy.gather_informative_pairs()
        except Exception as error:  # the user's informative_pairs()
            raise strategy_error(
                error, self._settings.strategy_path, "informative_pairs failed"
            ) from None
        digest = hashlib.blake2b(digest_size=16)
        for pair, timeframe, candle_type in sorted(set(informative), key=str):
            find_candle_file(self._settings.datadir, pair, timeframe, self.dataset.data_format)
            frame = strategy.dp.historic_ohlcv(pair, timeframe, str(candle_type))
            digest.update(f"{pair}|{timeframe}|".encode())
            digest.update(fingerprint(frame_candles(frame, pair, timeframe)).encode())
        return digest.hexdigest()

    def _fingerprint(self, informative: str) -> str:
        import freqtrade

        path = self._settings.strategy_path
        digest = hashlib.blake2b(_KEY_VERSION, digest_size=16)
        digest.update(path.read_bytes())
        params_file = path.with_suffix(".json")
        if params_file.is_file():
            digest.update(params_file.read_bytes())
        parts = (
            type(self._strategy).__name__,
            self.dataset.fingerprint,
            informative,
            self._settings.timeframe,
            str(self._settings.timerange),
            str(self.dataset.startup_candles),
            str(freqtrade.__version__),
            self._parameter_mode(),
        )
        digest.update("\x00".join(parts).encode())
        return digest.hexdigest()

    def _parameter_mode(self) -> str:
        # Outside hyperopt a Parameter's .range is [value]: an indicator built from it
        # depends on the value, so the values join the key; in hyperopt mode the range does.
        items = []
        for name, parameter in sorted(self._strategy.enumerate_parameters()):
            in_space = bool(parameter.in_space and parameter.optimize)
            items.append(f"{name}:{in_space}:{'' if in_space else repr(parameter.value)}")
        return ";".join(items)

    def _pair_indicators(self, pair: str) -> pd.DataFrame:
        path = self._entry_path(pair)
        raw = self.dataset.frames[pair]
        if path is not None:
            frame = _read_entry(path, raw)
            if frame is not None:
                self.disk_hits += 1
                return frame
        frame = self._compute_indicators(pair, raw)
        self.disk_misses += 1
        if path is not None:
            _write_entry(path, frame)
        return frame

    def _compute_indicators(self, pair: str, raw: pd.DataFrame) -> pd.DataFrame:
        from freqtrade.enums import HyperoptState, RunMode
        from freqtrade.optimize.hyperopt_tools import HyperoptStateContainer

        # As Freqtrade's hyperopt: while indicators are computed a Parameter's .range spans
        # its space (one column per value), while the epochs run it is [value].
        hyperopt = self._strategy.config.get("runmode") == RunMode.HYPEROPT
        if hyperopt:
            HyperoptStateContainer.set_state(HyperoptState.INDICATORS)
        try:
            result: pd.DataFrame = self._strategy.advise_all_indicators({pair: raw})[pair]
        except Exception as error:  # the user's populate_indicators: the trial fails
            raise strategy_error(
                error, self._settings.strategy_path, f"populate_indicators failed for {pair}"
            ) from None
        finally:
            if hyperopt:
                HyperoptStateContainer.set_state(HyperoptState.OPTIMIZE)
        return result

    def _pair_ticks(self, pair: str) -> np.ndarray:
        """Freqtrade's price tick per candle (seconds on long data): kept on disk too."""
        frame = self.dataset.frames[pair]
        path = None
        if self._cache_dir is not None:
            import freqtrade

            candles = fingerprint(frame_candles(frame, pair, self._settings.timeframe))
            name = f"{candles}-{freqtrade.__version__}.npy"
            path = self._cache_dir / "freqtrade-price-ticks" / name
            cached = _read_ticks(path, len(frame))
            if cached is not None:
                return cached
        ticks = price_ticks(frame[list(_CANDLE_COLUMNS)])
        if path is not None:
            _write_atomic(path, lambda tmp: np.save(tmp, ticks))
        return ticks

    def _entry_path(self, pair: str) -> Path | None:
        if self._cache_dir is None:
            return None
        from freqtrade.misc import pair_to_filename

        return (
            self._cache_dir
            / "freqtrade-indicators"
            / self.fingerprint
            / f"{pair_to_filename(pair)}-{self._settings.timeframe}.feather"
        )


def _read_entry(path: Path, raw: pd.DataFrame) -> pd.DataFrame | None:
    """The cached indicator frame, or None when absent or not matching its candles."""
    if not path.is_file():
        return None
    try:
        frame = pd.read_feather(path)
    except Exception:  # a damaged entry (truncated, not feather): recomputed, never fatal
        return None
    same = (
        len(frame) == len(raw)
        and all(c in frame.columns for c in _CANDLE_COLUMNS)
        and np.array_equal(frame["close"].to_numpy(), raw["close"].to_numpy(), equal_nan=True)
        and bool((frame["date"].to_numpy() == raw["date"].to_numpy()).all())
    )
    return frame if same else None


def _write_entry(path: Path, frame: pd.DataFrame) -> None:
    """Write atomically; a frame feather cannot hold (index, column names) is not kept."""
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0:
        return
    if not all(isinstance(c, str) for c in frame.columns):
        return
    _write_atomic(path, frame.to_feather)


def _read_ticks(path: Path, n_rows: int) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        ticks = np.load(path, allow_pickle=False)
    except Exception:  # a damaged entry: recomputed, never fatal
        return None
    ok = ticks.shape == (n_rows,) and ticks.dtype == np.float64
    return ticks if ok else None


def _write_atomic(path: Path, write: Callable[[str], Any]) -> None:
    """``write(tmp)`` then rename ``tmp`` to ``path``: readers never see half a file.

    A failure (an unsupported column type, a full disk) leaves nothing behind: the value
    stays in memory only.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
    os.close(handle)
    try:
        write(tmp)
        os.replace(tmp, path)
    except Exception:
        Path(tmp).unlink(missing_ok=True)
