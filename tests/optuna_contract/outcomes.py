"""Each test's outcome in a pytest run of Optuna's tests, for the plugins to compare.

A test's outcome is "failed" if any of its phases (setup, call, teardown) failed, else
the outcome of its last reported phase. The plugins import the hook into their namespace.
"""

from __future__ import annotations

import pytest

OUTCOMES: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    previous = OUTCOMES.get(report.nodeid, "passed")
    if previous == "passed" or report.outcome == "failed":
        OUTCOMES[report.nodeid] = report.outcome
