"""What the look-ahead check costs against the search it guards.

On the bundled smoke config (``config/optimizer/tBTCUSD_1h_optuna_smoke_loose.yaml``, the
one ``make run`` uses), each run in a fresh process with an empty result cache (as ``make
run`` starts): the wall time of the whole ``run_optimizer`` call and the time of its
look-ahead check (as the run records it in ``best_trial.json``,
``validation.lookahead.elapsed_s``), and their ratio. The check runs first, so in a fresh
process it also pays the first load of the feature kernels, which the first trial pays
without it: the same runs with the check switched off (``--off``, the gate replaced by the
identity) give what it really adds, and the check run once more after such a run (kernels
loaded) gives its own cost.

Run: ``.venv/bin/python bench/lookahead_cost.py [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load, quiet, table
from genesis.optimizer import build_problem, run_optimizer
from genesis.optimizer.lookahead import guard

CONFIG = "tBTCUSD_1h_optuna_smoke_loose.yaml"


def _once(out: Path, off: bool) -> dict[str, float]:
    if off:
        import genesis.optimizer.optimize as optimize

        optimize.guard = lambda problem, **_: problem  # type: ignore[assignment]
    config = load(CONFIG, {"output_dir": str(out)})
    started = time.perf_counter()
    result = run_optimizer(config)
    wall = time.perf_counter() - started
    quiet()
    best = json.loads((result.run_dir / "best_trial.json").read_text())
    check = best["validation"].get("lookahead") or {}
    problem = build_problem(config)  # again, kernels loaded: the check's own cost
    started = time.perf_counter()
    guard(problem, allowed=False)
    warm = time.perf_counter() - started
    return {"wall": wall, "check": float(check.get("elapsed_s", 0.0)), "warm": warm}


def _fresh(off: bool) -> dict[str, float]:
    """One run in a new process (numba loads its kernels again, as in ``make run``)."""
    command = [sys.executable, __file__, "--one"] + (["--off"] if off else [])
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--off", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    quiet()
    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(_once(Path(tmp), args.off)))
        return
    rows, on, off = [], [], []
    for i in range(args.repeats):
        with_check, without = _fresh(False), _fresh(True)
        on.append(with_check["wall"])
        off.append(without["wall"])
        rows.append([
            str(i + 1), f"{with_check['wall']:.2f}", f"{without['wall']:.2f}",
            f"{with_check['check']:.3f}", f"{100 * with_check['check'] / with_check['wall']:.2f}",
            f"{without['warm']:.3f}", f"{100 * without['warm'] / without['wall']:.2f}",
        ])  # fmt: skip
    header = [
        "pair", "run s, check on", "run s, check off", "check s (first in process)",
        "% of run", "check s (kernels loaded)", "% of run (check off)",
    ]  # fmt: skip
    print(table(header, rows))
    added = statistics.median(on) - statistics.median(off)
    ratio = 100 * added / statistics.median(off)
    print(
        f"\nmedian run: {statistics.median(on):.2f} s with the check, "
        f"{statistics.median(off):.2f} s without: it adds {added:+.3f} s ({ratio:+.1f} %)"
    )


if __name__ == "__main__":
    main()
