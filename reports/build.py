"""Build one day's report as plain, JSON-ready data (schema in docs/report-schema.md).

A day is a calendar day in the configured time zone. The content depends only on the
stored data and the arguments (no "generated at"), so regenerating a past day gives the
same report byte for byte. Renderers take the data this module returns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from reports.stories import story_ids
from storage import report_queries as rq

SCHEMA = "wirewatch.report/2"
"""Version of the report data; bumped when a field changes meaning or goes away."""

TREND_DAYS = 30
"""Length of the per-topic trend series, ending with the report's day."""


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC start (inclusive) and end (exclusive) of a calendar day in ``timezone``."""
    tz = ZoneInfo(timezone)
    start = datetime.combine(day, time(), tz)
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def build_report(
    session: Session,
    day: date,
    timezone: str,
    topics: Sequence[str],
    sources: Sequence[str] = (),
) -> dict[str, Any]:
    """Collect one day's report: topics with stories and trends, and the sources' health.

    ``sources`` are the configured, enabled source names: a source that should have been
    crawled but was not shows up as such instead of disappearing.
    """
    start, end = day_bounds(day, timezone)
    tz = ZoneInfo(timezone)
    matches = rq.day_matches(session, start, end, topics)
    stories = story_ids(matches)
    trends = _trends(session, day, timezone, topics)
    return {
        "schema": SCHEMA,
        "date": day.isoformat(),
        "timezone": timezone,
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "topics": [
            _topic(topic, [m for m in matches if m.topic == topic], stories, trends[topic], tz)
            for topic in topics
        ],
        "sources": source_health(session, start, end, sources),
    }


def _article(m: rq.DayMatch, story: str, tz: ZoneInfo) -> dict[str, Any]:
    local = m.published.astimezone(tz)
    return {
        "url": m.url,
        "title": m.title,
        "source": m.source,
        "published": local.isoformat(),
        "time": local.strftime("%H:%M"),
        "language": m.language,
        "score": round(m.score, 4),
        "status": "updated" if m.version > 1 else "new",
        "version": m.version,
        "snippet": m.snippet,
        "snippet_hits": [[a, b] for a, b in m.snippet_hits],
        "terms": dict(sorted(m.terms.items())),
        "story": story,
        "relevance": m.relevance,
    }


def _topic(
    topic: str,
    matches: Sequence[rq.DayMatch],
    stories: dict[str, str],
    trend: dict[str, Any],
    tz: ZoneInfo,
) -> dict[str, Any]:
    articles = [_article(m, stories[m.url], tz) for m in matches]
    articles.sort(key=lambda a: (a["published"], a["url"]))
    grouped: dict[str, list[dict[str, Any]]] = {}
    for art in articles:
        grouped.setdefault(art["story"], []).append(art)
    story_list = []
    for sid, arts in grouped.items():
        lead = arts[0]  # the earliest: usually the wire that broke it
        story_list.append(
            {
                "id": sid,
                "article": lead,
                "relevance": _story_relevance(arts),
                "score": max(a["score"] for a in arts),
                "also_in": [
                    {"source": a["source"], "url": a["url"], "time": a["time"]} for a in arts[1:]
                ],
            }
        )
    story_list.sort(
        key=lambda s: (
            s["relevance"] != "about",
            -len(s["also_in"]),
            -s["score"],
            s["article"]["published"],
        )
    )
    return {
        "id": topic,
        "count": len(articles),
        "new": sum(a["status"] == "new" for a in articles),
        "updated": sum(a["status"] == "updated" for a in articles),
        "by_source": dict(sorted(Counter(a["source"] for a in articles).items())),
        "by_language": dict(sorted(Counter(a["language"] or "unknown" for a in articles).items())),
        "trend": trend,
        "stories": story_list,
        "articles": articles,
    }


def _story_relevance(articles: Sequence[dict[str, Any]]) -> str:
    """ "about" when one of the story's articles is about the topic, or was stored before
    relevance levels (when a flag needed more than a passing mention); else "mentions"."""
    if any(a["relevance"] in ("about", None) for a in articles):
        return "about"
    return "mentions"


def _trends(
    session: Session, day: date, timezone: str, topics: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Per topic: daily counts for the last TREND_DAYS days, sums and change vs yesterday."""
    days = [day - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    series: dict[str, list[int]] = {t: [] for t in topics}
    for d in days:
        found = rq.topic_counts(session, *day_bounds(d, timezone))
        for t in topics:
            series[t].append(found.get(t, 0))
    result = {}
    for t, counts in series.items():
        result[t] = {
            "days": [
                {"date": d.isoformat(), "count": n} for d, n in zip(days, counts, strict=True)
            ],
            "today": counts[-1],
            "previous_day": counts[-2],
            "change": counts[-1] - counts[-2],
            "last_7_days": sum(counts[-7:]),
            "last_30_days": sum(counts),
        }
    return result


def source_health(
    session: Session, start: datetime, end: datetime, sources: Sequence[str]
) -> list[dict[str, Any]]:
    """Every source expected or seen in [start, end) with what its crawls did, and a status.

    Statuses: ``ok``; ``errors`` (some fetches failed); ``down`` (crawled, nothing fetched,
    failures); ``empty`` (crawled, nothing fetched, no failure); ``quiet`` (fetched, but
    no stored article published this day); ``not_crawled`` (no crawl ran this day).
    """
    activity = {a.source: a for a in rq.source_activity(session, start, end)}
    failures: dict[str, list[rq.FailureCount]] = {}
    for f in rq.failure_counts(session, start, end):
        failures.setdefault(f.source, []).append(f)
    published = rq.published_by_source(session, start, end)
    names = sorted(set(sources) | set(activity) | set(failures))
    rows = []
    for name in names:
        act = activity.get(name) or rq.SourceActivity(name, 0, 0, 0, 0, 0)
        fails = failures.get(name, [])
        n_fail = sum(f.count for f in fails)
        rows.append(
            {
                "source": name,
                "status": _status(act, n_fail, published.get(name, 0)),
                "runs": act.runs,
                "fetched": act.fetched,
                "new": act.new,
                "updated": act.updated,
                "failed": max(act.failed, n_fail),
                "published": published.get(name, 0),
                "failures": [
                    {"stage": f.stage, "reason": f.reason, "count": f.count} for f in fails[:3]
                ],
            }
        )
    return rows


def _status(act: rq.SourceActivity, n_fail: int, published: int) -> str:
    failed = act.failed > 0 or n_fail > 0
    if act.runs == 0 and not failed:
        return "not_crawled"
    if act.fetched == 0:
        return "down" if failed else "empty"
    if failed:
        return "errors"
    return "ok" if published else "quiet"
