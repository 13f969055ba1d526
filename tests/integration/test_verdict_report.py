"""The report opens with the verdict and the validation; a walk-forward's page is complete."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from test_optimize import make_config  # type: ignore[import-not-found]

from genesis.config import config_from_dict
from genesis.optimizer import run_optimizer
from genesis.report import write_report


class Sections(HTMLParser):
    """The page's sections in order: heading and visible text, links, figures and tables."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[dict[str, Any]] = []
        self.first_tags: list[str] = []  # every start tag, to see what comes first
        self._heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.first_tags.append(f"{tag}#{found.get('id') or ''}")
        if tag == "section":
            self.sections.append({"h2": "", "text": "", "links": [], "things": 0})
        elif self.sections:
            current = self.sections[-1]
            self._heading = tag == "h2"
            if tag == "a":
                current["links"].append(found.get("href"))
            if tag in ("table", "pre", "div", "ul"):
                current["things"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._heading = False

    def handle_data(self, data: str) -> None:
        if self.sections:
            words = " ".join(data.split())
            if self._heading:
                self.sections[-1]["h2"] += words
            elif words:
                self.sections[-1]["text"] += words + " "


def parse(page: str) -> Sections:
    parser = Sections()
    parser.feed(page)
    return parser


def titles(parsed: Sections) -> list[str]:
    return [s["h2"] for s in parsed.sections]


def run(out: Path, validation: dict[str, Any], n_trials: int) -> Path:
    config = make_config(out, validation=validation, **{"optimizer.n_trials": n_trials})
    return run_optimizer(config_from_dict(config)).run_dir


@pytest.fixture(scope="module")
def holdout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(tmp_path_factory.mktemp("h"), {"holdout": {"test_fraction": 0.3}, "top_k": 4}, 16)


@pytest.fixture(scope="module")
def walk_forward(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folds = {"folds": 3, "mode": "anchored"}
    return run(tmp_path_factory.mktemp("w"), {"walk_forward": folds, "top_k": 2}, 8)


def test_a_report_opens_with_the_verdict_and_ends_with_diagnostics(holdout: Path) -> None:
    page = write_report(holdout).read_text()
    best = json.loads((holdout / "best_trial.json").read_text())
    parsed = parse(page)
    tags = parsed.first_tags
    assert tags.index("p#verdict") < min(i for i, t in enumerate(tags) if t.startswith("table"))
    assert best["verdict"]["line"] in page
    names = titles(parsed)
    assert names[0] == "Validation · holdout" and names[1] == "Best trial"
    assert names[-1] == "Cache statistics"
    assert names.index("Plots") > names.index("Best trial")
    assert f"best · trial #{best['trial']}" in page  # the same best as best_trial.json
    top = next(s for s in parsed.sections if s["h2"].startswith("Top "))
    assert "Sharpe out of sample" in top["text"] and f"{best['trial']}*" in top["text"]
    reproduce = next(s for s in parsed.sections if s["h2"] == "Best trial")["text"]
    assert "in sample: genesis backtest" in reproduce
    assert "out of sample: genesis backtest" in reproduce and "--trade-from" in reproduce


def test_the_walk_forward_page_is_complete(walk_forward: Path) -> None:
    page = write_report(walk_forward).read_text()
    parsed = parse(page)
    best = json.loads((walk_forward / "best_trial.json").read_text())
    names = titles(parsed)
    assert parsed.first_tags.index("p#verdict") < parsed.first_tags.index("section#")
    assert names[0] == "Validation · walk-forward"
    folds = next(s for s in parsed.sections if s["h2"].startswith("Folds"))
    assert "Sharpe in" in folds["text"] and "Sharpe out" in folds["text"]
    assert len(folds["links"]) == 3
    for link in folds["links"]:
        assert (walk_forward / link).is_file()  # each fold's full report
    assert "log scale" in page and '"type":"log"' in page  # stitched equity on a log axis
    # The champion: the last fold's best, with its params, equity and trades.
    assert "Champion: the last fold's best" in names
    champion = next(s for s in parsed.sections if s["h2"] == "Best trial")
    assert f"#{best['trial']}" in champion["text"]
    assert all(str(k) in champion["text"] for k in best["params"])
    assert any(n.startswith("Best trial: equity") for n in names) and 'id="fig-equity"' in page
    assert any("trades" in n.lower() for n in names[names.index("Best trial") :])
    assert all(s["text"] or s["things"] for s in parsed.sections)  # nothing empty


def test_a_folds_report_has_no_empty_section(walk_forward: Path) -> None:
    write_report(walk_forward)
    for fold in sorted((walk_forward / "folds").iterdir()):
        parsed = parse((fold / "report.html").read_text())
        names = titles(parsed)
        assert names[0] == "Validation · walk-forward" and "Best trial" in names
        assert not any(n.startswith("Folds") for n in names)  # a fold is not a walk-forward
        for section in parsed.sections:
            assert section["text"] or section["things"], f"{fold.name}: {section['h2']} is empty"
