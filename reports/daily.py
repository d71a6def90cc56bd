"""The daily keyword-match report: per topic, the articles published that day.

A day is a calendar day in the configured time zone. The content depends only on the
stored data, so regenerating a past day gives the same report. ``build_report`` reads,
``render_report`` renders; both are plain functions.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from storage.queries import failures_between, matches_between

SCHEMA = "wirewatch.report/1"


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC start (inclusive) and end (exclusive) of a calendar day in ``timezone``."""
    tz = ZoneInfo(timezone)
    start = datetime.combine(day, time(), tz)
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def build_report(session: Session, day: date, timezone: str, topics: list[str]) -> dict[str, Any]:
    """Collect one day's matches per topic and the sources that failed that day."""
    start, end = day_bounds(day, timezone)
    tz = ZoneInfo(timezone)
    rows = matches_between(session, start, end, topics)
    by_topic: dict[str, list[dict[str, Any]]] = {t: [] for t in topics}
    for row in rows:
        by_topic.setdefault(row.topic, []).append(
            {
                "url": row.url,
                "title": row.title,
                "source": row.source,
                "published": row.published.astimezone(tz).isoformat() if row.published else None,
                "language": row.language,
                "score": row.score,
                "snippet": row.snippet,
            }
        )
    failures = Counter(f.source for f in failures_between(session, start, end))
    return {
        "schema": SCHEMA,
        "date": day.isoformat(),
        "timezone": timezone,
        "topics": [
            {
                "id": topic,
                "count": len(items),
                "by_source": dict(sorted(Counter(i["source"] for i in items).items())),
                "articles": sorted(items, key=lambda i: (i["published"] or "", i["url"])),
            }
            for topic, items in by_topic.items()
        ],
        "failures": [{"source": s, "count": n} for s, n in sorted(failures.items())],
    }


def render_report(data: dict[str, Any], fmt: str) -> str:
    """Render a built report as Markdown (``md``) or JSON (``json``)."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "md":
        return _markdown(data)
    raise ValueError(f"unknown report format {fmt!r}")


def _md_escape(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in " ".join(text.split()))


def _markdown(data: dict[str, Any]) -> str:
    lines = [f"# wirewatch daily report: {data['date']} ({data['timezone']})", ""]
    for topic in data["topics"]:
        lines.append(f"## {topic['id']}: {topic['count']} article(s)")
        lines.append("")
        if not topic["articles"]:
            lines += ["No matching articles this day.", ""]
            continue
        per_source = ", ".join(f"{s} {n}" for s, n in topic["by_source"].items())
        lines += [f"By source: {per_source}", ""]
        for art in topic["articles"]:
            when = (art["published"] or "")[11:16] or "--:--"
            title = _md_escape(art["title"] or art["url"])
            lines.append(
                f"- {when} [{title}](<{art['url']}>) ({art['source']}, "
                f"{art['language'] or '?'}, score {art['score']:g})"
            )
            if art["snippet"]:
                lines.append(f"  > {_md_escape(art['snippet'])}")
        lines.append("")
    if data["failures"]:
        failed = ", ".join(f"{f['source']} ({f['count']})" for f in data["failures"])
        lines += [f"Sources with failures this day: {failed}", ""]
    return "\n".join(lines)
