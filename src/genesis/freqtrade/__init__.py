"""Freqtrade strategies in genesis: the adapter package.

A Freqtrade ``IStrategy`` file is used unchanged: it is loaded with Freqtrade's own
resolver, its ``populate_*`` methods compute the signals (once per pair and data window
for the indicators, once per distinct buy/sell parameter set for the entry/exit
columns), and genesis replaces only Freqtrade's slow per-candle loop with a numba kernel
that follows Freqtrade's backtest rules trade for trade.

Nothing outside this package imports freqtrade, and this package imports it only when a
Freqtrade strategy is used (:func:`genesis.freqtrade._imports.require_freqtrade`): without
the ``freqtrade`` extra, genesis is unchanged.
"""

from __future__ import annotations

__all__: list[str] = []
