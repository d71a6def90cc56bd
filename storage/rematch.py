"""What ``wirewatch reflag`` needs from the database: stored articles in id order, and a way
to make their topic matches equal to what the current rules say.

Every function takes a `Session` and never commits: the caller commits once per batch, so an
interrupted run loses at most one batch and a re-run redoes it (the writes are idempotent).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, delete, func, insert, select
from sqlalchemy.orm import Session

from storage import models
from storage.records import MatchRecord

_ARTICLES = cast(Table, models.Article.__table__)
_MATCHES = cast(Table, models.TopicMatch.__table__)


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """The fields of a stored article that topic matching reads."""

    id: int
    title: str
    text: str
    language: str | None


@dataclass(slots=True)
class RematchCounts:
    """How the stored matches changed: rows added, removed, rewritten and left alone."""

    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0


def _since(stmt: Select[Any], since: datetime | None) -> Select[Any]:
    """Articles published at or after ``since`` (or, when undated, first seen then)."""
    if since is None:
        return stmt
    a = _ARTICLES.c
    published = func.coalesce(a.published_at, a.first_seen)
    return stmt.where(published >= since)


def count_articles(session: Session, since: datetime | None = None) -> int:
    """How many stored articles a reflag from ``since`` will read."""
    return int(
        session.execute(_since(select(func.count()).select_from(_ARTICLES), since)).scalar_one()
    )


def article_batch(
    session: Session, *, after_id: int, limit: int, since: datetime | None = None
) -> list[StoredArticle]:
    """The next ``limit`` articles with an id above ``after_id``, in id order."""
    a = _ARTICLES.c
    stmt = select(a.id, a.title, a.text, a.language).where(a.id > after_id)
    stmt = _since(stmt, since).order_by(a.id).limit(limit)
    return [StoredArticle(*row) for row in session.execute(stmt)]


def _row(article_id: int, m: MatchRecord, matched_at: datetime) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "topic": m.topic,
        "score": float(m.score),
        "terms": dict(m.terms),
        "hits": list(m.hits),
        "snippet": m.snippet,
        "snippet_hits": [list(h) for h in m.snippet_hits],
        "matched_at": matched_at,
        "relevance": m.relevance,
    }


def _same(stored: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    keys = ("score", "terms", "hits", "snippet", "snippet_hits", "relevance")
    return all(stored[k] == new[k] for k in keys)


def replace_matches(
    session: Session,
    results: Mapping[int, Sequence[MatchRecord]],
    *,
    topics: Collection[str] | None,
    matched_at: datetime,
) -> RematchCounts:
    """Make the stored matches of the articles in ``results`` equal to ``results``.

    Only the ``topics`` given are touched (all topics when None, so the matches of a topic
    that no longer exists are removed too). Unchanged rows are left as they are.
    """
    counts = RematchCounts()
    if not results:
        return counts
    c = _MATCHES.c
    columns = (
        c.id,
        c.article_id,
        c.topic,
        c.score,
        c.terms,
        c.hits,
        c.snippet,
        c.snippet_hits,
        c.relevance,
    )
    stmt = select(*columns).where(c.article_id.in_(list(results)))
    if topics is not None:
        stmt = stmt.where(c.topic.in_(list(topics)))
    stored = {(r.article_id, r.topic): r._asdict() for r in session.execute(stmt)}
    wanted = {
        (article_id, m.topic): _row(article_id, m, matched_at)
        for article_id, matches in results.items()
        for m in matches
        if topics is None or m.topic in topics
    }
    drop = [row["id"] for key, row in stored.items() if key not in wanted]
    add = []
    for key, row in wanted.items():
        old = stored.get(key)
        if old is None:
            add.append(row)
            counts.added += 1
        elif _same(old, row):
            counts.unchanged += 1
        else:
            drop.append(old["id"])
            add.append(row)
            counts.changed += 1
    counts.removed = len(drop) - counts.changed
    if drop:
        session.execute(delete(_MATCHES).where(c.id.in_(drop)))
    if add:
        session.execute(insert(_MATCHES), add)
    return counts
