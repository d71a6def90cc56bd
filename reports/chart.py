"""The trend chart of a report: matches per topic per day over the trend window, as PNG.

Drawn with matplotlib's Agg canvas directly (no pyplot, no global figure state), with a
fixed font, size and no timestamp in the PNG metadata, so the same data gives the same
bytes. PNG rather than SVG because email clients show images, not inline SVG.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, cast

CHART_WIDTH_PX = 720
"""Width of the chart image in pixels."""

CHART_HEIGHT_PX = 240
"""Height of the chart image in pixels."""

_DPI = 100
_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
    "svg.hashsalt": "wirewatch",
}


def trend_png(report: Mapping[str, Any]) -> bytes:
    """PNG of the matches per day of every topic in the report, the report's day marked."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with mpl.rc_context(cast(Any, _STYLE)):
        fig = Figure(figsize=(CHART_WIDTH_PX / _DPI, CHART_HEIGHT_PX / _DPI), dpi=_DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        labels: list[str] = []
        for topic in report["topics"]:
            days = topic["trend"]["days"]
            labels = [d["date"][5:] for d in days]
            ax.plot(
                range(len(days)),
                [d["count"] for d in days],
                marker="o",
                markersize=2.5,
                linewidth=1.5,
                label=topic["id"],
            )
        if labels:
            ax.axvline(len(labels) - 1, color="#999999", linewidth=0.8, linestyle=":")
            step = max(1, len(labels) // 10)
            ticks = list(range(len(labels) - 1, -1, -step))[::-1]
            ax.set_xticks(ticks, [labels[i] for i in ticks])
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("matches per day")
        ax.set_title(
            f"Last {len(labels)} days to {report['date']} ({report['timezone']})",
            fontsize=9,
            loc="left",
        )
        if report["topics"]:
            ax.legend(loc="upper left", frameon=False, fontsize=8)
        ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
        fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.12)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=_DPI, metadata={"Software": None})
    return out.getvalue()
