"""Reading one written date or time: ISO 8601 (extended and basic), RFC 822, and the
Russian, English and Japanese written forms news sites print.

``parse_written`` gives the wall-clock time as written, whether it has a time of day, and the
offset it was written with; or, for text that names an impossible date (``2026-02-30``, hour
25, offset ``-25:00``, year 99999), the reason it cannot be one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Written", "parse_written", "zone"]

MAX_OFFSET_MINUTES = 14 * 60
"""UTC offsets in use run from -12:00 to +14:00."""

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
_LONG_YEAR = re.compile(r"[+-]?\d{5,}-\d{1,2}-\d{1,2}")
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


class _Impossible(ValueError):
    """Text that is shaped like a date but names none."""


@dataclass(frozen=True, slots=True)
class Written:
    """A date or time as written: wall clock, whether it has a time, the offset if any."""

    wall: datetime  # naive
    has_time: bool
    offset: tzinfo | None


def parse_written(text: str) -> Written | str:
    """Parse one written date/time; return it, or a short reason why it is not one."""
    text = unicodedata.normalize("NFKC", text).strip()[:200]
    if not text:
        return "empty"
    if _LONG_YEAR.match(text):
        return "impossible date (year out of range)"
    problem = "unreadable"
    parsers = (_rfc822,) if _RFC822_HINT.match(text) else (_iso, _written)
    for parser in parsers:
        try:
            result = parser(text)
        except _Impossible as err:
            return f"impossible date ({err})"
        except (ValueError, OverflowError) as err:  # out-of-range day, month or hour
            problem = f"impossible date ({err})"
            continue
        if result is not None:
            return result
    return problem


def _rfc822(text: str) -> Written | None:
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return Written(value.replace(tzinfo=None), True, value.tzinfo)


def _iso(text: str) -> Written | None:
    m = _ISO.match(text) or _ISO_BASIC.match(text)
    if m is None:
        return None
    day = datetime(int(m[1]), int(m[2]), int(m[3]))
    if m[4] is None:
        return Written(day, False, None)
    value = day.replace(hour=int(m[4]), minute=int(m[5]), second=int(m[6] or 0))
    return Written(value, True, _offset(m[7]))


def _offset(text: str | None) -> tzinfo | None:
    if text is None:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    if minutes > MAX_OFFSET_MINUTES or int(digits[2:4] or 0) >= 60:
        raise _Impossible(f"UTC offset {text} out of range")
    return _fixed(minutes if text[0] == "+" else -minutes)


def _written(text: str) -> Written | None:
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
            return Written(day, False, None)
        hour = int(g["h"])
        if (g.get("ap") or "").lower() in ("p", "午後"):
            hour = hour % 12 + 12
        elif (g.get("ap") or "").lower() in ("a", "午前"):
            hour %= 12
        return Written(day.replace(hour=hour, minute=int(g["mi"])), True, None)
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
def zone(name: str | None) -> tzinfo:
    """The time zone called ``name`` (UTC for none); ValueError for an unknown name."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {name!r}") from err
