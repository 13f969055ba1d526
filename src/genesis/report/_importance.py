"""Parameter importances of a run, by Optuna's PED-ANOVA, from ``trials.csv``.

PED-ANOVA (Watanabe, Bansal & Hutter 2023, "PED-ANOVA: Efficiently Quantifying
Hyperparameter Importance in Arbitrary Subspaces", IJCAI) asks how much each param's
distribution among the best trials (the top 10 %) differs from its distribution over all
of them. ``bench/importance.py`` times both on 300 trials: PED-ANOVA 0.17 s, fANOVA
(Optuna's default evaluator, a random forest) 27 s, 163x, both naming the same three
params first; a report written after every run cannot wait for fANOVA. Each distinct
backtest counts once: a repeat is no new evidence.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import optuna

from genesis.config import config_from_dict
from genesis.errors import GenesisError
from genesis.optimizer import SearchSpace
from genesis.report._load import ReportTrial, RunData
from genesis.report._sections import esc, top_trials

MIN_TRIALS = 20
"""Fewer distinct complete trials than this give importances that mean nothing."""
METHOD = "PED-ANOVA"


def param_importances(data: RunData) -> dict[str, float] | str:
    """Importance of each searched param (summing to 1); or why there are none."""
    trials = top_trials(data, len(data.trials))
    if len(data.searched) < 2:
        return "importances compare params: this run searched fewer than two"
    if len(trials) < MIN_TRIALS:
        return (
            f"importances need at least {MIN_TRIALS} distinct complete trials; "
            f"this run has {len(trials)}"
        )
    try:
        config = config_from_dict(data.config, where=str(data.run.config))
        distributions = SearchSpace.from_config(config.search_space, {}).distributions()
    except GenesisError as error:
        return f"the search space could not be read: {error}"
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "A new study created" line
    try:
        study = optuna.create_study(direction="maximize" if data.maximize else "minimize")
    finally:
        optuna.logging.set_verbosity(verbosity)
    study.add_trials([t for t in (_frozen(x, distributions) for x in trials) if t is not None])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PED-ANOVA is marked experimental in Optuna 5
        try:
            result = optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.PedAnovaImportanceEvaluator(),
                target=lambda t: t.values[0],
            )  # fmt: skip
        except (ValueError, RuntimeError) as error:
            return f"{METHOD} could not rank the params: {error}"
    return {name: float(value) for name, value in result.items()}


def _frozen(
    trial: ReportTrial, distributions: Mapping[str, optuna.distributions.BaseDistribution]
) -> optuna.trial.FrozenTrial | None:
    """The trial as Optuna's, or None if its params do not fit today's search space."""
    if trial.score is None or not all(n in trial.params for n in distributions):
        return None
    params: dict[str, Any] = {n: trial.params[n] for n in distributions}
    try:
        return optuna.trial.create_trial(
            params=params, distributions=dict(distributions), value=trial.score
        )
    except ValueError:
        return None


def importance_section(data: RunData, figure: Any) -> str:
    """The importance bar chart, or a note saying why there is none."""
    result = param_importances(data)
    if isinstance(result, str):
        body = f'<p class="note">{esc(result)}</p>'
    else:
        from genesis.report._figures import importance_figure

        body = (
            f'<p class="note">{esc(METHOD)} over the distinct complete trials: how much '
            "each param's values among the best 10 % differ from its values over all trials "
            "(Watanabe, Bansal &amp; Hutter 2023).</p>"
            + figure(importance_figure(result, METHOD), "importance")
        )
    return f"<section><h2>Parameter importance</h2>{body}</section>"
