"""Read-side queries for the CLI and the daily report; they take a `Session` and never write.

Full-text search uses SQLite FTS5 (``articles_fts``) or the PostgreSQL ``search_vector``
column, both created by the migrations; see `search_condition` for the query language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    case,
    exists,
    func,
    select,
)
from sqlalchemy.orm import Session, aliased

from storage import search
from storage.identity import story_id
from storage.models import (
    Article,
    CrawlRunSource,
    FetchFailure,
    Source,
    TopicMatch,
)
from storage.models_sources import StoryFingerprint
from storage.records import FailureRecord, SourceCounts
from storage.search import Expand

_CHUNK = 500


@dataclass
class ArticleFilter:
    """What `find_articles` should return; empty sequences and None mean "no restriction"."""

    topics: Sequence[str] = ()
    sources: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    languages: Sequence[str] = ()
    search: str | None = None
    limit: int | None = 100
    relevance: str | None = None  # "about" or "mentions": only matches at that level
    by_relevance: bool = False  # order: stories about a topic first, then by date
    expand: Expand | None = None


@dataclass(frozen=True)
class ArticleRow:
    """One article in a result list, with its topics and the best-matching snippet."""

    url: str
    title: str
    source: str
    published: datetime | None
    language: str | None
    author: str | None
    topics: list[str]
    snippet: str | None
    score: float | None
    published_origin: str | None
    relevance: str | None = None  # of the best match: "about", "mentions", None if unknown
    published_note: str | None = None
    story: str | None = None  # the id of its stored story (`storage.identity.story_id`)


def search_condition(dialect: str, query: str, expand: Expand | None = None) -> ColumnElement[bool]:
    """SQL condition for a free-text search over article titles and texts.

    Every word must occur; see `storage.search` for how each language is matched.
    ``expand`` gives the forms of a word to look for (Russian inflections).
    """
    return search.search_condition(dialect, query, expand)


def find_articles(session: Session, flt: ArticleFilter) -> list[ArticleRow]:
    """Articles matching the filter: the best full-text matches first when searching, then
    newest published first (undated last), then newest id."""
    root = aliased(Article)
    stmt = select(
        Article.id,
        Article.url,
        Article.title,
        Source.name,
        Article.published_at,
        Article.language,
        Article.author,
        Article.published_origin,
        Article.published_note,
        root.url.label("story_root"),
    )
    stmt = (
        stmt.join(Source, Source.id == Article.source_id)
        .outerjoin(StoryFingerprint, StoryFingerprint.article_id == Article.id)
        .outerjoin(root, root.id == StoryFingerprint.cluster_id)
    )
    if flt.topics or flt.relevance:
        stmt = stmt.where(exists().where(*_match_conditions(flt)))
    if flt.sources:
        stmt = stmt.where(Source.name.in_(flt.sources))
    if flt.since is not None:
        stmt = stmt.where(Article.published_at >= _aware(flt.since, "since"))
    if flt.until is not None:
        stmt = stmt.where(Article.published_at < _aware(flt.until, "until"))
    if flt.languages:
        stmt = stmt.where(Article.language.in_(flt.languages))
    order: list[Any] = [Article.published_at.desc().nulls_last(), Article.id.desc()]
    if flt.search is not None and flt.search.strip():
        dialect = session.get_bind().dialect.name
        stmt = stmt.where(search_condition(dialect, flt.search, flt.expand))
        rank = search.relevance(dialect, flt.search, flt.expand)
        if rank is not None:
            order.insert(0, rank)
    if flt.by_relevance:
        order.insert(0, _relevance_rank(flt))
    stmt = stmt.order_by(*order)
    if flt.limit is not None:
        stmt = stmt.limit(flt.limit)
    rows = session.execute(stmt).all()
    matches = matches_of(session, [row.id for row in rows])
    wanted = set(flt.topics)
    result = []
    for row in rows:
        found = matches.get(row.id, [])
        best = [m for m in found if not wanted or m.topic in wanted]
        if flt.relevance:
            best = [m for m in best if m.relevance == flt.relevance]
        top = min(best, key=lambda m: (_RANK.get(m.relevance, 2), -m.score, m.topic), default=None)
        result.append(
            ArticleRow(
                url=row.url,
                title=row.title,
                source=row.name,
                published=row.published_at,
                language=row.language,
                author=row.author,
                topics=sorted(m.topic for m in found),
                snippet=top.snippet if top else None,
                score=top.score if top else None,
                published_origin=row.published_origin,
                relevance=top.relevance if top else None,
                published_note=row.published_note,
                story=story_id(row.story_root or row.url),
            )
        )
    return result


_RANK = {"about": 0, "mentions": 1}


def _match_conditions(flt: ArticleFilter) -> list[ColumnElement[bool]]:
    """A topic match of the article that passes the filter's topics and relevance."""
    conditions = [TopicMatch.article_id == Article.id]
    if flt.topics:
        conditions.append(TopicMatch.topic.in_(flt.topics))
    if flt.relevance:
        conditions.append(TopicMatch.relevance == flt.relevance)
    return conditions


def _relevance_rank(flt: ArticleFilter) -> Any:
    """0 when the article is about one of the wanted topics, 1 when it only mentions one,
    2 when the level is unknown or there is no match."""
    rank = case(
        (TopicMatch.relevance == "about", 0), (TopicMatch.relevance == "mentions", 1), else_=2
    )
    best = select(func.min(rank)).where(*_match_conditions(flt)).scalar_subquery()
    return func.coalesce(best, 2)


def run_counts(session: Session, run_id: int) -> list[SourceCounts]:
    """Per-source tallies of one crawl run, by source name."""
    rows = session.scalars(
        select(CrawlRunSource)
        .where(CrawlRunSource.run_id == run_id)
        .order_by(CrawlRunSource.source)
    )
    return [
        SourceCounts(
            source=r.source,
            fetched=r.fetched,
            new=r.new,
            updated=r.updated,
            unchanged=r.unchanged,
            flagged=r.flagged,
            failed=r.failed,
        )
        for r in rows
    ]


def failures_between(session: Session, start: datetime, end: datetime) -> list[FailureRecord]:
    """Fetch and extraction failures that occurred in [start, end), oldest first."""
    stmt = (
        select(FetchFailure)
        .where(FetchFailure.occurred_at >= _aware(start, "start"))
        .where(FetchFailure.occurred_at < _aware(end, "end"))
        .order_by(FetchFailure.occurred_at, FetchFailure.id)
    )
    return [
        FailureRecord(
            source=f.source,
            url=f.url,
            stage=f.stage,
            reason=f.reason,
            http_status=f.http_status,
            occurred_at=f.occurred_at,
        )
        for f in session.scalars(stmt)
    ]


def matches_of(session: Session, article_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Every topic match of the given articles by article id, for result lists: rows with
    ``topic``, ``score``, ``snippet``, ``snippet_hits`` and ``relevance`` (one query per 500)."""
    found: dict[int, list[Any]] = {}
    for start in range(0, len(article_ids), _CHUNK):
        chunk = article_ids[start : start + _CHUNK]
        rows = session.execute(
            select(
                TopicMatch.article_id,
                TopicMatch.topic,
                TopicMatch.score,
                TopicMatch.snippet,
                TopicMatch.snippet_hits,
                TopicMatch.relevance,
            ).where(TopicMatch.article_id.in_(chunk))
        )
        for row in rows:
            found.setdefault(row.article_id, []).append(row)
    return found


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got {value.isoformat()}")
    return value
