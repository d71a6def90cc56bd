"""Read-side queries for the CLI and the daily report; they take a `Session` and never write.

Full-text search uses SQLite FTS5 (``articles_fts``) or the PostgreSQL ``search_vector``
column, both created by the migrations; see `search_condition` for the query language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    column,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session

from storage.models import (
    FTS_TABLE,
    SEARCH_VECTOR_COLUMN,
    Article,
    CrawlRun,
    CrawlRunSource,
    FetchFailure,
    Source,
    TopicMatch,
)
from storage.records import FailureRecord, SourceCounts

_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af]"
)
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
    published_note: str | None = None


def search_condition(dialect: str, query: str) -> ColumnElement[bool]:
    """SQL condition for a free-text search over article titles and texts.

    The query is split on whitespace and every word must occur (AND); punctuation-only
    words are ignored, and a query with no word at all matches nothing. Words are
    matched as tokens by SQLite FTS5 (``unicode61 remove_diacritics 2``: case- and
    accent-insensitive) or PostgreSQL ``plainto_tsquery('simple', ...)``; the query is
    always a bound parameter and never FTS or tsquery syntax.

    Queries containing CJK characters fall back to a case-insensitive substring match
    (``LIKE`` with ``%`` and ``_`` escaped) of each word on title or text, because
    Japanese and Chinese have no spaces and neither tokenizer splits them into words.
    That fallback scans the articles table.
    """
    words = [w for w in query.split() if any(ch.isalnum() for ch in w)]
    if not words:
        return false()
    if _CJK.search(query):
        return and_(
            *(
                or_(
                    Article.title.icontains(w, autoescape=True),
                    Article.text.icontains(w, autoescape=True),
                )
                for w in words
            )
        )
    if dialect == "sqlite":
        phrases = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        fts = table(FTS_TABLE, column("rowid"))
        hits = select(fts.c.rowid).where(literal_column(FTS_TABLE).bool_op("MATCH")(phrases))
        return Article.id.in_(hits)
    vector: ColumnElement[Any] = literal_column(f"{Article.__tablename__}.{SEARCH_VECTOR_COLUMN}")
    return vector.bool_op("@@")(func.plainto_tsquery("simple", " ".join(words)))


def find_articles(session: Session, flt: ArticleFilter) -> list[ArticleRow]:
    """Articles matching the filter, newest published first (undated last), then newest id."""
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
    ).join(Source, Source.id == Article.source_id)
    if flt.topics:
        stmt = stmt.where(
            exists().where(TopicMatch.article_id == Article.id, TopicMatch.topic.in_(flt.topics))
        )
    if flt.sources:
        stmt = stmt.where(Source.name.in_(flt.sources))
    if flt.since is not None:
        stmt = stmt.where(Article.published_at >= _aware(flt.since, "since"))
    if flt.until is not None:
        stmt = stmt.where(Article.published_at < _aware(flt.until, "until"))
    if flt.languages:
        stmt = stmt.where(Article.language.in_(flt.languages))
    if flt.search is not None and flt.search.strip():
        dialect = session.get_bind().dialect.name
        stmt = stmt.where(search_condition(dialect, flt.search))
    stmt = stmt.order_by(Article.published_at.desc().nulls_last(), Article.id.desc())
    if flt.limit is not None:
        stmt = stmt.limit(flt.limit)
    rows = session.execute(stmt).all()
    matches = _matches_for(session, [row.id for row in rows])
    wanted = set(flt.topics)
    result = []
    for row in rows:
        found = matches.get(row.id, [])
        best = [m for m in found if not wanted or m[0] in wanted]
        top = min(best, key=lambda m: (-m[1], m[0]), default=None)
        result.append(
            ArticleRow(
                url=row.url,
                title=row.title,
                source=row.name,
                published=row.published_at,
                language=row.language,
                author=row.author,
                topics=sorted(m[0] for m in found),
                snippet=top[2] if top else None,
                score=top[1] if top else None,
                published_origin=row.published_origin,
                published_note=row.published_note,
            )
        )
    return result


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


def latest_run_id(session: Session) -> int | None:
    """The id of the most recently started crawl run, or None before the first crawl."""
    return session.execute(select(func.max(CrawlRun.id))).scalar_one_or_none()


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


def _matches_for(session: Session, article_ids: Sequence[int]) -> dict[int, list[Any]]:
    """(topic, score, snippet) of every match of the given articles, in one query per 500."""
    found: dict[int, list[Any]] = {}
    for start in range(0, len(article_ids), _CHUNK):
        chunk = article_ids[start : start + _CHUNK]
        rows = session.execute(
            select(
                TopicMatch.article_id, TopicMatch.topic, TopicMatch.score, TopicMatch.snippet
            ).where(TopicMatch.article_id.in_(chunk))
        )
        for article_id, topic, score, snippet in rows:
            found.setdefault(article_id, []).append((topic, score, snippet))
    return found


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got {value.isoformat()}")
    return value
