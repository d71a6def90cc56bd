"""Who polls which source when, across any number of workers: due times, dispatch, leases.

The leader asks ``due_sources`` (oldest due first) and marks what it handed to the work
queue (``mark_dispatched``); a worker ``claim``s a source's lease before polling it, so no
two workers poll one source at once, ``renew``s it while the poll runs and ``release``s it
when done. A poll that ended without recording the source's state (a crash, a timeout)
backs the source off here, with the same rule as a failed poll (``storage.sources``), so
there is one backoff. Functions take a ``Session`` and never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Table,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from storage.models import CrawlRun, CrawlRunSource
from storage.models_sources import SourceState
from storage.sources import IntervalPolicy, failure_delay
from storage.writes import insert_stmt

_STATES = cast(Table, SourceState.__table__)


@dataclass(frozen=True, slots=True)
class Backlog:
    """Enabled sources due and waiting for a worker, and since when the oldest has waited
    (polls already running, slow or not, are not waiting)."""

    due: int
    queued: int  # of those, already handed to the queue
    oldest_due: datetime | None


def ensure_states(session: Session, intervals: Mapping[str, float], now: datetime) -> None:
    """Give every source a state row (due ``now``) so the dispatcher sees it."""
    rows = [
        {"source": name, "interval": interval, "next_poll": now}
        for name, interval in intervals.items()
    ]
    if rows:
        stmt = insert_stmt(session, _STATES).on_conflict_do_nothing(index_elements=["source"])
        session.execute(stmt, rows)


def _free(now: datetime, stale_before: datetime) -> ColumnElement[bool]:
    """Not handed out (or handed out so long ago that the order must be lost) nor leased."""
    s = _STATES.c
    return and_(
        or_(s.dispatched_at.is_(None), s.dispatched_at < stale_before),
        or_(s.lease_until.is_(None), s.lease_until < now),
    )


def due_sources(
    session: Session,
    names: Collection[str],
    now: datetime,
    *,
    stale_before: datetime,
    limit: int,
) -> list[tuple[str, datetime]]:
    """Sources among ``names`` due by ``now`` and not handed out, oldest due first."""
    s = _STATES.c
    stmt = (
        select(s.source, s.next_poll)
        .where(s.source.in_(list(names)), s.next_poll <= now, _free(now, stale_before))
        .order_by(s.next_poll, s.source)
        .limit(limit)
    )
    return [(name, due) for name, due in session.execute(stmt)]


def mark_dispatched(session: Session, names: Collection[str], now: datetime) -> None:
    """Record that ``names`` were handed to the work queue at ``now``."""
    if names:
        stmt = update(_STATES).where(_STATES.c.source.in_(list(names)))
        session.execute(stmt.values(dispatched_at=now))


def forget_dispatched(session: Session, names: Collection[str] | None = None) -> int:
    """Forget hand-outs not being polled (the queue that held them was lost); their count."""
    s = _STATES.c
    stmt = update(_STATES).where(s.dispatched_at.is_not(None), s.lease_owner.is_(None))
    if names is not None:
        stmt = stmt.where(s.source.in_(list(names)))
    result = cast(CursorResult[Any], session.execute(stmt.values(dispatched_at=None)))
    return result.rowcount or 0


def backlog(session: Session, names: Collection[str], now: datetime) -> Backlog:
    """How many of ``names`` are due and wait for a worker, and the oldest due time."""
    s = _STATES.c
    stmt = select(func.count(), func.count(s.dispatched_at), func.min(s.next_poll)).where(
        s.source.in_(list(names)),
        s.next_poll <= now,
        or_(s.lease_until.is_(None), s.lease_until < now),
    )
    due, in_queue, oldest = session.execute(stmt).one()
    return Backlog(int(due or 0), int(in_queue or 0), _aware(oldest))


@dataclass(frozen=True, slots=True)
class Claim:
    """A lease taken; ``lost_run`` is the run of a worker whose lease had expired, if any."""

    lost_run: int | None
    lost_owner: str | None


def claim(
    session: Session,
    source: str,
    owner: str,
    now: datetime,
    ttl: float,
    *,
    interval: float = 900.0,
    slack: float = 5.0,
) -> Claim | None:
    """Take ``source``'s lease for ``ttl`` seconds; None if another worker holds it, or the
    source is not due (an order delivered again after another worker polled it).

    A source with no schedule yet (an order from before a restart onto a new database) gets
    one, due now, polled every ``interval`` seconds.
    """
    s = _STATES.c
    prior = session.execute(
        select(s.lease_owner, s.lease_run).where(s.source == source)
    ).one_or_none()
    if prior is None:
        ensure_states(session, {source: interval}, now)
    stmt = (
        update(_STATES)
        .where(
            s.source == source,
            or_(s.lease_owner.is_(None), s.lease_until < now, s.lease_owner == owner),
            or_(s.next_poll.is_(None), s.next_poll <= now + timedelta(seconds=slack)),
        )
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=ttl), lease_run=None)
    )
    if (cast(CursorResult[Any], session.execute(stmt)).rowcount or 0) != 1:
        return None
    if prior is None or prior.lease_owner in (None, owner):
        return Claim(None, None)
    return Claim(prior.lease_run, prior.lease_owner)


def set_lease_run(session: Session, source: str, owner: str, run_id: int) -> None:
    """Note the crawl run of the poll ``owner`` holds ``source`` for."""
    s = _STATES.c
    stmt = update(_STATES).where(s.source == source, s.lease_owner == owner)
    session.execute(stmt.values(lease_run=run_id))


def renew(
    session: Session, sources: Collection[str], owner: str, now: datetime, ttl: float
) -> None:
    """Extend the leases ``owner`` holds on ``sources``."""
    if sources:
        s = _STATES.c
        stmt = update(_STATES).where(s.source.in_(list(sources)), s.lease_owner == owner)
        session.execute(stmt.values(lease_until=now + timedelta(seconds=ttl)))


@dataclass(frozen=True, slots=True)
class Released:
    """A source after its poll: whether the poll recorded nothing (and so backed off here),
    its failed polls in a row, and when it is due next."""

    backed_off: bool
    failures: int
    next_poll: datetime | None


def release(
    session: Session,
    source: str,
    owner: str,
    now: datetime,
    *,
    policy: IntervalPolicy,
    polled_since: datetime | None,
) -> Released | None:
    """Give the lease back after a poll (None if ``owner`` did not hold it).

    ``polled_since``: when the poll started; a source whose ``last_polled`` is older (the
    poll died before recording it) counts a failure and waits as a failed poll would.
    """
    state = session.get(SourceState, source)
    if state is None or state.lease_owner != owner:
        return None
    state.lease_owner, state.lease_until, state.dispatched_at = None, None, None
    state.lease_run = None
    last = _aware(state.last_polled)
    backed_off = polled_since is not None and (last is None or last < polled_since)
    if backed_off:
        state.consecutive_failures = (state.consecutive_failures or 0) + 1
        current = min(policy.maximum, max(policy.minimum, state.interval or policy.base))
        delay = failure_delay(current, state.consecutive_failures, policy, None)
        state.next_poll = now + timedelta(seconds=delay)
    return Released(backed_off, state.consecutive_failures or 0, _aware(state.next_poll))


def leases_of(session: Session, owner: str) -> dict[str, int | None]:
    """Source -> crawl run, for the leases ``owner`` holds (expired or not)."""
    s = _STATES.c
    stmt = select(s.source, s.lease_run).where(s.lease_owner == owner)
    return {str(source): run for source, run in session.execute(stmt)}


def drop_leases(session: Session, owner: str) -> None:
    """Free every lease of a worker known to be gone, so its sources are polled again now."""
    s = _STATES.c
    stmt = update(_STATES).where(s.lease_owner == owner)
    session.execute(
        stmt.values(lease_owner=None, lease_until=None, lease_run=None, dispatched_at=None)
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def prune_empty_runs(session: Session, before: datetime, limit: int = 5000) -> int:
    """Delete up to ``limit`` runs that ended ``ok`` before ``before`` having found nothing.

    A poll that finds its feed unchanged still leaves a run row; at a thousand sources a
    minute that is over a million rows a day that say only "polled". The source's own
    state keeps its last poll; runs that fetched, stored or failed anything are kept.
    """
    rs, run = CrawlRunSource, CrawlRun
    busy = (rs.fetched > 0) | (rs.new > 0) | (rs.updated > 0) | (rs.failed > 0) | (rs.flagged > 0)
    ids = (
        select(run.id)
        .where(
            run.status == "ok",
            run.finished_at < before,
            ~exists().where(rs.run_id == run.id, busy),
        )
        .limit(limit)
    )
    found = [row for (row,) in session.execute(ids)]
    if not found:
        return 0
    session.execute(delete(CrawlRunSource).where(CrawlRunSource.run_id.in_(found)))
    session.execute(delete(CrawlRun).where(CrawlRun.id.in_(found)))
    return len(found)
