"""The trend chart of a report: matches per topic per day over the trend window, as SVG.

One line chart, written as SVG text by hand: no plotting library (matplotlib and its
numpy/pillow/fonttools stack were ~80 MB of install for this one picture). The output
depends only on the report data: fixed size, fonts, palette and number formatting, no
timestamps and no generated ids, so the same data gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

CHART_WIDTH_PX = 720
"""Width of the chart image in pixels."""

CHART_HEIGHT_PX = 240
"""Height of the chart image in pixels."""

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
"""Line colours, one per topic in report order (repeating after ten)."""

_LEFT, _RIGHT, _TOP, _BOTTOM = 58.0, 706.0, 29.0, 211.0
_FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
_MAX_Y_TICKS = 6


def trend_svg(report: Mapping[str, Any]) -> str:
    """SVG of the matches per day of every topic in the report, the report's day marked."""
    series = [
        (str(t["id"]), [int(d["count"]) for d in t["trend"]["days"]]) for t in report["topics"]
    ]
    labels = [str(d["date"])[5:] for d in report["topics"][-1]["trend"]["days"]] if series else []
    top, step = _y_scale(max((max(c, default=0) for _, c in series), default=0))
    n = len(labels)
    title = f"Last {n} days to {report['date']} ({report['timezone']})"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH_PX}" '
        f'height="{CHART_HEIGHT_PX}" viewBox="0 0 {CHART_WIDTH_PX} {CHART_HEIGHT_PX}" '
        f'font-family="{_FONT}" font-size="9">',
        f'<rect width="{CHART_WIDTH_PX}" height="{CHART_HEIGHT_PX}" fill="#ffffff"/>',
        f'<text x="{_LEFT:g}" y="20" fill="#000000">{escape(title)}</text>',
        *_y_axis(top, step),
        *_x_axis(labels),
    ]
    for index, (topic, counts) in enumerate(series):
        parts += _line(counts, n, top, PALETTE[index % len(PALETTE)], topic)
    parts += _legend([topic for topic, _ in series])
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _y_scale(highest: int) -> tuple[int, int]:
    """The axis top and a 1-2-5 tick step giving at most ``_MAX_Y_TICKS`` steps."""
    magnitude = 1
    while True:
        for mantissa in (1, 2, 5):
            step = mantissa * magnitude
            ticks = math.ceil(highest / step)
            if ticks <= _MAX_Y_TICKS:
                return max(1, ticks) * step, step
        magnitude *= 10


def _x(index: int, n: int) -> float:
    return _LEFT if n <= 1 else _LEFT + (_RIGHT - _LEFT) * index / (n - 1)


def _y(count: int, top: int) -> float:
    return _BOTTOM - (_BOTTOM - _TOP) * count / top


def _y_axis(top: int, step: int) -> list[str]:
    """Grid lines and labels at each tick, the axis line and its title."""
    out = []
    for value in range(0, top + 1, step):
        y = _y(value, top)
        out.append(
            f'<line x1="{_LEFT:g}" y1="{y:.1f}" x2="{_RIGHT:g}" y2="{y:.1f}" '
            'stroke="#e5e5e5" stroke-width="0.6"/>'
        )
        out.append(
            f'<text x="{_LEFT - 5:g}" y="{y + 3:.1f}" text-anchor="end" fill="#333333">'
            f"{value}</text>"
        )
    mid = (_TOP + _BOTTOM) / 2
    out.append(
        f'<text x="14" y="{mid:g}" text-anchor="middle" fill="#333333" '
        f'transform="rotate(-90 14 {mid:g})">matches per day</text>'
    )
    out.append(
        f'<path d="M{_LEFT:g} {_TOP:g}V{_BOTTOM:g}H{_RIGHT:g}" fill="none" stroke="#000000" '
        'stroke-width="0.8"/>'
    )
    return out


def _x_axis(labels: Sequence[str]) -> list[str]:
    """At most ten day labels, counted back from the report's day, and its dotted marker."""
    n = len(labels)
    if not n:
        return []
    step = max(1, n // 10)
    out = []
    for i in sorted(range(n - 1, -1, -step)):
        x = _x(i, n)
        out.append(
            f'<text x="{x:.1f}" y="{_BOTTOM + 12:g}" text-anchor="middle" fill="#333333">'
            f"{escape(labels[i])}</text>"
        )
    x = _x(n - 1, n)
    out.append(
        f'<line x1="{x:.1f}" y1="{_TOP:g}" x2="{x:.1f}" y2="{_BOTTOM:g}" stroke="#999999" '
        'stroke-width="0.8" stroke-dasharray="1.5 2"/>'
    )
    return out


def _line(counts: Sequence[int], n: int, top: int, colour: str, topic: str) -> list[str]:
    """One topic's line with a dot on each day."""
    points = [(_x(i, n), _y(c, top)) for i, c in enumerate(counts)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    out = [f'<g stroke="{colour}" fill="{colour}"><title>{escape(topic)}</title>']
    out.append(f'<polyline points="{path}" fill="none" stroke-width="1.5"/>')
    out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8"/>' for x, y in points]
    out.append("</g>")
    return out


def _legend(topics: Sequence[str]) -> list[str]:
    """Topic names with their colours, top left inside the plot."""
    out = []
    for index, topic in enumerate(topics):
        y = _TOP + 10 + 12 * index
        colour = PALETTE[index % len(PALETTE)]
        out.append(
            f'<line x1="{_LEFT + 8:g}" y1="{y:g}" x2="{_LEFT + 24:g}" y2="{y:g}" '
            f'stroke="{colour}" stroke-width="1.5"/>'
        )
        out.append(
            f'<text x="{_LEFT + 29:g}" y="{y + 3:g}" font-size="8" fill="#000000">'
            f"{escape(topic)}</text>"
        )
    return out
