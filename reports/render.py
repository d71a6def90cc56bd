"""Render a built report in one of its formats: Markdown, HTML, JSON or CSV.

Templates are Jinja2 (``reports/templates``), HTML with autoescaping on; the Markdown
template escapes explicitly with the ``md`` filter. The environment is built on first use.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from reports.text import md_escape, one_line, safe_url, snippet_parts

FORMATS = ("md", "html", "json", "csv")
"""Every format a report is rendered in; `--send` writes all of them."""

CSV_COLUMNS = (
    "date",
    "topic",
    "story",
    "published",
    "source",
    "language",
    "status",
    "version",
    "score",
    "title",
    "url",
    "snippet",
    "terms",
)
"""Columns of the CSV format: one row per article-topic match."""

STATUS_TEXT = {
    "ok": "reported normally",
    "errors": "some fetches failed",
    "down": "crawled, but every fetch failed",
    "empty": "crawled, but returned nothing",
    "quiet": "fetched pages, but no article published this day",
    "not_crawled": "not crawled this day",
}
"""How each source status is put in words."""


@cache
def environment() -> Environment:
    """The Jinja2 environment of the report templates (autoescaping for .html)."""
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html", "html.j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["one_line"] = one_line
    env.filters["safe_url"] = safe_url
    env.filters["parts"] = lambda art: snippet_parts(art["snippet"], art["snippet_hits"])
    env.filters["signed"] = lambda n: f"{n:+d}"
    env.globals["STATUS_TEXT"] = STATUS_TEXT
    return env


def render_report(data: dict[str, Any], fmt: str, *, chart_src: str | None = None) -> str:
    """Render a built report; for HTML, ``chart_src`` is the chart's image URL (or none)."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        return render_csv(data)
    if fmt == "md":
        return environment().get_template("report.md.j2").render(r=data, **_context(data))
    if fmt == "html":
        return (
            environment()
            .get_template("report.html.j2")
            .render(r=data, chart_src=chart_src, **_context(data))
        )
    raise ValueError(f"unknown report format {fmt!r}")


def svg_data_uri(svg: str) -> str:
    """A ``data:`` URI of an SVG image, to inline the chart in a self-contained HTML file."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def render_csv(data: dict[str, Any]) -> str:
    """One row per article-topic match; cells that a spreadsheet would run are defused."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for topic in data["topics"]:
        for art in topic["articles"]:
            terms = ";".join(f"{t}:{n}" for t, n in art["terms"].items())
            row = [
                data["date"],
                topic["id"],
                art["story"],
                art["published"],
                art["source"],
                art["language"] or "",
                art["status"],
                art["version"],
                f"{art['score']:g}",
                one_line(art["title"]),
                art["url"],
                one_line(art["snippet"]),
                terms,
            ]
            writer.writerow([_defuse(c) if isinstance(c, str) else c for c in row])
    return out.getvalue()


def _defuse(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _context(data: dict[str, Any]) -> dict[str, Any]:
    attention = [s for s in data["sources"] if s["status"] != "ok"]
    normal = [s["source"] for s in data["sources"] if s["status"] == "ok"]
    return {"attention": attention, "normal": normal}
