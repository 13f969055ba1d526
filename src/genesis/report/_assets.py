"""The page's one script: the vendored plotly.js partial bundle, inlined (works offline).

``vendor/plotly-basic.min.js`` is plotly.js's "basic" bundle (scatter, bar and pie traces;
MIT, see ``vendor/README.md``): 1.2 MB where the full bundle the ``plotly`` package ships
weighs 4.8 MB. Figures are written with ``include_plotlyjs=False`` and use it.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def plotly_script() -> str:
    """A ``<script>`` element holding plotly.js (read once per process)."""
    source = files("genesis.report").joinpath("vendor/plotly-basic.min.js").read_text("utf-8")
    return f'<script type="text/javascript">{source}</script>'
