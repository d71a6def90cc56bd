"""Atom feeds per topic (RFC 4287) and CSV export of any filtered list."""

from __future__ import annotations

import csv
import dataclasses
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from storage.browse import ListedArticle, ListQuery, list_articles
from web.pages import site_of
from web.site import Site
from web.text import csv_cell, safe_href, xml_text

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
"""Entries in a feed."""

CSV_MAX_ROWS = 10_000
"""Most rows one CSV export holds."""

CSV_COLUMNS = (
    "id",
    "published",
    "source",
    "language",
    "topics",
    "score",
    "title",
    "url",
    "snippet",
)


def topic_feed(request: Request) -> Response:
    """The newest matches of a topic (with the list's filters) as an Atom feed."""
    site = site_of(request)
    topic = request.path_params["topic_id"]
    if topic not in site.settings.topics:
        raise HTTPException(404, f"unknown topic {topic[:80]!r}")
    query = site.list_query(request, topic, limit=FEED_SIZE)
    with site.session() as session:
        rows, _ = list_articles(session, query)
    body = atom_document(site, request, topic, rows)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def atom_document(site: Site, request: Request, topic: str, rows: list[ListedArticle]) -> bytes:
    """A complete Atom feed document."""
    base = str(request.base_url).rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    name = site.settings.topics[topic]
    _sub(feed, "id", f"{base}/topics/{topic}")
    _sub(feed, "title", f"wirewatch: {name}")
    newest = max((r.published for r in rows if r.published), default=None)
    _sub(feed, "updated", _stamp(newest or datetime(1970, 1, 1, tzinfo=UTC)))
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _sub(author, "name", "wirewatch")
    _link(feed, "self", str(request.url), "application/atom+xml")
    _link(feed, "alternate", f"{base}/topics/{topic}", "text/html")
    _sub(feed, "generator", "wirewatch")
    for row in rows:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _sub(entry, "id", f"{base}/articles/{row.id}")
        _sub(entry, "title", row.title or "(untitled)")
        _sub(entry, "updated", _stamp(row.published or datetime(1970, 1, 1, tzinfo=UTC)))
        if row.published:
            _sub(entry, "published", _stamp(row.published))
        _link(entry, "alternate", f"{base}/articles/{row.id}", "text/html")
        original = safe_href(row.url)
        if original:
            _link(entry, "related", original, "text/html")
        entry_author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _sub(entry_author, "name", row.author or row.source)
        category = ET.SubElement(entry, f"{{{ATOM}}}category")
        category.set("term", topic)
        if row.snippet:
            summary = _sub(entry, "summary", row.snippet)
            summary.set("type", "text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = xml_text(text)
    return element


def _link(parent: ET.Element, rel: str, href: str, kind: str) -> None:
    link = ET.SubElement(parent, f"{{{ATOM}}}link")
    link.set("rel", rel)
    link.set("href", xml_text(href))
    link.set("type", kind)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def csv_export(request: Request) -> Response:
    """Every article of a filtered list (at most `CSV_MAX_ROWS`) as CSV, streamed in pages."""
    site = site_of(request)
    query = site.list_query(request, limit=500)
    rows = _csv_rows(site, query)
    first = next(rows)  # runs the first query now, so its errors get a proper status
    name = f"wirewatch-{query.topic or 'articles'}.csv"
    return StreamingResponse(
        _chain(first, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _csv_rows(site: Site, query: ListQuery) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    sent = 0
    while True:
        with site.session() as session:
            rows, cursor = list_articles(session, query)
        for row in rows[: CSV_MAX_ROWS - sent]:
            published = row.published.astimezone(UTC).isoformat() if row.published else ""
            values = (
                row.id,
                published,
                row.source,
                row.language,
                row.topics,
                row.score,
                row.title,
                row.url,
                row.snippet,
            )
            writer.writerow([csv_cell(v) for v in values])
        sent += len(rows)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
        if cursor is None or sent >= CSV_MAX_ROWS:
            return
        query = dataclasses.replace(query, after=cursor)
