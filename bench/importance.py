"""Parameter importances: why the report uses PED-ANOVA rather than Optuna's default fANOVA.

Builds an in-memory study of ``--trials`` random trials over a genesis_trend-like space
(four ints, three floats, one categorical; a score that depends on three of them plus
noise) and times ``optuna.importance.get_param_importances`` with each evaluator, in the
same process, printing the seconds, the ratio and the top three params each one names.

Run: ``.venv/bin/python bench/importance.py [--trials 300]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import optuna


def _study(n_trials: int) -> optuna.Study:
    def objective(trial: optuna.Trial) -> float:
        fast = trial.suggest_int("ema_fast", 5, 60)
        slow = trial.suggest_int("ema_slow", 80, 400, step=10)
        trial.suggest_int("adx_period", 7, 28)
        trial.suggest_int("rsi_period", 5, 25)
        sl = trial.suggest_float("sl_atr", 0.5, 5.0, step=0.1)
        trial.suggest_float("tp_atr", 0.5, 12.0, step=0.25)
        trial.suggest_float("pullback", 20.0, 50.0, step=0.5)
        short = trial.suggest_categorical("allow_short", [True, False])
        noise = trial.suggest_float("noise", 0.0, 1.0)  # a param that does nothing
        return -abs(fast - 20) / 20 - abs(slow - 200) / 200 + sl / 5 + 0.1 * short + 0 * noise

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(1))
    study.optimize(objective, n_trials=n_trials)
    return study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    args = parser.parse_args()
    study = _study(args.trials)
    evaluators = {
        "PED-ANOVA": optuna.importance.PedAnovaImportanceEvaluator(),
        "fANOVA (Optuna's default)": optuna.importance.FanovaImportanceEvaluator(seed=0),
    }
    seconds = {}
    print(f"{args.trials} trials, 9 params")
    for name, evaluator in evaluators.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            result = optuna.importance.get_param_importances(study, evaluator=evaluator)
            seconds[name] = time.perf_counter() - start
        top = ", ".join(f"{k} {v:.2f}" for k, v in list(result.items())[:3])
        print(f"| {name} | {seconds[name]:.3f} s | top: {top} |")
    ped, fanova = seconds["PED-ANOVA"], seconds["fANOVA (Optuna's default)"]
    print(f"fANOVA / PED-ANOVA: {fanova / ped:,.0f}x")


if __name__ == "__main__":
    main()
