"""Cross-check: genesis's metrics of a real backtest against empyrical-reloaded.

empyrical (Quantopian's, maintained as ``empyrical-reloaded``) defines the ratios the way
:mod:`genesis.metrics` does: per-bar simple returns, Sharpe with the sample deviation,
Sortino with the downside deviation over all bars (target 0), CAGR compounded over
``bars / bars_per_year`` years, drawdown from the running peak, Calmar as CAGR over the
deepest drawdown. The backtest is the bundled smoke config's, on its synthetic candles.
"""

from __future__ import annotations

from pathlib import Path

import empyrical
import pandas as pd
import pytest

from genesis.api import run_backtest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "optimizer" / "tBTCUSD_1h_optuna_smoke_loose.yaml"


def test_ratios_match_empyrical_on_a_real_backtest() -> None:
    report = run_backtest(CONFIG, {"ema_fast": 10, "ema_slow": 100, "allow_short": True})
    result, m = report.evaluation.result, report.evaluation.metrics
    assert m.n_trades >= 10  # a backtest with something to measure
    equity = report.equity
    returns = equity.pct_change()
    returns.iloc[0] = equity.iloc[0] / result.initial_capital - 1.0
    per_year = result.bars_per_year
    assert m.sharpe == pytest.approx(empyrical.sharpe_ratio(returns, annualization=per_year))
    assert m.sortino == pytest.approx(empyrical.sortino_ratio(returns, annualization=per_year))
    cagr = empyrical.annual_return(returns, annualization=per_year)
    assert m.cagr_pct == pytest.approx(100.0 * cagr)
    # empyrical's peak starts at the first bar, genesis's at the initial capital before it:
    # prepend a zero return so both curves start at the capital.
    padded = pd.concat([pd.Series([0.0]), returns], ignore_index=True)
    assert m.max_drawdown_pct == pytest.approx(-100.0 * empyrical.max_drawdown(padded))
    drawdown = -empyrical.max_drawdown(padded)
    assert m.calmar == pytest.approx(cagr / drawdown)  # both of empyrical's parts
    # Buy-and-hold buys at the first open: its first return is open -> close of bar 0.
    close = pd.Series(result.close, index=equity.index)
    held = close.pct_change()
    held.iloc[0] = close.iloc[0] / result.first_open - 1.0
    assert m.buy_hold_return_pct == pytest.approx(100.0 * empyrical.cum_returns_final(held))
