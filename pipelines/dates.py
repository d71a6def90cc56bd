"""Publication time of an article, to the minute, as an aware UTC datetime.

Candidates, most trusted first:

1. ``meta``: ``article:published_time``, ``og:article:published_time``, ``<meta
   itemprop="datePublished">``, ``name="pubdate"/"publishdate"/"date"`` and a few
   widespread variants;
2. ``jsonld``: ``datePublished`` of an Article-type object (``@graph`` and lists too);
3. ``time``: ``<time datetime>`` marked as the publication time (``itemprop="datePublished"``,
   a class containing "publish", ``pubdate``), else the first ``<time>`` inside ``<article>``;
4. ``feed``: the feed entry's time, passed in;
5. ``page-date``: the day-only date trafilatura/htmldate found.

A time written without an offset is read in the source's time zone (``source_tz``), else UTC.

Reconciliation (``reconcile``):

- candidates more than 2 days in the future of the fetch time are ignored;
- if the most trusted remaining candidate has a time of day, it wins; but when it was
  written without an offset (or as UTC) and a less trusted candidate shows the same
  wall-clock time with an explicit non-zero offset, that candidate's instant is taken
  (sites often print local time in one tag and mislabel it, or omit the zone);
- if it is day-only, the most trusted candidate *with* a time whose local calendar day
  (in ``source_tz`` if known, else in the offset it was written with) is that same day
  supplies the time (and its origin); a timed candidate on another day disagrees with a
  more trusted source and is not used;
- otherwise the day-only candidate wins, stored as midnight UTC of that day with
  ``has_time=False`` (so ``value.date()`` is the day as written).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml.html import HtmlElement

__all__ = [
    "Candidate",
    "PublishedTime",
    "page_time_candidates",
    "parse_datetime",
    "reconcile",
]

FUTURE_TOLERANCE = timedelta(days=2)

_META_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "date",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.created",
)
_ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting"}
    | {"liveblogposting", "report", "backgroundnewsarticle", "opinionnewsarticle"}
)
_TIME_XPATH = (
    "//time[@itemprop='datePublished' or contains(@class, 'publish') or @pubdate]",
    "//article//time",
)

_ISO = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?",
    re.I,
)
# ISO 8601 basic format, as RIA Novosti writes article:published_time ("20261127T1030"); only
# with its "T": a bare run of eight digits is too often something else
_ISO_BASIC = re.compile(
    r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(?:(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?(?!\d)",
    re.I,
)
_RU_MONTHS = ("янв", "фев", "мар", "апр", "ма", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_TIME = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?:\s*(?P<ap>[ap])\.?m\.?)?"
_OPT_TIME = r"(?:[,\s]+(?:в\s+|at\s+)?" + _TIME + ")?"
# Written forms other than ISO 8601 / RFC 822, tried in order; named groups y, mo or mon, d,
# and optionally h, mi, ap (a.m./p.m., 午前/午後).
_FORMS = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        r"(?P<y>\d{4})年\s*(?P<mo>\d{1,2})月\s*(?P<d>\d{1,2})日(?:\s*[(（][^)）]*[)）])?"
        r"(?:\s*(?P<ap>午前|午後)?\s*(?P<h>\d{1,2})\s*(?:時|:)\s*(?P<mi>\d{1,2})\s*分?)?",
        r"(?P<d>\d{1,2})\.?\s+(?P<mon>[a-zа-яё]{3,})\.?,?\s+(?P<y>\d{4})(?:\s*(?:года|г\.?))?"
        + _OPT_TIME,
        r"(?P<mon>[a-z]{3,})\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})" + _OPT_TIME,
        _TIME + r"[,\s]+(?P<d>\d{1,2})[./](?P<mo>\d{1,2})[./](?P<y>\d{4})",
        r"(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>\d{4})" + _OPT_TIME,
    )
)
_RFC822_HINT = re.compile(r"^[A-Za-z]{3},?\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One publication time found on a page or in a feed, before reconciliation."""

    value: datetime  # aware UTC; midnight UTC of ``local_day`` when day-only
    has_time: bool
    origin: str  # "meta" | "jsonld" | "time" | "feed" | "page-date"
    local_day: date  # calendar day where the article was published
    wall: datetime | None = None  # naive wall-clock time as written, to the minute
    zoned: bool = False  # written with an explicit, non-zero UTC offset


@dataclass(frozen=True, slots=True)
class PublishedTime:
    """The reconciled publication time of an article."""

    value: datetime  # aware UTC
    origin: str
    has_time: bool


def parse_datetime(text: str, source_tz: str | None) -> tuple[datetime, bool] | None:
    """Parse a written date/time; return (aware UTC value, has_time) or None if unreadable."""
    candidate = _candidate(text, "", source_tz)
    return None if candidate is None else (candidate.value, candidate.has_time)


def page_time_candidates(tree: HtmlElement, source_tz: str | None) -> list[Candidate]:
    """Collect publication-time candidates from a parsed page, most trusted first."""
    found: list[Candidate] = []
    for origin, texts in (
        ("meta", _meta_texts(tree)),
        ("jsonld", _jsonld_texts(tree)),
        ("time", _time_texts(tree)),
    ):
        for text in texts:
            candidate = _candidate(text, origin, source_tz)
            if candidate is not None:
                found.append(candidate)
    return found


def reconcile(
    candidates: list[Candidate],
    feed_published: datetime | None,
    day_date: date | None,
    now: datetime,
    *,
    source_tz: str | None = None,
) -> PublishedTime | None:
    """Pick the publication time from page candidates, the feed time and the page's day.

    The page's day is trusted least and has no time: it decides only when no other
    candidate is usable, so a caller may look for it only when this returns None without it.
    """
    ordered = list(candidates)
    if feed_published is not None:
        ordered.append(_feed_candidate(feed_published, source_tz))
    if day_date is not None:
        midnight = datetime.combine(day_date, datetime.min.time(), UTC)
        ordered.append(Candidate(midnight, False, "page-date", day_date))
    limit = now.astimezone(UTC) + FUTURE_TOLERANCE
    usable = [c for c in ordered if not _too_late(c, limit)]
    if not usable:
        return None
    best = usable[0]
    if not best.has_time:
        same_day = (c for c in usable if c.has_time and c.local_day == best.local_day)
        best = next(same_day, best)
    elif not best.zoned:
        same_wall = (c for c in usable if c.zoned and c.wall == best.wall)
        best = next(same_wall, best)
    return PublishedTime(best.value, best.origin, best.has_time)


def _too_late(candidate: Candidate, limit: datetime) -> bool:
    if candidate.has_time:
        return candidate.value > limit
    return candidate.local_day > limit.date()


def _feed_candidate(value: datetime, source_tz: str | None) -> Candidate:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=_zone(source_tz))
    local = aware.astimezone(_zone(source_tz)) if source_tz else aware
    return Candidate(aware.astimezone(UTC), True, "feed", local.date())


def _candidate(text: str, origin: str, source_tz: str | None) -> Candidate | None:
    parsed = _parse_local(text)
    if parsed is None:
        return None
    naive, has_time, offset = parsed
    if not has_time:
        midnight = datetime.combine(naive.date(), datetime.min.time(), UTC)
        return Candidate(midnight, False, origin, naive.date())
    aware = naive.replace(tzinfo=offset if offset is not None else _zone(source_tz))
    local = aware.astimezone(_zone(source_tz)) if source_tz else aware
    zoned = offset is not None and offset.utcoffset(None) != timedelta(0)
    wall = naive.replace(second=0, microsecond=0)
    return Candidate(aware.astimezone(UTC), True, origin, local.date(), wall, zoned)


def _meta_texts(tree: HtmlElement) -> list[str]:
    by_key: dict[str, str] = {}
    for meta in tree.iterfind(".//meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        content = meta.get("content")
        if key and content:
            by_key.setdefault(key.strip().lower(), content)
    return [by_key[k] for k in _META_KEYS if k in by_key]


def _jsonld_texts(tree: HtmlElement) -> list[str]:
    texts: list[str] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text_content(), strict=False)
        except ValueError:
            continue
        for node in _walk_jsonld(data, depth=0):
            value = node.get("datePublished")
            if isinstance(value, str):
                texts.append(value)
    return texts


def _walk_jsonld(data: Any, depth: int) -> list[dict[str, Any]]:
    if depth > 4:
        return []
    if isinstance(data, list):
        return [n for item in data for n in _walk_jsonld(item, depth + 1)]
    if not isinstance(data, dict):
        return []
    nodes = [data] if _is_article(data.get("@type")) else []
    for key in ("@graph", "mainEntity", "mainEntityOfPage"):
        if key in data:
            nodes.extend(_walk_jsonld(data[key], depth + 1))
    return nodes


def _is_article(kind: Any) -> bool:
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and k.rsplit("/", 1)[-1].lower() in _ARTICLE_TYPES for k in kinds)


def _time_texts(tree: HtmlElement) -> list[str]:
    for xpath in _TIME_XPATH:
        texts = [t.get("datetime") or t.text_content() for t in tree.xpath(xpath)]
        texts = [t.strip() for t in texts if t and t.strip()]
        if texts:
            return texts[:3]
    return []


def _parse_local(text: str) -> tuple[datetime, bool, tzinfo | None] | None:
    """Parse to (naive wall time, has_time, written offset or None)."""
    text = unicodedata.normalize("NFKC", text).strip()[:200]
    if not text:
        return None
    if _RFC822_HINT.match(text):
        return _rfc822(text)
    for parser in (_iso, _written):
        try:
            result = parser(text)
        except ValueError:  # out-of-range day, month or hour
            continue
        if result is not None:
            return result
    return None


def _rfc822(text: str) -> tuple[datetime, bool, tzinfo | None] | None:
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return value.replace(tzinfo=None), True, value.tzinfo


def _iso(text: str) -> tuple[datetime, bool, tzinfo | None] | None:
    m = _ISO.match(text) or _ISO_BASIC.match(text)
    if m is None:
        return None
    day = datetime(int(m[1]), int(m[2]), int(m[3]))
    if m[4] is None:
        return day, False, None
    value = day.replace(hour=int(m[4]), minute=int(m[5]), second=int(m[6] or 0))
    return value, True, _offset(m[7])


def _offset(text: str | None) -> tzinfo | None:
    if text is None:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return _fixed(minutes if text[0] == "+" else -minutes)


def _written(text: str) -> tuple[datetime, bool, tzinfo | None] | None:
    for pattern in _FORMS:
        m = pattern.search(text)
        if m is None:
            continue
        g = m.groupdict()
        month = int(g["mo"]) if g.get("mo") else _month(g["mon"])
        if month is None:
            continue
        day = datetime(int(g["y"]), month, int(g["d"]))
        if g.get("h") is None:
            return day, False, None
        hour = int(g["h"])
        if (g.get("ap") or "").lower() in ("p", "午後"):
            hour = hour % 12 + 12
        elif (g.get("ap") or "").lower() in ("a", "午前"):
            hour %= 12
        return day.replace(hour=hour, minute=int(g["mi"])), True, None
    return None


def _month(word: str) -> int | None:
    word = word.lower()
    if word.startswith("ма") and len(word) >= 3:
        return 3 if word.startswith("мар") else 5 if word[2] in "йяе" else None
    for months in (_RU_MONTHS, _EN_MONTHS):
        for number, prefix in enumerate(months, start=1):
            if prefix != "ма" and word.startswith(prefix):
                return number
    return None


@lru_cache(maxsize=64)
def _fixed(minutes: int) -> tzinfo:
    return timezone(timedelta(minutes=minutes))


@lru_cache(maxsize=64)
def _zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {name!r}") from err
