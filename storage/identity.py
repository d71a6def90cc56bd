"""Article identity beyond the exact URL: variant keys (AMP, mobile, http/https) and stories.

A story is one event, however many outlets and languages report it. It is stored once,
here: ``story_fingerprints.cluster_id`` (the id of the article that started the story),
written by `assign_clusters` when an article is stored and read by everything that shows
stories (the report's "also in", the web site's lists and article pages). An article joins
a story as a near-copy of a recent text (simhash) or, through its story keys
(`storage.storylinks`), as the same event told in other words or another language.

Functions take a ``Session`` and never commit. The key, fingerprint and linking functions
are passed in by the caller, so storage stays free of URL and text logic.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from storage import models, storylinks
from storage.models_sources import ArticleKey, StoryFingerprint
from storage.records import ArticleRecord
from storage.storylinks import Linker
from storage.writes import chunks, insert_stmt


def story_id(root_url: str) -> str:
    """The public id of the story started by the article at ``root_url`` (its cluster's
    first article): the same in the report, ``wirewatch query`` and on any database."""
    return "s-" + hashlib.sha256(root_url.encode("utf-8")).hexdigest()[:12]


CLUSTER_WINDOW = timedelta(days=3)
"""How far back a new article looks for a near-duplicate to join its story cluster."""

MAX_DISTANCE = 10
"""Largest simhash Hamming distance (of 64 bits) between two copies of one story.

Unrelated texts differ in 32 bits on average (standard deviation 4), so 10 leaves a false
link at odds of about one in 10^7 while tolerating a re-edited lead and a dateline.
"""

_KEYS = cast(Table, ArticleKey.__table__)
_PRINTS = cast(Table, StoryFingerprint.__table__)
_ARTICLES = cast(Table, models.Article.__table__)
_VERSIONS = cast(Table, models.ArticleVersion.__table__)


def resolve_variants(
    session: Session, records: Sequence[ArticleRecord], key: Callable[[str], str]
) -> list[ArticleRecord]:
    """Give each record the URL of the stored article (or earlier record) with its identity key."""
    keys = {r.url: key(r.url) for r in records}
    target: dict[str, str] = {}
    for chunk in chunks(sorted(set(keys.values()))):
        stmt = (
            select(_KEYS.c.key, _ARTICLES.c.url)
            .join(_ARTICLES, _ARTICLES.c.id == _KEYS.c.article_id)
            .where(_KEYS.c.key.in_(chunk))
        )
        target.update((k, u) for k, u in session.execute(stmt))
    resolved = []
    for record in records:
        url = target.setdefault(keys[record.url], record.url)
        resolved.append(record if url == record.url else dataclasses.replace(record, url=url))
    return resolved


def remember_keys(session: Session, urls: Iterable[str], key: Callable[[str], str]) -> None:
    """Record the identity key of each stored article URL (existing keys are kept)."""
    ids = _article_ids(session, set(urls))
    rows = [{"key": key(url), "article_id": article_id} for url, article_id in ids.items()]
    if rows:
        stmt = insert_stmt(session, _KEYS).on_conflict_do_nothing(index_elements=["key"])
        session.execute(stmt, rows)


@dataclasses.dataclass(frozen=True, slots=True)
class StoryPrint:
    """What places an article in its story: its text's simhash (signed), when it was seen,
    and, for linking beyond copies of one text, its story keys and publication time."""

    url: str
    simhash: int
    seen_at: datetime
    keys: frozenset[str] = frozenset()
    published: datetime | None = None


def assign_clusters(
    session: Session,
    prints: Sequence[StoryPrint],
    *,
    linker: Linker | None = None,
    max_distance: int = MAX_DISTANCE,
    window: timedelta = CLUSTER_WINDOW,
) -> dict[str, int]:
    """Store the articles' prints (and keys); return url -> story cluster id.

    An article joins the cluster of the closest recent fingerprint within ``max_distance``
    bits (a copy of the same text); failing that, with a ``linker``, the cluster of the
    recent article whose keys score best (the same event in other words or another
    language); otherwise it starts a cluster named by its own id. A re-fingerprinted
    (updated) article keeps its cluster.
    """
    if not prints:
        return {}
    ids = _article_ids(session, {sp.url for sp in prints})
    p = _PRINTS.c
    earliest = min(sp.seen_at for sp in prints)
    recent = _Recent(
        session.execute(
            select(p.article_id, p.simhash, p.cluster_id).where(p.seen_at >= earliest - window)
        )
    )
    known = {row[0]: row[1] for row in _select_prints(session, list(ids.values()))}
    index = None
    if linker is not None:
        index = storylinks.KeyIndex(linker)
        new = [sp for sp in prints if ids.get(sp.url) not in known]
        index.load(session, {k for sp in new for k in linker.lookup(sp.keys)}, earliest)
    result: dict[str, int] = {}
    placed: dict[int, tuple[StoryPrint, int]] = {}
    for sp in prints:
        article_id = ids.get(sp.url)
        if article_id is None:
            continue
        cluster = known.get(article_id)
        if cluster is None:
            cluster = recent.nearest(sp.simhash, article_id, max_distance)
        if cluster == article_id and index is not None:
            cluster = index.best(article_id, sp.keys, sp.published or sp.seen_at) or cluster
        recent.put(article_id, sp.simhash, cluster)
        if index is not None:
            index.put(article_id, sp.keys, cluster, sp.published or sp.seen_at)
        known[article_id] = result[sp.url] = cluster
        placed[article_id] = (sp, cluster)
    _save(session, placed, keys=linker is not None)
    return result


def _save(session: Session, placed: dict[int, tuple[StoryPrint, int]], keys: bool) -> None:
    """Upsert the prints (an existing row keeps its cluster) and, if linking, the keys."""
    if not placed:
        return
    rows = [
        {"article_id": a, "simhash": sp.simhash, "cluster_id": c, "seen_at": sp.seen_at}
        for a, (sp, c) in placed.items()
    ]
    stmt = insert_stmt(session, _PRINTS)
    stmt = stmt.on_conflict_do_update(
        index_elements=["article_id"],
        set_={"simhash": stmt.excluded.simhash, "seen_at": stmt.excluded.seen_at},
    )
    session.execute(stmt, rows)
    if keys:
        storylinks.save_keys(session, {a: sp.keys for a, (sp, _) in placed.items()})


def version_changes(session: Session, url: str) -> list[dict[str, Any]]:
    """The versions of the article at ``url``: when each was seen and what changed from the last.

    ``title_changed``, and the words added and removed in the text (a word-level diff), so a
    report can say "revised at 11:05: 42 words added" without storing diffs.
    """
    v, a = _VERSIONS.c, _ARTICLES.c
    stmt = (
        select(v.version, v.seen_at, v.title, v.text)
        .join(_ARTICLES, a.id == v.article_id)
        .where(a.url == url)
        .order_by(v.version)
    )
    changes: list[dict[str, Any]] = []
    previous: tuple[str, list[str]] | None = None
    for version, seen_at, title, text in session.execute(stmt):
        words = text.split()
        row: dict[str, Any] = {"version": version, "seen_at": seen_at}
        if previous is not None:
            added = removed = 0
            matcher = difflib.SequenceMatcher(None, previous[1], words, autojunk=False)
            for op, i1, i2, j1, j2 in matcher.get_opcodes():
                if op != "equal":
                    removed += i2 - i1
                    added += j2 - j1
            row |= {"title_changed": title != previous[0], "added": added, "removed": removed}
        changes.append(row)
        previous = (title, words)
    return changes


class _Recent:
    """Recent fingerprints (article id, signed simhash, cluster) in arrays, searched at once.

    With a dict and a distance call per pair, one batch of 100 articles against three days
    of a busy service's prints (tens of thousands) took seconds on the reactor thread; XOR
    and popcount over arrays take milliseconds. Order and replacement are a dict's (an
    updated article keeps its place), so ties still go to the earliest print.
    """

    def __init__(self, rows: Iterable[Any]) -> None:
        found = [(int(a), int(h), int(c)) for a, h, c in rows]
        self.size = len(found)
        capacity = max(64, 2 * self.size)
        self.prints = np.zeros(capacity, dtype=np.int64)
        self.clusters = np.zeros(capacity, dtype=np.int64)
        self.prints[: self.size] = [h for _, h, _ in found]
        self.clusters[: self.size] = [c for _, _, c in found]
        self.index = {aid: i for i, (aid, _, _) in enumerate(found)}
        """Where each article's print is in the arrays."""

    def put(self, article_id: int, fingerprint: int, cluster: int) -> None:
        """Add an article's print, or replace it in place."""
        i = self.index.get(article_id)
        if i is None:
            if self.size == len(self.prints):
                self.prints = np.concatenate([self.prints, np.zeros_like(self.prints)])
                self.clusters = np.concatenate([self.clusters, np.zeros_like(self.clusters)])
            i = self.index[article_id] = self.size
            self.size += 1
        self.prints[i], self.clusters[i] = fingerprint, cluster

    def nearest(self, fingerprint: int, article_id: int, max_distance: int) -> int:
        """The cluster of the closest other print within ``max_distance`` bits, else the
        article's own id (a new cluster). A zero fingerprint (no words) joins nothing."""
        if fingerprint == 0 or self.size == 0:
            return article_id
        xor = (self.prints[: self.size] ^ np.int64(fingerprint)).view(np.uint64)
        bits = np.bitwise_count(xor)
        if (own := self.index.get(article_id)) is not None:
            bits[own] = 255
        best = int(bits.argmin())
        return int(self.clusters[best]) if bits[best] <= max_distance else article_id


def _select_prints(session: Session, ids: list[int]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for chunk in chunks(ids):
        stmt = select(_PRINTS.c.article_id, _PRINTS.c.cluster_id).where(
            _PRINTS.c.article_id.in_(chunk)
        )
        found += [(a, c) for a, c in session.execute(stmt)]
    return found


def _article_ids(session: Session, urls: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(sorted(urls)):
        stmt = select(_ARTICLES.c.url, _ARTICLES.c.id).where(_ARTICLES.c.url.in_(chunk))
        found.update((u, i) for u, i in session.execute(stmt))
    return found
