"""Query parameters of list pages, feeds and the API, validated into a `ListQuery`.

Anything malformed raises `BadRequest` with a one-line message (shown with status 400).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.browse import Cursor, ListQuery
from storage.search import MAX_QUERY_CHARS

MAX_LIMIT = 500
"""Largest page a client may ask for."""

LIST_PARAMS = frozenset(
    {"topic", "source", "lang", "since", "until", "q", "cursor", "limit", "relevance"}
)
RELEVANCE = ("about", "mentions")
"""Levels of a topic match: the story is about the topic, or mentions it in passing."""
"""The parameters a list understands; others are ignored."""


class BadRequest(ValueError):
    """A request parameter is malformed; the message is one line for the client."""


def encode_cursor(cursor: Cursor) -> str:
    """The opaque token of a cursor, for the "next page" link."""
    when = cursor.published.astimezone(UTC).isoformat() if cursor.published else "-"
    raw = f"{when}|{cursor.article_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    """The cursor of a token made by `encode_cursor`; BadRequest if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        when, _, ident = raw.partition("|")
        article_id = int(ident)
        published = None if when == "-" else datetime.fromisoformat(when)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("cursor: not a cursor of this site") from None
    if article_id < 1 or (published is not None and published.utcoffset() is None):
        raise BadRequest("cursor: not a cursor of this site")
    return Cursor(published, article_id)


def parse_when(name: str, value: str, tz: ZoneInfo, *, end_of_day: bool = False) -> datetime:
    """A date (its start in ``tz``, or the next day's with ``end_of_day``) or ISO datetime."""
    try:
        return _when(value, tz, end_of_day)
    except OverflowError:
        raise BadRequest(f"{name}: date out of range") from None
    except ValueError:
        raise BadRequest(f"{name}: not a date (YYYY-MM-DD) or ISO 8601 datetime") from None


def _when(value: str, tz: ZoneInfo, end_of_day: bool) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        when = datetime.fromisoformat(value)
        return (when if when.tzinfo else when.replace(tzinfo=tz)).astimezone(UTC)
    start = datetime.combine(day + timedelta(days=1 if end_of_day else 0), time(), tz)
    return start.astimezone(UTC)


def list_query(
    params: Mapping[str, Sequence[str]],
    *,
    tz: ZoneInfo,
    topics: Mapping[str, str],
    page_size: int,
    topic: str | None = None,
) -> ListQuery:
    """Validate list parameters (each name with its values) into a query; raise BadRequest."""
    topic = topic or _one(params, "topic")
    if topic is not None and topic not in topics:
        raise BadRequest(f"topic: unknown topic {topic[:80]!r}")
    search = _one(params, "q")
    if search is not None and len(search) > MAX_QUERY_CHARS:
        raise BadRequest(f"q: a search is at most {MAX_QUERY_CHARS} characters")
    since = _one(params, "since")
    until = _one(params, "until")
    cursor = _one(params, "cursor")
    relevance = _one(params, "relevance")
    if relevance is not None and relevance not in RELEVANCE:
        raise BadRequest("relevance: must be about or mentions")
    return ListQuery(
        topic=topic,
        sources=_many(params, "source"),
        languages=_many(params, "lang"),
        since=parse_when("since", since, tz) if since else None,
        until=parse_when("until", until, tz, end_of_day=True) if until else None,
        search=search.strip() if search and search.strip() else None,
        after=decode_cursor(cursor) if cursor else None,
        limit=_limit(_one(params, "limit"), page_size),
        relevance=relevance,
    )


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = [v for v in params.get(name, ()) if v != ""]
    if len(values) > 1:
        raise BadRequest(f"{name}: given more than once")
    return values[0] if values else None


def _many(params: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in params.get(name, ()) if v.strip())
    if len(values) > 50 or any(len(v) > 200 for v in values):
        raise BadRequest(f"{name}: too many or too long values")
    return values


def _limit(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit: must be a whole number within 1..{MAX_LIMIT}")
    return int(raw)
