"""The verdict of a run: one line, in a trader's words, on whether its best is worth trading.

:func:`judge` reads a run's ``validation`` object (``best_trial.json``) — the statistics and
the out-of-sample backtests already computed — and applies one rule. Each check gives a
finding of one of three grades; the verdict is the worst grade found:

``do not trade`` when any of
  * no trial completed, or, with no out-of-sample result, the in-sample best loses
    (a Sharpe ratio of zero or less, or none);
  * the strategy looks ahead (the look-ahead check found a signal that changes when
    future bars are removed, and the run was allowed to go on);
  * the Deflated Sharpe Ratio of the in-sample best is below :data:`DSR_NOISE`: its
    Sharpe ratio is what the best of that many backtests of noise would show;
  * out of sample it has no Sharpe ratio (no trade), or a Sharpe ratio of zero or less;
  * it made fewer than :data:`MIN_OOS_TRADES` trades out of sample.

``weak`` when none of these, but any of
  * the strategy could not be checked for look-ahead (an adapter's strategy, e.g. a
    Freqtrade file: the check runs on genesis strategies only);
  * it was not tested out of sample (``validation: none``);
  * the look-ahead check ran no params set (each raised: nothing was checked);
  * the DSR is below :data:`DSR_SIGNIFICANT` (not significant), or undefined;
  * the Probability of Backtest Overfitting is above :data:`PBO_OVERFIT` (the in-sample
    best ranks below the median out of sample in most CSCV splits), or undefined (fewer
    than two distinct backtests). Overfit says the search's choice among the params it
    tried is worth no more than a random pick: when every param set trades a real edge
    that is so too, so on its own it weakens a result; a bad result out of sample, which
    usually comes with it, is what condemns one;
  * out of sample its Sharpe ratio is below buy-and-hold's on the same bars;
  * out of sample its Sharpe ratio is below :data:`OOS_KEEP` of its in-sample one;
  * it made fewer than :data:`MIN_OOS_TRADES_SOLID` trades out of sample.

``candidate`` otherwise: significant, not overfit, profitable out of sample, above
buy-and-hold, on enough trades. A candidate is worth paper trading, not a promise.

"Out of sample" is the honest figure of the method: a holdout's in-sample best on the
test period (not the champion chosen on it, which the choice flatters), a walk-forward's
stitched folds. A walk-forward's DSR and PBO are its last fold's (the champion's search).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DSR_SIGNIFICANT = 0.95
"""A Deflated Sharpe Ratio at or above this is significant (the usual 5 % level)."""
DSR_NOISE = 0.5
"""A DSR below this: the best is no better than the best of as many tries of noise."""
PBO_OVERFIT = 0.5
"""A PBO above this: the in-sample best is likelier below the median out of sample than not."""
MIN_OOS_TRADES = 5
"""Fewer trades out of sample than this say nothing: do not trade."""
MIN_OOS_TRADES_SOLID = 30
"""Fewer trades out of sample than this make a Sharpe ratio too uncertain for more than weak."""
OOS_KEEP = 0.5
"""An out-of-sample Sharpe ratio below this fraction of the in-sample one has decayed."""

_METHODS = {"holdout": "holdout", "walk_forward": "walk-forward"}


class Rating(enum.Enum):
    """The verdict's grade, worst first."""

    DO_NOT_TRADE = "do not trade"
    WEAK = "weak"
    CANDIDATE = "candidate"

    @property
    def rank(self) -> int:
        return list(Rating).index(self)


@dataclass(frozen=True)
class Finding:
    """One check's outcome: its grade and the words that say it, numbers and method named."""

    rating: Rating
    text: str


@dataclass(frozen=True)
class Verdict:
    """What :func:`judge` decided, and why."""

    rating: Rating
    findings: tuple[Finding, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """The findings that make the grade: the failed checks, or a candidate's strengths."""
        if self.rating is Rating.CANDIDATE:
            return tuple(f.text for f in self.findings)
        worse = [f for f in self.findings if f.rating is self.rating]
        rest = [f for f in self.findings if f.rating is not self.rating]
        return tuple(f.text for f in (*worse, *rest) if f.rating is not Rating.CANDIDATE)

    def line(self) -> str:
        """``VERDICT: do not trade — not significant (DSR 0.12 after 983 backtests), …``."""
        return f"VERDICT: {self.rating.value} — {', '.join(self.reasons)}"

    def as_dict(self) -> dict[str, Any]:
        """The ``verdict`` object of ``best_trial.json``."""
        return {"rating": self.rating.value, "reasons": list(self.reasons), "line": self.line()}


def judge(validation: Mapping[str, Any]) -> Verdict:
    """The verdict on a run from its ``validation`` object (see the module docstring).

    Args:
        validation: ``best_trial.json``'s ``validation``: ``method``, ``deflated_sharpe``,
            ``n_trials_counted``, ``pbo``, ``in_sample``, ``out_of_sample``, ``expected``,
            ``buy_and_hold`` and, when the look-ahead check failed, ``lookahead``.
    """
    # a walk-forward's DSR and PBO are its last fold's search's: the line says so
    scope = " of the last fold" if validation.get("method") == "walk_forward" else ""
    findings = [
        *_completed(validation),
        *_lookahead(validation.get("lookahead")),
        _significance(validation.get("deflated_sharpe"), validation.get("n_trials_counted"), scope),
        _overfitting(validation.get("pbo"), scope),
        *_out_of_sample(validation),
    ]
    rating = min((f.rating for f in findings), key=lambda r: r.rank)
    return Verdict(rating, tuple(findings))


def _completed(v: Mapping[str, Any]) -> list[Finding]:
    """With nothing out of sample, the in-sample best must exist and make money."""
    if "in_sample" not in v or _oos_metrics(v) is not None:
        return []  # an older validation object, or the out-of-sample checks judge it
    if not v["in_sample"]:
        return [Finding(Rating.DO_NOT_TRADE, "no trial completed")]
    sharpe = (v["in_sample"].get("metrics") or {}).get("sharpe")
    if sharpe is None or sharpe <= 0:
        shown = "none" if sharpe is None else f"{sharpe:.2f}"
        return [Finding(Rating.DO_NOT_TRADE, f"loses in sample (Sharpe {shown})")]
    return []


def _lookahead(found: Any) -> list[Finding]:
    if isinstance(found, Mapping) and found.get("checked") is False:
        return [Finding(Rating.WEAK, f"look-ahead {found.get('detail') or 'not checked'}")]
    if isinstance(found, Mapping) and found.get("params_checked") == 0:
        return [Finding(Rating.WEAK, "look-ahead not checked (every params set raised)")]
    if not isinstance(found, Mapping) or not found.get("found"):
        return []
    detail = found.get("detail")
    return [Finding(Rating.DO_NOT_TRADE, f"looks ahead ({detail or 'look-ahead check failed'})")]


def _significance(dsr: Mapping[str, Any] | None, n: Any, scope: str = "") -> Finding:
    if not dsr:
        return Finding(Rating.WEAK, "significance unknown (Deflated Sharpe Ratio undefined)")
    p = float(dsr["probability"])
    text = f"DSR {p:.2f} after {n} backtests{scope}"
    if p < DSR_NOISE:
        return Finding(Rating.DO_NOT_TRADE, f"not significant ({text})")
    if p < DSR_SIGNIFICANT:
        return Finding(Rating.WEAK, f"not significant ({text}, needs ≥ {DSR_SIGNIFICANT})")
    return Finding(Rating.CANDIDATE, f"significant ({text})")


def _overfitting(pbo: Mapping[str, Any] | None, scope: str = "") -> Finding:
    if not pbo:
        return Finding(Rating.WEAK, "overfitting not measured (PBO undefined)")
    p = float(pbo["probability"])
    if p > PBO_OVERFIT:
        return Finding(Rating.WEAK, f"overfit (PBO {p:.2f} by CSCV{scope})")
    return Finding(Rating.CANDIDATE, f"not overfit (PBO {p:.2f} by CSCV{scope})")


def _out_of_sample(v: Mapping[str, Any]) -> list[Finding]:
    method = _METHODS.get(str(v.get("method")))
    if method is None:
        return [Finding(Rating.WEAK, "not tested out of sample (validation: none)")]
    oos = _oos_metrics(v)
    if oos is None:
        return [Finding(Rating.DO_NOT_TRADE, f"no out-of-sample result ({method})")]
    sharpe, trades = oos.get("sharpe"), oos.get("n_trades") or 0
    if sharpe is None:
        text = f"no Sharpe ratio out of sample ({trades} trades, {method})"
        return [Finding(Rating.DO_NOT_TRADE, text)]
    found = [_trades(int(trades), method)]
    if sharpe <= 0:
        text = f"loses out of sample (Sharpe {sharpe:.2f}, {method})"
        found.append(Finding(Rating.DO_NOT_TRADE, text))
        return found
    hold = (v.get("buy_and_hold") or {}).get("sharpe")
    if hold is not None and sharpe < hold:
        text = f"out of sample below buy-and-hold (Sharpe {sharpe:.2f} vs {hold:.2f}, {method})"
        found.append(Finding(Rating.WEAK, text))
    elif hold is not None:
        text = f"out of sample above buy-and-hold (Sharpe {sharpe:.2f} vs {hold:.2f}, {method})"
        found.append(Finding(Rating.CANDIDATE, text))
    found.extend(_decay(sharpe, _in_sample_sharpe(v), method))
    return found


def _in_sample_sharpe(v: Mapping[str, Any]) -> float | None:
    """The in-sample Sharpe ratio of the trial whose out-of-sample one is judged.

    A holdout's expected figure is the in-sample best's, not the champion's: its own
    in-sample metrics go with it (a walk-forward has none: its last fold's best).
    """
    expected = v.get("expected") or {}
    paired = expected.get("in_sample_metrics") if expected.get("metrics") else None
    metrics = paired or (v.get("in_sample") or {}).get("metrics") or {}
    return metrics.get("sharpe")  # type: ignore[no-any-return]


def _oos_metrics(v: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The honest out-of-sample metrics: what to expect, else the champion's own."""
    for part in ("expected", "out_of_sample"):
        metrics = (v.get(part) or {}).get("metrics")
        if metrics:
            return metrics  # type: ignore[no-any-return]
    return None


def _trades(n: int, method: str) -> Finding:
    if n < MIN_OOS_TRADES:
        text = f"too few trades out of sample ({n}, needs ≥ {MIN_OOS_TRADES}; {method})"
        return Finding(Rating.DO_NOT_TRADE, text)
    if n < MIN_OOS_TRADES_SOLID:
        text = f"few trades out of sample ({n}, solid from {MIN_OOS_TRADES_SOLID}; {method})"
        return Finding(Rating.WEAK, text)
    return Finding(Rating.CANDIDATE, f"{n} trades out of sample ({method})")


def _decay(sharpe: float, in_sample: float | None, method: str) -> Sequence[Finding]:
    if in_sample is None or in_sample <= 0 or sharpe >= OOS_KEEP * in_sample:
        return []
    text = f"decays out of sample (Sharpe {sharpe:.2f} vs {in_sample:.2f} in sample, {method})"
    return [Finding(Rating.WEAK, text)]
