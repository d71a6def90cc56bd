"""JSON endpoints mirroring `wirewatch query` and the pages; described by `web.openapi`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from storage.browse import ListedArticle, article_detail, list_articles
from web.openapi import spec
from web.pages import MAX_ARTICLE_ID, site_of, source_rows, topic_summaries
from web.params import encode_cursor

_SOURCE_FIELDS = (
    "source",
    "enabled",
    "language",
    "last_poll",
    "last_status",
    "new_24h",
    "failures",
    "next_poll",
    "interval",
    "error",
)


def _time(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat() if when else None


def article_json(row: ListedArticle) -> dict[str, Any]:
    """One listed article as the API shows it (the fields of `wirewatch query --format json`)."""
    return {
        "id": row.id,
        "url": row.url,
        "title": row.title,
        "source": row.source,
        "published": _time(row.published),
        "language": row.language,
        "topics": list(row.topics),
        "snippet": row.snippet,
        "author": row.author,
        "score": row.score,
        "also_in": list(row.also_in),
    }


def api_articles(request: Request) -> Response:
    """A page of articles filtered like `wirewatch query`, with the next page's cursor."""
    site = site_of(request)
    query = site.list_query(request)
    with site.session() as session:
        rows, cursor = list_articles(session, query)
    return JSONResponse(
        {
            "articles": [article_json(r) for r in rows],
            "next_cursor": encode_cursor(cursor) if cursor else None,
        }
    )


def api_article(request: Request) -> Response:
    """One article with its text, matches, versions and story cluster."""
    site = site_of(request)
    article_id = request.path_params["article_id"]
    detail = None
    if 1 <= article_id <= MAX_ARTICLE_ID:
        with site.session() as session:
            detail = article_detail(session, article_id)
    if detail is None:
        raise HTTPException(404, f"no article {article_id}")
    return JSONResponse(
        {
            "id": detail.id,
            "url": detail.url,
            "title": detail.title,
            "source": detail.source,
            "author": detail.author,
            "published": _time(detail.published),
            "language": detail.language,
            "version": detail.version,
            "text": detail.text,
            "matches": [
                {"topic": m["topic"], "score": m["score"], "terms": m["terms"], "hits": m["hits"]}
                for m in detail.matches
            ],
            "versions": [{**v, "seen_at": _time(v["seen_at"])} for v in detail.versions],
            "cluster": [article_json(c) for c in detail.cluster],
        }
    )


def api_topics(request: Request) -> Response:
    """Every topic with its counts today, over 7 days and per day over 30 days."""
    site = site_of(request)
    with site.session() as session:
        trends = site.trends(session)
    return JSONResponse({"topics": topic_summaries(site, trends)})


def api_sources(request: Request) -> Response:
    """Every configured source with its polling state (`wirewatch sources --format json`)."""
    out = [
        {
            key: _time(row[key]) if key in ("last_poll", "next_poll") else row[key]
            for key in _SOURCE_FIELDS
        }
        for row in source_rows(site_of(request))
    ]
    return JSONResponse({"sources": out})


def api_openapi(request: Request) -> Response:
    """The OpenAPI 3.1 description of these endpoints."""
    return JSONResponse(spec(sorted(site_of(request).settings.topics)))
