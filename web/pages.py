"""The HTML pages: home, topic and search lists, article, sources, reports archive."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from storage.browse import article_detail, list_articles
from storage.overview import source_health
from storage.sources import source_overview
from web.site import Site, next_link, page_link
from web.text import field_hits, marked, paragraphs

MAX_ARTICLE_ID = 2**31 - 1
"""Largest id a database integer column holds; larger ids are simply unknown."""

_REPORT = re.compile(r"^wirewatch-(\d{4}-\d{2}-\d{2})\.html$")


def site_of(request: Request) -> Site:
    """The site serving this request."""
    site: Site = request.app.state.site
    return site


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a template of ``web/templates`` into a response."""
    template = site_of(request).templates.get_template(name)
    return HTMLResponse(template.render(request_path=request.url.path, **context), status)


def home(request: Request) -> Response:
    """Each topic with today / 7 days counts and a 30-day trend; the sources at a glance."""
    site = site_of(request)
    names = [s.name for s in site.settings.sources if s.enabled]
    with site.session() as session:
        trends = site.trends(session)
        health = source_health(session, names)
    now = datetime.now(UTC)
    failing = [h for h in health if h["failures"]]
    silent = [
        h
        for h in health
        if not h["failures"] and (h["newest"] is None or h["newest"] < now - timedelta(hours=24))
    ]
    return render(
        request,
        "home.html",
        topics=topic_summaries(site, trends),
        failing=failing,
        silent=silent,
        total=len(names),
        today=site.today().date().isoformat(),
    )


def topic_summaries(site: Site, trends: Mapping[str, list[int]]) -> list[dict[str, Any]]:
    """Each configured topic with its matches today, over 7 days and per day over 30 days
    (the home page and ``/api/topics``)."""
    return [
        {
            "id": tid,
            "name": name,
            "today": trends[tid][-1],
            "week": sum(trends[tid][-7:]),
            "trend": trends[tid],
        }
        for tid, name in site.settings.topics.items()
    ]


def source_rows(site: Site) -> list[dict[str, Any]]:
    """Every configured source's polling state (`source_overview`) with its ``enabled``
    flag and ``language`` (the sources page and ``/api/sources``)."""
    configured = {s.name: s for s in site.settings.sources}
    with site.session() as session:
        rows = source_overview(session, list(configured), datetime.now(UTC))
    for row in rows:
        src = configured[row["source"]]
        row.update(enabled=src.enabled, language=src.language)
    return rows


def topic_page(request: Request) -> Response:
    """A topic's matches, newest first, filtered and paged."""
    topic = request.path_params["topic_id"]
    site = site_of(request)
    if topic not in site.settings.topics:
        raise HTTPException(404, f"unknown topic {topic[:80]!r}")
    return _list_page(request, site, topic)


def search_page(request: Request) -> Response:
    """Every article (or one topic's), filtered by source, language, dates and full text."""
    return _list_page(request, site_of(request), None)


def _list_page(request: Request, site: Site, topic: str | None) -> Response:
    query = site.list_query(request, topic)
    params = site.params(request)
    with site.session() as session:
        rows, cursor = list_articles(session, query)
    feed_params = {k: v for k, v in params.items() if k not in ("cursor", "limit")}
    return render(
        request,
        "list.html",
        topic=topic,
        query=query,
        params=params,
        rows=[
            (row, marked(row.snippet or "", [(s, e, None) for s, e in row.snippet_hits]))
            for row in rows
        ],
        next_url=next_link(request.url.path, params, cursor),
        first_url=page_link(request.url.path, params, cursor=None) if query.after else None,
        csv_url=page_link("/articles.csv", feed_params, topic=topic),
        json_url=page_link("/api/articles", feed_params, topic=topic),
        atom_url=page_link(f"/topics/{topic}.atom", feed_params, topic=None) if topic else None,
        sources=[s.name for s in site.settings.sources],
        languages=sorted(
            {s.language for s in site.settings.sources if s.language} | {"en", "ru", "ja"}
        ),
    )


def article_page(request: Request) -> Response:
    """One article: its text with every counted hit marked, evidence, versions, its story."""
    site = site_of(request)
    article_id = request.path_params["article_id"]
    detail = None
    if 1 <= article_id <= MAX_ARTICLE_ID:
        with site.session() as session:
            detail = article_detail(session, article_id)
    if detail is None:
        raise HTTPException(404, f"no article {article_id}")
    title = marked(detail.title, field_hits(detail.matches, "title"))
    text = paragraphs(marked(detail.text, field_hits(detail.matches, "text")))
    return render(
        request,
        "article.html",
        a=detail,
        title_segments=title,
        paragraphs=text,
        source_zone=site.settings.source_zone(detail.source),
        other_outlets=[c for c in detail.cluster if c.source != detail.source],
        same_outlet=[c for c in detail.cluster if c.source == detail.source],
    )


def sources_page(request: Request) -> Response:
    """`wirewatch sources` as a table."""
    return render(request, "sources.html", rows=source_rows(site_of(request)))


def reports_page(request: Request) -> Response:
    """The daily HTML reports already written, newest first."""
    return render(request, "reports.html", days=report_days(site_of(request).settings.report_dir))


def report_file(request: Request) -> Response:
    """One day's HTML report, as written by `wirewatch report --send`."""
    day = request.path_params["day"]
    directory = site_of(request).settings.report_dir
    if directory is None or day not in report_days(directory):
        raise HTTPException(404, f"no report for {day[:20]!r}")
    response = FileResponse(directory / f"wirewatch-{day}.html", media_type="text/html")
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response


REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
"""The reports carry inline CSS and a data: chart; still no script of any kind."""


def report_days(directory: Path | None) -> list[str]:
    """The days (YYYY-MM-DD) with an HTML report in ``directory``, newest first."""
    if directory is None or not directory.is_dir():
        return []
    days = [m.group(1) for p in directory.iterdir() if (m := _REPORT.match(p.name)) and p.is_file()]
    return sorted(days, reverse=True)
