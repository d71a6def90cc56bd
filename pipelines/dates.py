"""Publication time of an article, to the minute, as an aware UTC datetime, and why.

Candidates (``page_time_candidates``), most trusted first:

1. ``meta``: ``article:published_time``, ``og:published_time``, ``<meta
   itemprop="datePublished">``, ``parsely-pub-date``, ``sailthru.date``, ``dc.date``,
   ``name="pubdate"/"date"`` and other widespread CMS keys (every tag, in that order);
2. ``jsonld``: ``datePublished`` (else ``dateCreated``) of every JSON-LD node reachable through
   lists, ``@graph``, ``mainEntity`` and ``mainEntityOfPage``, of any ``@type`` except media,
   comments and reviews: article types first, then the others (a Yoast ``WebPage``);
3. ``microdata``: RDFa/microdata ``datePublished``/``dc:date`` on elements other than meta
   and time;
4. ``time``: ``<time datetime>`` marked as the publication time (``itemprop="datePublished"``,
   a class containing "publish", ``pubdate``), else the first ``<time>`` inside ``<article>``;
5. ``feed``: the feed entry's time, passed in;
6. ``page-date``: the day-only date trafilatura/htmldate found.

``dateModified``, ``article:modified_time`` and their kin are never read. A time written
without an offset is read in the source's time zone (``source_tz``), else UTC. A value that
names no possible date (``2026-02-30``, offset ``-25:00``), lies more than two days after the
fetch or before 1990 is set aside with its reason, which the explanation keeps.

Reconciliation (``reconcile_explained``):

- candidates with a time of day vote for their instant (to the minute); the instant with
  the most distinct voices wins, ties going to the most trusted candidate, so a page's own
  time beats the feed's unless two agree against one. Every meta tag and JSON-LD node is a
  voice; all ``<time>`` elements together are one, and so is the feed;
- a candidate written without an offset, or labelled UTC with no other explicit candidate
  agreeing, votes for a candidate showing the same wall-clock time with a non-zero offset
  (sites print local time in one tag and omit or mislabel its zone);
- if the most trusted candidate is day-only, only candidates with a time on that same local
  day (in ``source_tz`` if known, else the offset written) vote; if there is none, the day
  wins, stored as midnight UTC of that day with ``has_time=False``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lxml.html import HtmlElement

from pipelines.datesources import declared_body_times, declared_head_times
from wirecore.dates import Written, parse_written, zone

__all__ = [
    "Candidate",
    "PublishedTime",
    "Rejected",
    "page_time_candidates",
    "parse_datetime",
    "reconcile",
    "reconcile_explained",
]

FUTURE_TOLERANCE = timedelta(days=2)
EARLIEST_YEAR = 1990
_MAX_OFFSET = timedelta(hours=14)
NOTE_MAX_CHARS = 600

_PAGE = ("meta", "jsonld", "microdata", "time")
_ONE_VOICE = ("microdata", "time", "feed")  # however many elements or entries
_UNTRUSTED_TEXT = ("time", "microdata")  # free text there is often "2 hours ago": not noted


@dataclass(frozen=True, slots=True)
class Candidate:
    """One publication time found on a page or in a feed, before reconciliation."""

    value: datetime  # aware UTC; midnight UTC of ``local_day`` when day-only
    has_time: bool
    origin: str  # "meta" | "jsonld" | "microdata" | "time" | "feed" | "page-date"
    local_day: date  # calendar day where the article was published
    wall: datetime | None = None  # naive wall-clock time as written, to the minute
    zoned: bool = False  # written with an explicit, non-zero UTC offset
    key: str = ""  # which tag or JSON-LD type, for the explanation
    text: str = ""  # as written
    explicit: bool = False  # written with any explicit offset, UTC included


@dataclass(frozen=True, slots=True)
class Rejected:
    """A value where a publication time was declared that cannot be one, and why."""

    origin: str
    key: str
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class PublishedTime:
    """The reconciled publication time of an article, with how it was chosen."""

    value: datetime  # aware UTC
    origin: str
    has_time: bool
    note: str = field(default="", compare=False)


Found = Candidate | Rejected


def parse_datetime(text: str, source_tz: str | None) -> tuple[datetime, bool] | None:
    """Parse a written date/time; return (aware UTC value, has_time) or None if unusable."""
    found = _candidate(text, "", "", source_tz)
    return (found.value, found.has_time) if isinstance(found, Candidate) else None


def page_time_candidates(
    tree: HtmlElement,
    source_tz: str | None,
    jsonld: list[Any] | None = None,
    *,
    feed_published: datetime | None = None,
    now: datetime | None = None,
) -> list[Found]:
    """Collect publication-time candidates from a parsed page, most trusted first, with the
    declared values that cannot be a date (``Rejected``) among them. ``jsonld``: the page's
    JSON-LD blocks if already read (``pipelines.datesources.declared_times``).

    Given ``now`` (and the feed time, if any), the page's body is not scanned for microdata
    and ``<time>`` when meta and JSON-LD already settle the vote: they agree on one plausible
    instant with at least as many voices as the body and a dissenting feed could muster.
    """
    found = _parsed_candidates(declared_head_times(tree, jsonld), source_tz)
    if now is None or not _settled(found, feed_published, now, source_tz):
        found += _parsed_candidates(declared_body_times(tree), source_tz)
    return found


def _parsed_candidates(declared: list[tuple[str, str, str]], source_tz: str | None) -> list[Found]:
    found: list[Found] = []
    for origin, key, text in declared:
        item = _candidate(text, origin, key, source_tz)
        if isinstance(item, Candidate) or origin not in _UNTRUSTED_TEXT:
            found.append(item)
    return found


def _settled(
    head: list[Found], feed: datetime | None, now: datetime, source_tz: str | None
) -> bool:
    """True when no microdata or ``<time>`` value could change what ``head`` decides."""
    found = [c for c in head if isinstance(c, Candidate)]
    timed = [c for c in found if c.has_time]
    if not found or not found[0].has_time:
        return False
    instant = _minute(timed[0].value)
    limit = now.astimezone(UTC) + FUTURE_TOLERANCE
    if any(_minute(c.value) != instant or _implausible(c, limit) for c in timed):
        return False
    dissent = 2  # microdata and <time>: one voice each
    if feed is not None and _minute(_feed_candidate(feed, source_tz).value) != instant:
        dissent += 1
    return len(timed) >= dissent


def reconcile(
    candidates: Sequence[Found],
    feed_published: datetime | None,
    day_date: date | None,
    now: datetime,
    *,
    source_tz: str | None = None,
) -> PublishedTime | None:
    """Pick the publication time from page candidates, the feed time and the page's day."""
    return reconcile_explained(candidates, feed_published, day_date, now, source_tz=source_tz)[0]


def reconcile_explained(
    candidates: Sequence[Found],
    feed_published: datetime | None,
    day_date: date | None,
    now: datetime,
    *,
    source_tz: str | None = None,
) -> tuple[PublishedTime | None, str]:
    """``reconcile``, plus a one-line explanation of what won, what agreed and what was set
    aside (also when nothing is usable). The page's day is trusted least and has no time: a
    caller may look for it only when this returns None without it."""
    ordered = [c for c in candidates if isinstance(c, Candidate)]
    ignored = [_label(r) + f": {r.reason}" for r in candidates if isinstance(r, Rejected)]
    if feed_published is not None:
        ordered.append(_feed_candidate(feed_published, source_tz))
    if day_date is not None:
        midnight = datetime.combine(day_date, datetime.min.time(), UTC)
        ordered.append(Candidate(midnight, False, "page-date", day_date, key="htmldate"))
    limit = now.astimezone(UTC) + FUTURE_TOLERANCE
    usable = []
    for c in ordered:
        problem = _implausible(c, limit)
        if problem:
            ignored.append(_label(c) + f": {problem}")
        else:
            usable.append(c)
    if not usable:
        return None, _note("no usable publication time", [], [], ignored)
    top = usable[0]
    timed = [c for c in usable if c.has_time and (top.has_time or c.local_day == top.local_day)]
    if not timed and any(c.has_time and c.explicit and c.origin in _PAGE for c in usable):
        timed = [c for c in usable if c.has_time and c.origin in _PAGE]  # beats a bare day
    if not timed:
        note = _note(f"day only: {_label(top)}", [], usable[1:], ignored)
        return PublishedTime(top.value, top.origin, False, note), note
    winner, agreed, outvoted = _vote(timed)
    note = _note(_label(winner), agreed, outvoted, ignored)
    return PublishedTime(winner.value, winner.origin, True, note), note


def _vote(pool: list[Candidate]) -> tuple[Candidate, list[Candidate], list[Candidate]]:
    """(winner, candidates agreeing with it, the others) by distinct voices per minute."""
    targets = [_target(c, pool) for c in pool]
    voices: dict[datetime, set[str]] = {}
    for index, (c, target) in enumerate(zip(pool, targets, strict=True)):
        voice = c.origin if c.origin in _ONE_VOICE else f"{c.origin}#{index}"
        voices.setdefault(target, set()).add(voice)
    best = max(voices, key=lambda t: (len(voices[t]), -targets.index(t)))
    members = [c for c, t in zip(pool, targets, strict=True) if t == best]
    winner = next(c for c in members if _minute(c.value) == best)
    others = [c for c in pool if c not in members]
    return winner, [c for c in members if c is not winner], others


def _target(c: Candidate, pool: list[Candidate]) -> datetime:
    """The instant a candidate votes for: its own, or an explicit one it is local time of."""
    own = _minute(c.value)
    if c.zoned or c.wall is None:
        return own
    if not c.explicit:  # no offset written: the same time in some zone, to the second?
        seconds = c.value.replace(microsecond=0)
        same = (o for o in pool if o.explicit and _zone_apart(seconds, o.value))
        return next((_minute(o.value) for o in same), own)
    if any(o is not c and o.explicit and _minute(o.value) == own for o in pool):
        return own  # labelled UTC and confirmed by another explicit value
    same = (o for o in pool if o.zoned and o.wall == c.wall)
    return next((_minute(o.value) for o in same), own)


def _zone_apart(value: datetime, other: datetime) -> bool:
    """True when two instants differ by a possible UTC offset (whole quarter hours); ``value``
    without seconds is compared to the minute."""
    other = other.replace(microsecond=0) if value.second else _minute(other)
    apart = abs(value - other)
    return apart <= _MAX_OFFSET and not apart % timedelta(minutes=15)


def _minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def _implausible(c: Candidate, limit: datetime) -> str | None:
    if c.local_day.year < EARLIEST_YEAR:
        return f"before {EARLIEST_YEAR}"
    late = c.value > limit if c.has_time else c.local_day > limit.date()
    if late:
        days = (c.value - limit + FUTURE_TOLERANCE).days if c.has_time else None
        return "in the future" + (f" ({days} days after the fetch)" if days else "")
    return None


def _label(c: Candidate | Rejected) -> str:
    where = f"{c.origin} {c.key}".strip()
    return f"{where} {c.text!r}" if c.text else where


def _note(head: str, agreed: list[Candidate], outvoted: list[Candidate], ignored: list[str]) -> str:
    parts = [head]
    if agreed:
        parts.append("agreed: " + ", ".join(f"{c.origin} {c.key}".strip() for c in agreed))
    if outvoted:
        parts.append("outvoted: " + ", ".join(_label(c) for c in outvoted))
    if ignored:
        parts.append("ignored: " + ", ".join(ignored))
    note = "; ".join(parts)
    return note if len(note) <= NOTE_MAX_CHARS else note[: NOTE_MAX_CHARS - 1] + "…"


def _feed_candidate(value: datetime, source_tz: str | None) -> Candidate:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=zone(source_tz))
    local = aware.astimezone(zone(source_tz)) if source_tz else aware
    text = aware.isoformat(timespec="minutes")
    return Candidate(aware.astimezone(UTC), True, "feed", local.date(), text=text, explicit=True)


def _candidate(text: str, origin: str, key: str, source_tz: str | None) -> Found:
    text = text.strip()
    parsed = parse_written(text)
    shown = text[:60]
    if not isinstance(parsed, Written):
        return Rejected(origin, key, shown, parsed)
    naive = parsed.wall
    if not parsed.has_time:
        midnight = datetime.combine(naive.date(), datetime.min.time(), UTC)
        return Candidate(midnight, False, origin, naive.date(), key=key, text=shown)
    offset = parsed.offset
    aware = naive.replace(tzinfo=offset if offset is not None else zone(source_tz))
    try:
        value = aware.astimezone(UTC)
    except OverflowError:
        return Rejected(origin, key, shown, "impossible date (out of range in UTC)")
    local = aware.astimezone(zone(source_tz)) if source_tz else aware
    zoned = offset is not None and offset.utcoffset(None) != timedelta(0)
    wall = naive.replace(second=0, microsecond=0)
    return Candidate(
        value, True, origin, local.date(), wall, zoned, key, shown, explicit=offset is not None
    )
