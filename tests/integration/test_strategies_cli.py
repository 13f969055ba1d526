"""``genesis strategies [NAME]``: every built-in with its params, one strategy, your own."""

from __future__ import annotations

from pathlib import Path

from genesis_cli import genesis  # type: ignore[import-not-found]

from genesis.strategy import get_strategy, list_strategies


def rows(out: str) -> set[tuple[str, ...]]:
    return {tuple(line.split()[:3]) for line in out.splitlines() if line.strip()}


def test_lists_every_builtin_with_its_params(tmp_path: Path) -> None:
    result = genesis("strategies", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = rows(result.stdout)
    for name in list_strategies():
        strategy = get_strategy(name)
        assert f"{name} (version {strategy.version})" in result.stdout
        for param, spec in strategy.params.items():
            default = str(spec.default).lower() if spec.kind == "bool" else f"{spec.default:g}"
            assert (param, spec.kind, default) in listed, (name, param)
            assert spec.help and spec.help in result.stdout
    assert "2 … 200" in result.stdout  # ema_cross fast: the bounds


def test_one_strategy_and_a_users_own(tmp_path: Path) -> None:
    result = genesis("strategies", "ema_cross", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ema_cross (version 1)" in result.stdout and "rsi_reversion" not in result.stdout
    (tmp_path / "mine.py").write_text(
        "from genesis import ParamSpec\n\n"
        "class Mine:\n"
        '    """Buys the dip."""\n'
        '    name = "mine"\n    version = "3"\n'
        '    params = {"depth": ParamSpec("float", 0.5, 0.1, 2.0, help="how deep a dip")}\n\n'
        "    def signals(self, features, params):\n        raise NotImplementedError\n"
    )
    own = genesis("strategies", "mine.py:Mine", cwd=tmp_path)
    assert own.returncode == 0, own.stderr
    assert "mine (version 3)" in own.stdout and "Buys the dip." in own.stdout
    assert ("depth", "float", "0.5") in rows(own.stdout) and "0.1 … 2" in own.stdout


def test_unknown_name_is_a_user_error_with_close_matches(tmp_path: Path) -> None:
    result = genesis("strategies", "ema_crss", cwd=tmp_path)
    assert result.returncode == 2
    assert "did you mean: ema_cross?" in result.stderr and "Traceback" not in result.stderr
