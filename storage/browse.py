"""Read-side queries of the web site: lists with keyset pagination, one article, overviews.

Functions take a `Session` and never write. Lists are ordered newest published first,
undated last, then by id descending; a page continues after a `Cursor` (the last row's
published time and id), so no page costs an OFFSET scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select, union_all
from sqlalchemy.orm import Session

from storage.identity import version_changes
from storage.models import Article, Source, TopicMatch
from storage.models_sources import StoryFingerprint
from storage.queries import matches_of
from storage.search import CJK_LANGUAGES, Expand, search_condition, sqlite_list_plan


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
    relevance: str | None = None  # "about" or "mentions": only matches at that level


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
    also_in: list[str] = field(default_factory=list)  # other outlets carrying the story


def list_articles(session: Session, q: ListQuery) -> tuple[list[ListedArticle], Cursor | None]:
    """One page of the list and the cursor of the next page (None on the last page)."""
    rows = _page_rows(session, q)
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    matches = matches_of(session, [r.id for r in rows])
    outlets = _other_outlets(session, {r.id: r.name for r in rows})
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
                also_in=outlets.get(row.id, []),
            )
        )
    last = listed[-1] if listed and more else None
    return listed, Cursor(last.published, last.id) if last else None


def _list_statement(session: Session, q: ListQuery, plan: str | None) -> Any:
    stmt = select(
        Article.id,
        Article.url,
        Article.title,
        Source.name,
        Article.published_at,
        Article.language,
        Article.author,
    ).join(Source, Source.id == Article.source_id)
    if q.topic is not None or q.relevance is not None:
        match = [TopicMatch.article_id == Article.id]
        if q.topic is not None:
            match.append(TopicMatch.topic == q.topic)
        if q.relevance is not None:
            match.append(TopicMatch.relevance == q.relevance)
        stmt = stmt.where(exists().where(*match))
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
        stmt = stmt.where(search_condition(dialect, q.search, q.expand, walk_dates=plan == "dates"))
    published = Article.published_at.desc()
    if session.get_bind().dialect.name == "postgresql":
        published = published.nulls_last()  # SQLite puts NULL last in DESC order already
    return stmt.order_by(published, Article.id.desc())


def _page_rows(session: Session, q: ListQuery) -> list[Any]:
    """The page's rows (one more than the limit, if there is one): the dated rows after the
    cursor newest first, then the undated ones by id. Each part is one index range scan in
    list order, however deep the page (an OR of both would make the database sort)."""
    plan = None
    if q.search and q.search.strip() and session.get_bind().dialect.name == "sqlite":
        plan = sqlite_list_plan(session, q.search, q.expand)
    base = _list_statement(session, q, plan)
    after = q.after
    rows: list[Any] = []
    if after is None or after.published is not None:
        dated = base.where(Article.published_at.is_not(None))
        if after is not None and after.published is not None:
            dated = dated.where(
                Article.published_at <= after.published,
                or_(Article.published_at < after.published, Article.id < after.article_id),
            )
        rows = _fetch(session, dated, q.limit + 1, plan)
    if len(rows) <= q.limit:
        undated = base.where(Article.published_at.is_(None))
        if after is not None and after.published is None:
            undated = undated.where(Article.id < after.article_id)
        rows += _fetch(session, undated, q.limit + 1 - len(rows), plan)
    return rows


def _fetch(session: Session, stmt: Any, limit: int, plan: str | None) -> list[Any]:
    if plan != "language":
        return list(session.execute(stmt.limit(limit)).all())
    # One walk per CJK language down (language, published_at), merged: SQLite would
    # otherwise collect every CJK article matching the word and sort them.
    parts = [
        select(stmt.where(Article.language == lang).limit(limit).subquery())
        for lang in CJK_LANGUAGES
    ]
    merged = union_all(*parts).subquery()
    ordered = select(merged).order_by(merged.c.published_at.desc(), merged.c.id.desc())
    return list(session.execute(ordered.limit(limit)).all())


STORY_WINDOW = timedelta(days=7)
"""How far from an article (by fingerprint time) the site looks for the rest of its story.

A cluster (`storage.identity`) grows by chaining near-duplicates seen within three days
of each other and reports linked by story keys, so a recurring text (a daily digest) can
make one cluster of thousands of articles over a year; the same story from other outlets
is what was seen around the same time."""


def _other_outlets(session: Session, sources: dict[int, str]) -> dict[int, list[str]]:
    """Per article id, the other sources that carry its story (same cluster, nearby)."""
    if not sources:
        return {}
    prints = session.execute(
        select(
            StoryFingerprint.article_id, StoryFingerprint.cluster_id, StoryFingerprint.seen_at
        ).where(StoryFingerprint.article_id.in_(list(sources)))
    ).all()
    if not prints:
        return {}
    low = min(p.seen_at for p in prints) - STORY_WINDOW
    high = max(p.seen_at for p in prints) + STORY_WINDOW
    stmt = (
        select(StoryFingerprint.cluster_id, StoryFingerprint.seen_at, Source.name)
        .join(Article, Article.id == StoryFingerprint.article_id)
        .join(Source, Source.id == Article.source_id)
        .where(
            StoryFingerprint.cluster_id.in_({p.cluster_id for p in prints}),
            StoryFingerprint.seen_at.between(low, high),
        )
    )
    members: dict[int, list[tuple[datetime, str]]] = {}
    for cluster, seen, name in session.execute(stmt):
        members.setdefault(cluster, []).append((seen, name))
    found = {}
    for article_id, cluster, seen in prints:
        near = {n for t, n in members.get(cluster, []) if abs(t - seen) <= STORY_WINDOW}
        found[article_id] = sorted(near - {sources[article_id]})
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
    """The other articles of the article's story cluster seen within `STORY_WINDOW` of it
    (other outlets first), oldest first."""
    own_print = session.execute(
        select(StoryFingerprint.cluster_id, StoryFingerprint.seen_at).where(
            StoryFingerprint.article_id == article_id
        )
    ).first()
    if own_print is None:
        return []
    cluster, seen = own_print
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
        .where(
            StoryFingerprint.cluster_id == cluster,
            StoryFingerprint.seen_at.between(seen - STORY_WINDOW, seen + STORY_WINDOW),
            Article.id != article_id,
        )
        .order_by(Article.published_at, Article.id)
        .limit(limit)
    )
    own = session.scalar(select(Article.source_id).where(Article.id == article_id))
    rows = sorted(session.execute(stmt).all(), key=lambda r: r.source_id == own)
    topics = matches_of(session, [r.id for r in rows])
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
