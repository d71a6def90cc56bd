"""Golden files of every report format over the fixed day, on SQLite and PostgreSQL.

Regenerate after an intended change with ``WIREWATCH_UPDATE_GOLDEN=1 pytest
tests/test_report_golden.py`` and review the diff. The chart has its own golden SVG
(`test_chart_is_a_deterministic_svg`), so the HTML golden uses a fixed image URL.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy.orm import Session

from reports.build import SCHEMA, build_report
from reports.chart import CHART_HEIGHT_PX, CHART_WIDTH_PX, trend_svg
from reports.render import CSV_COLUMNS, FORMATS, render_report
from tests.test_report_data import DAY, SOURCES, TOPICS, TZ, XSS_TITLE, fill

GOLDEN = Path(__file__).parent / "fixtures" / "reports"
CHART_SRC = "wirewatch-2026-11-27.png"  # any fixed URL; the chart has its own golden


@pytest.fixture
def day_report(session: Session) -> dict:
    fill(session)
    return build_report(session, DAY, TZ, TOPICS, SOURCES)


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(day_report: dict, fmt: str) -> None:
    text = render_report(day_report, fmt, chart_src=CHART_SRC)
    path = GOLDEN / f"wirewatch-2026-11-27.{fmt}"
    if os.environ.get("WIREWATCH_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8", newline="")
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs from the golden file"


def test_regenerating_a_past_day_is_identical(session: Session) -> None:
    fill(session)
    first = build_report(session, DAY, TZ, TOPICS, SOURCES)
    again = build_report(session, DAY, TZ, TOPICS, SOURCES)
    for fmt in FORMATS:
        assert render_report(first, fmt) == render_report(again, fmt)
    assert trend_svg(first) == trend_svg(again)


def test_day_content(day_report: dict) -> None:
    assert day_report["schema"] == SCHEMA
    topics = {t["id"]: t for t in day_report["topics"]}
    kuril = topics["kuril"]
    # the wire story from three outlets is one story, led by the first to publish it, and
    # NHK's Japanese report of the same drills and protest is linked to it by story keys
    lead = kuril["stories"][0]
    assert lead["article"]["source"] == "tass-en"
    assert [o["source"] for o in lead["also_in"]] == ["kyodo-en", "japantimes", "nhk-ja"]
    assert len(kuril["stories"]) == 4 and kuril["count"] == 7
    assert (kuril["new"], kuril["updated"]) == (6, 1)
    assert kuril["by_language"] == {"en": 5, "ja": 1, "ru": 1}
    # 00:10 Moscow time (21:10 UTC the day before) is in; 00:30 the next day is not
    urls = {a["url"] for a in kuril["articles"]}
    assert "https://ria.ru/20261127/early.html" in urls
    assert "https://tass.com/politics/1003" not in urls
    assert kuril["trend"]["previous_day"] == 2 and kuril["trend"]["change"] == 5
    assert kuril["trend"]["last_7_days"] == sum(d["count"] for d in kuril["trend"]["days"][-7:])
    assert len(kuril["trend"]["days"]) == 30
    assert topics["fisheries"]["count"] == 0 and topics["fisheries"]["stories"] == []


def test_stories_about_a_topic_come_before_passing_mentions(day_report: dict) -> None:
    kuril = next(t for t in day_report["topics"] if t["id"] == "kuril")
    levels = [s["relevance"] for s in kuril["stories"]]
    assert levels == ["about"] * 3 + ["mentions"]
    # the passing mention scores higher than two of the stories about the topic
    assert kuril["stories"][-1]["score"] > min(s["score"] for s in kuril["stories"][:3])
    assert kuril["stories"][-1]["article"]["url"] == "https://tass.com/politics/1002"


def test_failed_and_silent_sources_are_listed(day_report: dict) -> None:
    status = {s["source"]: s for s in day_report["sources"]}
    assert status["mainichi"]["status"] == "down"
    assert status["mainichi"]["failures"] == [{"stage": "feed", "reason": "HTTP 503", "count": 3}]
    assert status["meduza"]["status"] == "not_crawled"
    assert status["kyodo-en"]["status"] == "errors"
    assert status["tass-en"]["status"] == "ok"
    md = render_report(day_report, "md")
    assert "- mainichi: crawled, but every fetch failed" in md
    assert "- meduza: not crawled this day" in md


def test_a_day_with_no_matches(session: Session) -> None:
    fill(session)
    empty = build_report(session, date(2026, 12, 15), TZ, TOPICS, SOURCES)
    assert all(t["count"] == 0 for t in empty["topics"])
    md = render_report(empty, "md")
    assert md.count("No matching articles this day.") == len(TOPICS)
    html = render_report(empty, "html")
    assert html.count('class="no-matches"') == len(TOPICS)
    assert render_report(empty, "csv") == ",".join(CSV_COLUMNS) + "\n"
    assert {s["status"] for s in empty["sources"]} == {"not_crawled"}


def test_markup_in_titles_and_snippets_is_inert(day_report: dict) -> None:
    html = render_report(day_report, "html", chart_src=CHART_SRC)
    tags = _tags(html)
    assert "script" not in {t for t, _ in tags}
    assert [t for t, _ in tags if t == "img"] == ["img"]  # only the chart
    for _, attrs in tags:
        assert not any(name.startswith("on") for name, _ in attrs)
        for name, value in attrs:
            if name in ("href", "src"):
                assert not (value or "").lower().startswith("javascript:")
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html
    assert "javascript:alert(document.cookie)" in html  # shown as text, not as a link
    md = render_report(day_report, "md")
    assert "<script>" not in md and "](<javascript:" not in md


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every start tag of the document with its attributes, as a browser's parser sees them."""
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collect().feed(html)
    return found


def test_json_is_the_documented_schema(day_report: dict) -> None:
    data = json.loads(render_report(day_report, "json"))
    assert data["schema"] == SCHEMA
    schema = json.loads((Path(__file__).parents[1] / "reports" / "report.schema.json").read_text())
    _conforms(data, schema, schema, "$")


def test_csv_has_one_row_per_match_and_defuses_formulas(day_report: dict) -> None:
    rows = render_report(day_report, "csv").splitlines()
    assert rows[0] == ",".join(CSV_COLUMNS)
    assert len(rows) - 1 == sum(t["count"] for t in day_report["topics"])
    assert XSS_TITLE.split()[0] in render_report(day_report, "csv")


def test_chart_is_a_deterministic_svg(day_report: dict) -> None:
    svg = trend_svg(day_report)
    path = GOLDEN / "wirewatch-2026-11-27-chart.svg"
    if os.environ.get("WIREWATCH_UPDATE_GOLDEN") == "1":
        path.write_text(svg, encoding="utf-8", newline="")
    assert svg == path.read_text(encoding="utf-8"), f"{path.name} differs from the golden file"
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("width"), root.get("height")) == (str(CHART_WIDTH_PX), str(CHART_HEIGHT_PX))
    # nothing that changes from run to run: no generated ids, no times, no random numbers
    assert not [e for e in root.iter() if "id" in e.attrib]
    assert re.findall(r"\d{4}-\d\d-\d\d", svg) == ["2026-11-27"]  # only the report's day
    assert not re.search(r"\d\d:\d\d", svg)
    lines = root.findall("{http://www.w3.org/2000/svg}g")
    assert [g.findtext("{http://www.w3.org/2000/svg}title") for g in lines] == [
        t["id"] for t in day_report["topics"]
    ]


def _conforms(value: object, node: dict, root: dict, where: str) -> None:
    """A small JSON Schema check (type, required, properties, items, enum, $ref)."""
    if "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[1]]
    types = node.get("type")
    if types:
        allowed = types if isinstance(types, list) else [types]
        py: dict[str, type | tuple[type, ...]] = {
            "object": dict,
            "array": list,
            "string": str,
            "integer": int,
            "number": (int, float),
            "null": type(None),
            "boolean": bool,
        }
        assert any(isinstance(value, py[t]) for t in allowed), f"{where}: not {allowed}"
    if "enum" in node:
        assert value in node["enum"], f"{where}: {value!r} not in {node['enum']}"
    if "const" in node:
        assert value == node["const"], where
    if "pattern" in node and isinstance(value, str):
        assert re.search(node["pattern"], value), f"{where}: {value!r} !~ {node['pattern']}"
    if isinstance(value, dict):
        for key in node.get("required", []):
            assert key in value, f"{where}: missing {key}"
        props = node.get("properties", {})
        if node.get("additionalProperties") is False:
            assert set(value) <= set(props), f"{where}: extra keys {set(value) - set(props)}"
        for key, sub in value.items():
            if key in props:
                _conforms(sub, props[key], root, f"{where}.{key}")
            elif isinstance(node.get("additionalProperties"), dict):
                _conforms(sub, node["additionalProperties"], root, f"{where}.{key}")
    if isinstance(value, list) and "items" in node:
        for i, item in enumerate(value):
            _conforms(item, node["items"], root, f"{where}[{i}]")
