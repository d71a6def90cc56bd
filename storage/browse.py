"""Read-side queries of the web site: lists with keyset pagination, one article, overviews.

Functions take a `Session` and never write. Lists are ordered newest published first,
undated last, then by id descending; a page continues after a `Cursor` (the last row's
published time and id), so no page costs an OFFSET scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, cast, exists, func, literal_column, or_, select
from sqlalchemy.orm import Session

from storage.identity import version_changes
from storage.models import Article, Source, TopicMatch
from storage.models_sources import SourceState, StoryFingerprint
from storage.search import Expand, search_condition, sqlite_list_plan


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: the published time (None for undated) and id of its last row."""

    published: datetime | None
    article_id: int


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A filtered list of articles; empty sequences and None mean "no restriction"."""

    topic: str | None = None
    sources: Sequence[str] = ()
    languages: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None
    after: Cursor | None = None
    limit: int = 50
    expand: Expand | None = None


@dataclass(frozen=True, slots=True)
class ListedArticle:
    """One row of a list, with its topics and its best match's snippet and hit offsets."""

    id: int
    url: str
    title: str
    source: str
    published: datetime | None
    language: str | None
    author: str | None
    topics: list[str]
    score: float | None = None
    snippet: str | None = None
    snippet_hits: list[list[int]] = field(default_factory=list)


def list_articles(session: Session, q: ListQuery) -> tuple[list[ListedArticle], Cursor | None]:
    """One page of the list and the cursor of the next page (None on the last page)."""
    rows = _page_rows(session, q)
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    matches = _matches(session, [r.id for r in rows])
    listed = []
    for row in rows:
        found = matches.get(row.id, [])
        chosen = [m for m in found if q.topic is None or m.topic == q.topic]
        best = min(chosen, key=lambda m: (-m.score, m.topic), default=None)
        listed.append(
            ListedArticle(
                id=row.id,
                url=row.url,
                title=row.title,
                source=row.name,
                published=row.published_at,
                language=row.language,
                author=row.author,
                topics=sorted(m.topic for m in found),
                score=best.score if best else None,
                snippet=best.snippet if best else None,
                snippet_hits=list(best.snippet_hits) if best else [],
            )
        )
    last = listed[-1] if listed and more else None
    return listed, Cursor(last.published, last.id) if last else None


def _list_statement(session: Session, q: ListQuery) -> Any:
    stmt = select(
        Article.id,
        Article.url,
        Article.title,
        Source.name,
        Article.published_at,
        Article.language,
        Article.author,
    ).join(Source, Source.id == Article.source_id)
    if q.topic is not None:
        stmt = stmt.where(
            exists().where(TopicMatch.article_id == Article.id, TopicMatch.topic == q.topic)
        )
    if q.sources:
        stmt = stmt.where(Source.name.in_(q.sources))
    if q.languages:
        stmt = stmt.where(Article.language.in_(q.languages))
    if q.since is not None:
        stmt = stmt.where(Article.published_at >= q.since)
    if q.until is not None:
        stmt = stmt.where(Article.published_at < q.until)
    if q.search is not None and q.search.strip():
        dialect = session.get_bind().dialect.name
        plan = sqlite_list_plan(session, q.search, q.expand) if dialect == "sqlite" else None
        stmt = stmt.where(search_condition(dialect, q.search, q.expand, walk_dates=plan == "dates"))
        if plan == "language":  # "+" keeps SQLite off the date index: filter, then sort
            return stmt.order_by(literal_column("+articles.published_at").desc(), Article.id.desc())
    published = Article.published_at.desc()
    if session.get_bind().dialect.name == "postgresql":
        published = published.nulls_last()  # SQLite puts NULL last in DESC order already
    return stmt.order_by(published, Article.id.desc())


def _page_rows(session: Session, q: ListQuery) -> list[Any]:
    """The page's rows (one more than the limit, if there is one): the dated rows after the
    cursor newest first, then the undated ones by id. Each part is one index range scan in
    list order, however deep the page (an OR of both would make the database sort)."""
    base = _list_statement(session, q)
    after = q.after
    rows: list[Any] = []
    if after is None or after.published is not None:
        dated = base.where(Article.published_at.is_not(None))
        if after is not None and after.published is not None:
            dated = dated.where(
                Article.published_at <= after.published,
                or_(Article.published_at < after.published, Article.id < after.article_id),
            )
        rows = list(session.execute(dated.limit(q.limit + 1)).all())
    if len(rows) <= q.limit:
        undated = base.where(Article.published_at.is_(None))
        if after is not None and after.published is None:
            undated = undated.where(Article.id < after.article_id)
        rows += session.execute(undated.limit(q.limit + 1 - len(rows))).all()
    return rows


def _matches(session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    if not ids:
        return found
    stmt = select(
        TopicMatch.article_id,
        TopicMatch.topic,
        TopicMatch.score,
        TopicMatch.snippet,
        TopicMatch.snippet_hits,
    ).where(TopicMatch.article_id.in_(ids))
    for row in session.execute(stmt):
        found.setdefault(row.article_id, []).append(row)
    return found


@dataclass(frozen=True, slots=True)
class ArticleDetail:
    """One article with everything its page shows."""

    id: int
    url: str
    title: str
    text: str
    source: str
    author: str | None
    published: datetime | None
    published_origin: str | None
    language: str | None
    version: int
    first_seen: datetime
    matches: list[dict[str, Any]]
    versions: list[dict[str, Any]]
    cluster: list[ListedArticle]


def article_detail(session: Session, article_id: int) -> ArticleDetail | None:
    """The article with this id, its matches, versions and story cluster; None if unknown."""
    row = session.execute(
        select(Article, Source.name)
        .join(Source, Source.id == Article.source_id)
        .where(Article.id == article_id)
    ).first()
    if row is None:
        return None
    art, source = row
    matches = [
        {"topic": m.topic, "score": m.score, "terms": dict(m.terms), "hits": list(m.hits)}
        for m in session.scalars(
            select(TopicMatch).where(TopicMatch.article_id == art.id).order_by(TopicMatch.topic)
        )
    ]
    return ArticleDetail(
        id=art.id,
        url=art.url,
        title=art.title,
        text=art.text,
        source=source,
        author=art.author,
        published=art.published_at,
        published_origin=art.published_origin,
        language=art.language,
        version=art.version,
        first_seen=art.first_seen,
        matches=matches,
        versions=version_changes(session, art.url),
        cluster=story_cluster(session, art.id),
    )


def story_cluster(session: Session, article_id: int, limit: int = 50) -> list[ListedArticle]:
    """The other articles of the article's story cluster (other outlets first), oldest first."""
    cluster = (
        select(StoryFingerprint.cluster_id)
        .where(StoryFingerprint.article_id == article_id)
        .scalar_subquery()
    )
    stmt = (
        select(
            Article.id,
            Article.url,
            Article.title,
            Source.name,
            Article.published_at,
            Article.language,
            Article.author,
            Article.source_id,
        )
        .join(StoryFingerprint, StoryFingerprint.article_id == Article.id)
        .join(Source, Source.id == Article.source_id)
        .where(StoryFingerprint.cluster_id == cluster, Article.id != article_id)
        .order_by(Article.published_at, Article.id)
        .limit(limit)
    )
    own = session.scalar(select(Article.source_id).where(Article.id == article_id))
    rows = sorted(session.execute(stmt).all(), key=lambda r: r.source_id == own)
    topics = _matches(session, [r.id for r in rows])
    return [
        ListedArticle(
            id=r.id,
            url=r.url,
            title=r.title,
            source=r.name,
            published=r.published_at,
            language=r.language,
            author=r.author,
            topics=sorted(m.topic for m in topics.get(r.id, [])),
        )
        for r in rows
    ]


def topic_daily_counts(
    session: Session, topics: Sequence[str], first_day: date, days: int, utc_offset: timedelta
) -> dict[str, list[int]]:
    """Per topic, matching articles published on each of ``days`` days from ``first_day``.

    Days are calendar days at ``utc_offset`` from UTC (the site's zone's current offset).
    """
    start = datetime.combine(first_day, datetime.min.time()) - utc_offset
    end = start + timedelta(days=days)
    day = _local_day(session, utc_offset)
    stmt = (
        select(TopicMatch.topic, day.label("day"), func.count())
        .join(Article, Article.id == TopicMatch.article_id)
        .where(TopicMatch.topic.in_(topics))
        .where(Article.published_at >= _utc(start), Article.published_at < _utc(end))
        .group_by(TopicMatch.topic, day)
    )
    counts = {t: [0] * days for t in topics}
    for topic, when, n in session.execute(stmt):
        index = (_as_date(when) - first_day).days
        if 0 <= index < days:
            counts[topic][index] = int(n)
    return counts


def _local_day(session: Session, offset: timedelta) -> Any:
    seconds = int(offset.total_seconds())
    if session.get_bind().dialect.name == "sqlite":
        return func.date(Article.published_at, f"{seconds:+d} seconds")
    shifted = func.timezone("UTC", Article.published_at) + literal_column(
        f"interval '{seconds:d} seconds'"
    )
    return cast(shifted, Date)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _utc(naive: datetime) -> datetime:
    return naive.replace(tzinfo=UTC)


def source_health(session: Session, names: Sequence[str]) -> list[dict[str, Any]]:
    """Per source: newest publication time, consecutive failures and last error."""
    latest = (
        select(func.max(Article.published_at))
        .where(Article.source_id == Source.id)
        .scalar_subquery()
    )
    newest = dict(session.execute(select(Source.name, latest).where(Source.name.in_(names))).all())
    states = {
        s.source: s
        for s in session.scalars(select(SourceState).where(SourceState.source.in_(names)))
    }
    rows = []
    for name in names:
        state = states.get(name)
        rows.append(
            {
                "source": name,
                "newest": newest.get(name),
                "failures": state.consecutive_failures if state else 0,
                "last_polled": state.last_polled if state else None,
                "error": state.last_error if state else None,
            }
        )
    return rows
