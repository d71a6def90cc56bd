"""Progress of backfills: which day of a source's date range comes next (resumable).

Functions take a ``Session`` and never commit; the store pipeline writes a day's step in
the same transaction as (or after) that day's articles, so a day counts as done only
once what it found is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from storage.models_sources import BackfillProgress


@dataclass(frozen=True, slots=True)
class BackfillStep:
    """One finished day of a backfill, and how many article links it listed."""

    source: str
    since: date
    until: date
    day: date
    links: int
    finished_at: datetime


def next_day(session: Session, source: str, since: date, until: date) -> date:
    """The first day of ``since..until`` not backfilled yet (``until + 1`` when all are)."""
    row = session.get(BackfillProgress, (source, since, until))
    return row.next_day if row else since


def progress(session: Session, source: str, since: date, until: date) -> BackfillProgress | None:
    """The stored progress row of one backfill, if it ever started."""
    return session.get(BackfillProgress, (source, since, until))


def save_steps(session: Session, steps: list[BackfillStep]) -> None:
    """Advance each backfill past its finished day."""
    for step in steps:
        key = (step.source, step.since, step.until)
        row = session.get(BackfillProgress, key)
        if row is None:
            row = BackfillProgress(
                source=step.source,
                since=step.since,
                until=step.until,
                next_day=step.since,
                days_done=0,
                articles=0,
                updated_at=step.finished_at,
            )
            session.add(row)
        if step.day >= row.next_day:
            row.next_day = step.day + timedelta(days=1)
            row.days_done = (row.days_done or 0) + 1
            row.articles = (row.articles or 0) + step.links
        row.updated_at = step.finished_at
        session.flush()
