"""Overviews for the site's home page: matches per topic and day, and the sources' health.

Functions take a `Session` and never write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, cast, func, literal_column, select
from sqlalchemy.orm import Session

from storage.models import Article, Source, TopicMatch
from storage.models_sources import SourceState


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
