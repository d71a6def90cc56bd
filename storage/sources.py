"""Polling state of sources and their feeds: conditional-request validators, outcomes, schedule.

Functions take a ``Session`` and never commit. ``next_due`` is what a scheduler asks:
when a source should next be polled and at what interval. The interval adapts within
``IntervalPolicy`` bounds to how many new items the last poll found (``adapt_interval``);
failures back off exponentially, never sooner than a server's ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from storage import models
from storage.models_sources import ArticleKey, FeedState, SeenLink, SourceState
from storage.writes import chunks, insert_stmt
from wirecore.outcomes import PollOutcome

logger = logging.getLogger(__name__)

MAX_POLL_DELAY = 366 * 86400
"""Longest wait before a source's next poll, whatever a server asked (seconds)."""

_FEEDS = cast(Table, FeedState.__table__)
_STATES = cast(Table, SourceState.__table__)
_SEEN = cast(Table, SeenLink.__table__)
_KEYS = cast(Table, ArticleKey.__table__)
_ARTICLES = cast(Table, models.Article.__table__)
_SOURCES = cast(Table, models.Source.__table__)
_FAILURES = cast(Table, models.FetchFailure.__table__)


@dataclass(frozen=True, slots=True)
class IntervalPolicy:
    """A source's polling interval: where it starts and the bounds it adapts within (seconds)."""

    base: float
    minimum: float
    maximum: float


@dataclass(frozen=True, slots=True)
class FeedPoll:
    """The outcome of one request for a feed, sitemap or listing page."""

    url: str
    source: str
    polled_at: datetime
    outcome: PollOutcome
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    error: str | None = None
    retry_after: float | None = None
    new_items: int = 0


@dataclass(frozen=True, slots=True)
class Validators:
    """What the last successful poll of a feed left for the next conditional request."""

    etag: str | None
    last_modified: str | None
    body_hash: str | None


def adapt_interval(current: float, new_items: int, policy: IntervalPolicy) -> float:
    """The next interval: halve on a busy poll (5+ new), shorten on some, lengthen on none."""
    factor = 0.5 if new_items >= 5 else 0.8 if new_items > 0 else 1.5
    return min(policy.maximum, max(policy.minimum, current * factor))


def failure_delay(
    interval: float, failures: int, policy: IntervalPolicy, retry_after: float | None
) -> float:
    """Seconds to wait after ``failures`` consecutive failed polls (exponential, capped)."""
    delay = min(policy.maximum, interval * 2 ** max(0, failures - 1))
    return max(delay, retry_after or 0.0)


def next_poll_after(polled: datetime, delay: float, due: datetime | None) -> datetime:
    """When to poll next: ``delay`` after the due time this poll served, so a source polled
    every minute stays on its minute instead of drifting by each poll's own lag; ``delay``
    after the poll itself when it came late by half an interval or more (or had no due time).
    """
    if due is not None:
        due = due if due.tzinfo else due.replace(tzinfo=polled.tzinfo)
        if polled - timedelta(seconds=delay / 2) <= due <= polled:
            return due + timedelta(seconds=delay)
    return polled + timedelta(seconds=delay)


def feed_validators(session: Session, urls: Sequence[str]) -> dict[str, Validators]:
    """ETag, Last-Modified and body hash of the feeds in ``urls`` that were polled before."""
    f = _FEEDS.c
    found: dict[str, Validators] = {}
    for chunk in chunks(list(urls)):
        stmt = select(f.url, f.etag, f.last_modified, f.body_hash).where(f.url.in_(chunk))
        found.update((u, Validators(e, m, h)) for u, e, m, h in session.execute(stmt))
    return found


def record_feed_polls(session: Session, polls: Sequence[FeedPoll]) -> None:
    """Upsert each feed's state; validators and body hash are kept from the last success."""
    if not polls:
        return
    prior = {
        row.url: row.consecutive_failures
        for row in session.execute(
            select(_FEEDS.c.url, _FEEDS.c.consecutive_failures).where(
                _FEEDS.c.url.in_([p.url for p in polls])
            )
        )
    }
    for poll in polls:
        failed = poll.outcome == PollOutcome.FAILED
        row: dict[str, Any] = {
            "url": poll.url,
            "source": poll.source,
            "last_status": poll.status,
            "last_outcome": poll.outcome,
            "last_error": poll.error,
            "last_polled": poll.polled_at,
            "consecutive_failures": prior.get(poll.url, 0) + 1 if failed else 0,
        }
        if poll.outcome == PollOutcome.CHANGED:
            row |= {"etag": poll.etag, "last_modified": poll.last_modified}
            row |= {"body_hash": poll.body_hash}
        stmt = insert_stmt(session, _FEEDS).values(row)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["url"], set_={k: v for k, v in row.items() if k != "url"}
            )
        )
        prior[poll.url] = row["consecutive_failures"]


def record_source_poll(
    session: Session, source: str, polls: Sequence[FeedPoll], policy: IntervalPolicy
) -> SourceState:
    """Fold one crawl's feed polls into the source's state and schedule its next poll.

    The source failed when every feed failed; then it backs off. Otherwise its interval
    adapts to the number of new items.
    """
    state = session.get(SourceState, source) or SourceState(
        source=source, interval=policy.base, consecutive_failures=0, last_new_items=0
    )
    session.add(state)
    if not polls:
        return state
    when = max(p.polled_at for p in polls)
    due_before = state.next_poll
    failed = all(p.outcome == PollOutcome.FAILED for p in polls)
    worst = next((p for p in polls if p.outcome == PollOutcome.FAILED), None)
    state.last_polled = when
    state.last_status = (worst or polls[0]).status if failed else _ok_status(polls)
    state.last_error = worst.error if worst else None
    state.last_new_items = sum(p.new_items for p in polls)
    current = min(policy.maximum, max(policy.minimum, state.interval or policy.base))
    if failed:
        state.consecutive_failures = (state.consecutive_failures or 0) + 1
        retry = max((p.retry_after or 0.0) for p in polls) or None
        delay = failure_delay(current, state.consecutive_failures, policy, retry)
        state.interval = current
    else:
        state.consecutive_failures = 0
        state.interval = delay = adapt_interval(current, state.last_new_items, policy)
    if not delay <= MAX_POLL_DELAY:  # also NaN
        logger.warning(
            "%s: next poll in %s s is out of bounds; taken as %d s", source, delay, MAX_POLL_DELAY
        )
        delay = MAX_POLL_DELAY
    state.next_poll = next_poll_after(when, delay, None if failed else due_before)
    return state


def next_due(
    session: Session, source: str, policy: IntervalPolicy, now: datetime
) -> tuple[datetime, float]:
    """When ``source`` should next be polled and its current interval (seconds)."""
    state = session.get(SourceState, source)
    if state is None or state.next_poll is None:
        return now, policy.base
    return state.next_poll, min(policy.maximum, max(policy.minimum, state.interval))


def known_links(session: Session, urls: Mapping[str, str]) -> dict[str, datetime]:
    """For canonical URLs (mapped to identity keys) already fetched: when they last were."""
    seen: dict[str, datetime] = {}
    by_key = {key: url for url, key in urls.items()}
    for chunk in chunks(sorted(urls)):
        for url, when in session.execute(
            select(_SEEN.c.url, _SEEN.c.fetched_at).where(_SEEN.c.url.in_(chunk))
        ):
            seen[url] = when
        for url, when in session.execute(
            select(_ARTICLES.c.url, _ARTICLES.c.last_seen).where(_ARTICLES.c.url.in_(chunk))
        ):
            seen[url] = max(when, seen.get(url, when))
    for chunk in chunks(sorted(by_key)):
        stmt = (
            select(_KEYS.c.key, _ARTICLES.c.last_seen)
            .join(_ARTICLES, _ARTICLES.c.id == _KEYS.c.article_id)
            .where(_KEYS.c.key.in_(chunk))
        )
        for key, when in session.execute(stmt):
            url = by_key[key]
            seen[url] = max(when, seen.get(url, when))
    return seen


def mark_links_seen(
    session: Session, links: Sequence[tuple[str, str, datetime | None, datetime]]
) -> None:
    """Remember (canonical url, source, feed entry updated, fetched at) of downloaded links."""
    rows = {
        url: {"url": url, "source": s, "entry_updated": upd, "fetched_at": at}
        for url, s, upd, at in links
    }
    if rows:
        stmt = insert_stmt(session, _SEEN)
        stmt = stmt.on_conflict_do_update(
            index_elements=["url"],
            set_={
                "entry_updated": stmt.excluded.entry_updated,
                "fetched_at": stmt.excluded.fetched_at,
            },
        )
        session.execute(stmt, list(rows.values()))


def source_overview(session: Session, names: Sequence[str], now: datetime) -> list[dict[str, Any]]:
    """Per source: its stored state, the articles first seen and the fetches, feed items
    and pages that failed (``fetch_failures``) in the last 24 hours."""
    states = {s.source: s for s in session.scalars(select(SourceState))}
    since = now - timedelta(hours=24)
    stmt = (
        select(_SOURCES.c.name, func.count(_ARTICLES.c.id))
        .join(_ARTICLES, _ARTICLES.c.source_id == _SOURCES.c.id)
        .where(_ARTICLES.c.first_seen >= since)
        .group_by(_SOURCES.c.name)
    )
    fresh = {name: int(n) for name, n in session.execute(stmt)}
    fail = _FAILURES.c
    failed_stmt = (
        select(fail.source, func.count()).where(fail.occurred_at >= since).group_by(fail.source)
    )
    failed = {name: int(n) for name, n in session.execute(failed_stmt)}
    rows = []
    for name in names:
        st = states.get(name)
        rows.append(
            {
                "source": name,
                "last_poll": st.last_polled if st else None,
                "last_status": st.last_status if st else None,
                "new_24h": fresh.get(name, 0),
                "failed_24h": failed.get(name, 0),
                "failures": st.consecutive_failures if st else 0,
                "next_poll": st.next_poll if st else None,
                "interval": st.interval if st else None,
                "error": st.last_error if st else None,
            }
        )
    return rows


def _ok_status(polls: Sequence[FeedPoll]) -> int | None:
    statuses = [p.status for p in polls if p.outcome != PollOutcome.FAILED]
    return statuses[0] if statuses else None
