"""report.html in a real browser: headless Chromium draws every plot without a JS error.

The set-up installs Debian's ``chromium`` when it is missing (CI runs as root on a fresh
Debian machine; ``.ci/run`` installs it too). The page gets a small error collector
injected before plotly.js and the DOM is dumped after load: each figure ``div`` must
hold a drawn ``plot-container``, and no script may have thrown.
"""

from __future__ import annotations

import csv
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from genesis import run_optimizer
from genesis.report import write_report

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "config" / "optimizer" / "tBTCUSD_1h_optuna_smoke_loose.yaml"
MAX_REPORT_BYTES = 3 * 1024 * 1024

_COLLECTOR = (
    "<script>window.__errors=[];"
    "window.addEventListener('error',function(e){window.__errors.push(String(e.message))});"
    "window.addEventListener('load',function(){setTimeout(function(){"
    "document.body.setAttribute('data-js-errors',JSON.stringify(window.__errors));},500)});"
    "</script>"
)


@pytest.fixture(scope="module")
def chromium() -> str:
    """The chromium executable; installed with apt-get when absent (as CI does)."""
    found = shutil.which("chromium")
    if found is None:
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            subprocess.run(args, check=False, capture_output=True, env=env, timeout=900)
        found = shutil.which("chromium")
    if found is None:
        pytest.fail("chromium is missing and `apt-get install chromium` did not install it")
    return found


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 40-trial smoke run with a holdout (enough distinct trials for importances)."""
    out = tmp_path_factory.mktemp("runs")
    overrides = {
        "optimizer.n_trials": 40, "output_dir": str(out), "study_name": "r",
        "validation.holdout.test_fraction": 0.3,
    }  # fmt: skip
    result = run_optimizer(SMOKE, overrides=overrides)
    return result.run_dir


def _browser(chromium: str, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--virtual-time-budget=15000", *args, page.as_uri()],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def test_every_plot_draws_without_a_javascript_error(
    chromium: str, run_dir: Path, tmp_path: Path
) -> None:
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    for section in ("Data", "Best trial: equity and drawdown vs buy-and-hold",
                    "Trades of the best trial", "Parameter importance"):  # fmt: skip
        assert f"<h2>{section}</h2>" in html
    figures = re.findall(r'<div id="(fig-[a-z-]+)"', html)
    assert set(figures) == {"fig-equity", "fig-importance", "fig-score", "fig-params",
                            "fig-sources", "fig-oos-scatter", "fig-oos-equity"}  # fmt: skip
    assert "differs from the recorded one" not in html  # the re-run is the recorded backtest
    page = tmp_path / "report.html"
    page.write_text(html.replace("<head>", "<head>" + _COLLECTOR, 1), encoding="utf-8")
    dom = _browser(chromium, page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    errors = re.search(r'data-js-errors="([^"]*)"', dom.stdout)
    assert errors is not None, "the page never finished loading"
    assert errors.group(1) == "[]", errors.group(1)
    drawn = re.findall(r'<div id="(fig-[a-z-]+)"[^>]*>\s*<div class="plot-container', dom.stdout)
    assert sorted(drawn) == sorted(figures)
    assert dom.stdout.count('class="main-svg"') >= 2 * len(figures)
    shot = tmp_path / "report.png"  # kept in pytest's tmp dir, to look at
    taken = _browser(chromium, page, f"--screenshot={shot}", "--window-size=1400,4000")
    assert taken.returncode == 0 and shot.stat().st_size > 50_000, taken.stderr[-2000:]


def test_report_of_2000_trials_stays_under_3_mb(run_dir: Path, tmp_path: Path) -> None:
    """trials.csv grown to 2,000 trials (varied params and scores) around the real run."""
    big = tmp_path / "big"
    shutil.copytree(run_dir, big)
    rows = list(csv.DictReader((big / "trials.csv").read_text().splitlines()))
    header = list(rows[0])
    rng = random.Random(1)
    grown = []
    for number in range(2000):
        row = dict(rows[number % len(rows)], number=str(number))
        if row["score"]:
            row["score"] = repr(float(row["score"]) + rng.gauss(0, 0.3))
        row["key"] = f"{number:064x}"
        grown.append(row)
    with (big / "trials.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(grown)
    size = write_report(big).stat().st_size
    print(f"report.html at 2,000 trials: {size / 1e6:.2f} MB")
    assert size <= MAX_REPORT_BYTES
