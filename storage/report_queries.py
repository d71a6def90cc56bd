"""Read-side queries of the daily report, and the record of its deliveries.

Every function takes a `Session` and never commits. Each query is bounded by an indexed
time range (``articles.published_at``, ``crawl_runs.started_at``,
``fetch_failures.occurred_at``), so a day's report reads that day, not the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from storage.models import (
    Article,
    CrawlRun,
    CrawlRunSource,
    FetchFailure,
    Source,
    TopicMatch,
    utcnow,
)
from storage.models_reports import ReportDelivery
from storage.models_sources import StoryFingerprint


@dataclass(frozen=True, slots=True)
class DayMatch:
    """One (article, topic) match of an article published in the report's day."""

    topic: str
    article_id: int
    url: str
    title: str
    source: str
    published: datetime
    language: str | None
    score: float
    snippet: str
    snippet_hits: list[tuple[int, int]]
    terms: dict[str, int]
    version: int
    relevance: str | None = None  # "about", "mentions", or None (stored before levels)
    story_root: str | None = None  # URL of the article that started its story cluster


@dataclass(frozen=True, slots=True)
class SourceActivity:
    """What the crawls of one source did in a time range: runs and their tallies."""

    source: str
    runs: int
    fetched: int
    new: int
    updated: int
    failed: int


@dataclass(frozen=True, slots=True)
class FailureCount:
    """How often one source failed for one reason at one stage in a time range."""

    source: str
    stage: str
    reason: str
    count: int


def day_matches(
    session: Session, start: datetime, end: datetime, topics: Sequence[str]
) -> list[DayMatch]:
    """Matches of the given topics for articles published in [start, end), oldest first,
    each with the URL that names its stored story cluster."""
    root = aliased(Article)
    stmt = (
        select(
            TopicMatch.topic,
            Article.id,
            Article.url,
            Article.title,
            Source.name,
            Article.published_at,
            Article.language,
            TopicMatch.score,
            TopicMatch.snippet,
            TopicMatch.snippet_hits,
            TopicMatch.terms,
            Article.version,
            TopicMatch.relevance,
            root.url.label("story_root"),
        )
        .join(Article, Article.id == TopicMatch.article_id)
        .join(Source, Source.id == Article.source_id)
        .outerjoin(StoryFingerprint, StoryFingerprint.article_id == Article.id)
        .outerjoin(root, root.id == StoryFingerprint.cluster_id)
        .where(Article.published_at >= start, Article.published_at < end)
        .where(TopicMatch.topic.in_(list(topics)))
        .order_by(Article.published_at, Article.id, TopicMatch.topic)
    )
    return [
        DayMatch(
            topic=r.topic,
            article_id=r.id,
            url=r.url,
            title=r.title,
            source=r.name,
            published=r.published_at,
            language=r.language,
            score=float(r.score),
            snippet=r.snippet,
            snippet_hits=[(int(h[0]), int(h[1])) for h in r.snippet_hits],
            terms={str(k): int(v) for k, v in r.terms.items()},
            version=int(r.version),
            relevance=r.relevance,
            story_root=r.story_root,
        )
        for r in session.execute(stmt)
    ]


def topic_counts(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Number of matching articles per topic (every topic) published in [start, end).

    No topic filter on purpose: SQLite then reads each article's matches with one range
    scan of the (article_id, topic) index instead of one probe per wanted topic.
    """
    stmt = (
        select(TopicMatch.topic, func.count())
        .join(Article, Article.id == TopicMatch.article_id)
        .where(Article.published_at >= start, Article.published_at < end)
        .group_by(TopicMatch.topic)
    )
    return {str(topic): int(n) for topic, n in session.execute(stmt)}


def published_by_source(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Number of stored articles (any topic or none) per source published in [start, end)."""
    stmt = (
        select(Source.name, func.count())
        .join(Article, Article.source_id == Source.id)
        .where(Article.published_at >= start, Article.published_at < end)
        .group_by(Source.name)
    )
    return {str(name): int(n) for name, n in session.execute(stmt)}


def source_activity(session: Session, start: datetime, end: datetime) -> list[SourceActivity]:
    """Per source, the crawl runs started in [start, end) and their summed tallies."""
    crs = CrawlRunSource
    stmt = (
        select(
            crs.source,
            func.count(),
            func.sum(crs.fetched),
            func.sum(crs.new),
            func.sum(crs.updated),
            func.sum(crs.failed),
        )
        .join(CrawlRun, CrawlRun.id == crs.run_id)
        .where(CrawlRun.started_at >= start, CrawlRun.started_at < end)
        .group_by(crs.source)
        .order_by(crs.source)
    )
    return [
        SourceActivity(str(s), int(n), int(f or 0), int(nw or 0), int(u or 0), int(fl or 0))
        for s, n, f, nw, u, fl in session.execute(stmt)
    ]


def failure_counts(session: Session, start: datetime, end: datetime) -> list[FailureCount]:
    """Fetch failures in [start, end) counted per source, stage and reason."""
    stmt = (
        select(FetchFailure.source, FetchFailure.stage, FetchFailure.reason, func.count())
        .where(FetchFailure.occurred_at >= start, FetchFailure.occurred_at < end)
        .group_by(FetchFailure.source, FetchFailure.stage, FetchFailure.reason)
    )
    rows = [FailureCount(str(s), str(st), str(r), int(n)) for s, st, r, n in session.execute(stmt)]
    return sorted(rows, key=lambda f: (f.source, -f.count, f.stage, f.reason))


def record_delivery(
    session: Session,
    *,
    report_date: date,
    channel: str,
    target: str,
    attempt: int,
    ok: bool,
    error: str | None,
) -> None:
    """Add the record of one delivery attempt (the caller commits)."""
    session.add(
        ReportDelivery(
            report_date=report_date,
            channel=channel,
            target=target,
            attempt=attempt,
            status="ok" if ok else "failed",
            error=error,
            attempted_at=utcnow(),
        )
    )
    session.flush()


def deliveries_for(session: Session, report_date: date) -> list[ReportDelivery]:
    """Every recorded delivery attempt of one day's report, in the order they were made."""
    stmt = (
        select(ReportDelivery)
        .where(ReportDelivery.report_date == report_date)
        .order_by(ReportDelivery.id)
    )
    return list(session.scalars(stmt))
