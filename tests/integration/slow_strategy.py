"""A config whose backtests take longer, so that injected faults land inside trials.

Shared by the fault tests (processes, many machines); not a test module itself.
"""

from __future__ import annotations

from pathlib import Path

SPACE = "  fast: {type: int, low: 2, high: 40}\n  slow: {type: int, low: 50, high: 300}\n"


def slow_config(tmp_path: Path, sleep_s: float, *, space: str = "", optimizer: str = "") -> Path:
    """``cfg.yaml`` in ``tmp_path``: ema_cross sleeping ``sleep_s`` per backtest.

    ``optimizer`` is the body of an ``optimizer: {…}`` line, if any.
    """
    (tmp_path / "slow.py").write_text(
        "import time\n"
        "from genesis.strategy.builtin import EmaCross\n"
        "class Slow(EmaCross):\n"
        "    name = 'slow'\n"
        "    def signals(self, features, params):\n"
        f"        time.sleep({sleep_s})\n"
        "        return super().signals(features, params)\n"
    )
    path = tmp_path / "cfg.yaml"
    path.write_text(
        "data: {source: 'synthetic:tBTCUSD:1h:3:2000'}\n"
        f"strategy: {{name: '{tmp_path / 'slow.py'}:Slow'}}\n"
        f"search_space:\n{space or SPACE}"
        "score: {objectives: [total_return_pct]}\n"
        + (f"optimizer: {{{optimizer}}}\n" if optimizer else "")
    )
    return path
