"""Story keys in the database: store them, and find the story a new article belongs to.

A key is a plain string the pipeline derives from an article (an entity, an event, a
figure; see ``pipelines.storykeys``); storage only stores, indexes and hands them to the
caller's `Linker`. A new article is compared only with articles that share one of its
indexed keys and were seen within the linker's window, so the cost per article is bounded
by how many recent articles name the same places, people and events, never by the size
of the database. Functions take a ``Session`` and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from storage import models
from storage.models_sources import StoryFingerprint, StoryKey
from storage.writes import insert_stmt

CANDIDATE_LIMIT = 2000
"""Most stored articles one batch compares with (the most recently seen)."""

_KEYS = cast(Table, StoryKey.__table__)
_PRINTS = cast(Table, StoryFingerprint.__table__)
_ARTICLES = cast(Table, models.Article.__table__)


class Linker(Protocol):
    """How the caller compares two articles' keys (``pipelines.storykeys.LINKER``)."""

    threshold: float
    window: timedelta

    def score(
        self, a: frozenset[str], b: frozenset[str], a_time: datetime | None, b_time: datetime | None
    ) -> float:
        """How surely two articles are one story (0 to 1)."""
        ...

    def lookup(self, keys: Iterable[str]) -> list[str]:
        """The keys to find candidates by."""
        ...


class KeyIndex:
    """Recent articles' keys, clusters and times, with postings by indexed key."""

    def __init__(self, linker: Linker) -> None:
        self.linker = linker
        self.keys: dict[int, frozenset[str]] = {}
        self.meta: dict[int, tuple[int, datetime | None]] = {}
        self.postings: dict[str, list[int]] = {}

    def load(self, session: Session, lookup: Iterable[str], earliest: datetime) -> None:
        """Read the stored articles that share a key in ``lookup``, seen at most the
        linker's window before ``earliest`` (the first print of the batch)."""
        since = earliest - self.linker.window
        wanted = sorted(set(lookup))
        if not wanted:
            return
        k, p, a = _KEYS.c, _PRINTS.c, _ARTICLES.c
        candidates = (
            select(p.article_id)
            .where(p.seen_at >= since)
            .where(p.article_id.in_(select(k.article_id).where(k.key.in_(wanted))))
            .order_by(p.seen_at.desc())
            .limit(CANDIDATE_LIMIT)
        ).subquery()
        ids = select(candidates.c.article_id)
        meta = select(p.article_id, p.cluster_id, a.published_at, p.seen_at).join(
            _ARTICLES, a.id == p.article_id
        )
        for article_id, cluster, published, seen in session.execute(
            meta.where(p.article_id.in_(ids))
        ):
            self.meta[article_id] = (cluster, published or seen)
        found: dict[int, set[str]] = {}
        stored = select(k.article_id, k.key).where(k.article_id.in_(ids))
        for article_id, key in session.execute(stored):
            found.setdefault(article_id, set()).add(key)
        for article_id, keys in sorted(found.items()):
            if article_id in self.meta:
                self.put(article_id, frozenset(keys), *self.meta[article_id])

    def put(self, article_id: int, keys: frozenset[str], cluster: int, at: datetime | None) -> None:
        """Add (or replace) an article."""
        if article_id not in self.keys:
            for key in self.linker.lookup(keys):
                self.postings.setdefault(key, []).append(article_id)
        self.keys[article_id] = keys
        self.meta[article_id] = (cluster, at)

    def best(self, article_id: int, keys: frozenset[str], at: datetime | None) -> int | None:
        """The cluster of the best-scoring other article at or above the threshold, else None.

        Ties go to the earliest article (lowest id), so the result does not depend on order.
        """
        seen: set[int] = {article_id}
        best: tuple[float, int] | None = None
        for key in self.linker.lookup(keys):
            for other in self.postings.get(key, ()):
                if other in seen:
                    continue
                seen.add(other)
                score = self.linker.score(keys, self.keys[other], at, self.meta[other][1])
                if score < self.linker.threshold:
                    continue
                if best is None or (-score, other) < (-best[0], best[1]):
                    best = (score, other)
        return None if best is None else self.meta[best[1]][0]


def save_keys(session: Session, keys: dict[int, frozenset[str]]) -> None:
    """Replace the stored keys of these articles."""
    if not keys:
        return
    session.execute(delete(_KEYS).where(_KEYS.c.article_id.in_(sorted(keys))))
    rows = [{"article_id": a, "key": k} for a, found in keys.items() for k in sorted(found)]
    if rows:  # another writer may have stored the same article's keys meanwhile
        stmt = insert_stmt(session, _KEYS).on_conflict_do_nothing(
            index_elements=["article_id", "key"]
        )
        session.execute(stmt, rows)
