"""The seams an adapter's problem plugs into: the builder by name, the spec's extra part."""

from __future__ import annotations

from genesis.cache import cache_key
from genesis.engine import BacktestSettings
from genesis.evaluate import BacktestSpec
from genesis.metrics import ScoreSpec
from genesis.optimizer.problem import Problem, build_problem, problem_builder
from genesis.optimizer.workers import DEFAULT_BUILDER


def test_workers_rebuild_genesis_problems_by_the_default_builder_name() -> None:
    assert Problem.builder == DEFAULT_BUILDER
    assert problem_builder(DEFAULT_BUILDER) is build_problem


def test_extra_spec_entries_change_the_key_and_absent_ones_keep_old_keys() -> None:
    plain = BacktestSpec("s", "1", {"a": 1}, "data", BacktestSettings(), ScoreSpec())
    extra = BacktestSpec(
        "s", "1", {"a": 1}, "data", BacktestSettings(), ScoreSpec(), extra={"wallet": 1}
    )
    assert "extra" not in plain.canonical()
    assert extra.canonical()["extra"] == {"wallet": 1}
    assert cache_key(plain) != cache_key(extra)
