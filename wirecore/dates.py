"""Reading written dates and times: the one place that parses date strings, with one table
of month names.

Two readers, for two kinds of text:

- ``parse_written`` reads a date or time an article page declares: ISO 8601 (extended and
  basic), RFC 822, and the Russian, English and Japanese written forms news sites print.
  It gives the wall-clock time as written, whether it has a time of day, and the offset it
  was written with; or, for text that names an impossible date (``2026-02-30``, hour 25,
  offset ``-25:00``, year 99999), the reason it cannot be one.
- ``parse_datetime_loose`` reads a feed's or sitemap's date (ISO 8601, W3C, RFC 822 and the
  local variants feeds write: other languages' month and weekday names, two-digit years,
  zone abbreviations) as an aware UTC datetime; naive values are taken as UTC.

Both read month names with ``month_number``: English, Russian (any case form) and the
abbreviations of the Latin-script feeds we read. Standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Written", "month_number", "parse_datetime_loose", "parse_written", "zone"]

# English, Russian (мая, мае, май: May) and the abbreviations of the Latin-script feeds we
# read, by the first four letters or else the first three of a lower-cased month name.
_MONTHS4 = {"juin": 6, "juil": 7}
_MONTHS3 = {
    **{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8},
    **{"sep": 9, "oct": 10, "nov": 11, "dec": 12},
    **{"fev": 2, "fév": 2, "abr": 4, "avr": 4, "mai": 5, "mag": 5, "giu": 6, "lug": 7},
    **{"ago": 8, "aoû": 8, "set": 9, "out": 10, "ott": 10, "okt": 10, "dez": 12, "dic": 12},
    **{"ene": 1, "gen": 1, "mär": 3, "mrz": 3, "déc": 12},
    **{"янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "мае": 5, "май": 5, "июн": 6},
    **{"июл": 7, "авг": 8, "сен": 9, "окт": 10, "ноя": 11, "дек": 12},
}


def month_number(name: str) -> int | None:
    """The number of the month ``name`` names (``Nov``, ``ноября``, ``juil.``), or None."""
    name = name.lower()
    return _MONTHS4.get(name[:4]) or _MONTHS3.get(name[:3])


# --- article pages: parse_written ------------------------------------------------------

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
        month = int(g["mo"]) if g.get("mo") else month_number(g["mon"])
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


# --- feeds and sitemaps: parse_datetime_loose ------------------------------------------

_SPACES = re.compile(r"\s+")
_YEAR_MONTH_RE = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{2}))?")
_UTC_SUFFIX_RE = re.compile(r"\s*(?:UTC|GMT)$", re.IGNORECASE)
_RFC822_RE = re.compile(
    r"""(?:[^\W\d_]+\.?,?\s+)?                                  # weekday, any language
    (?:(?P<day1>\d{1,2})\s+(?P<mon1>[^\W\d_]+)\.?               # 16 Nov
      |(?P<mon2>[^\W\d_]+)\.?\s+(?P<day2>\d{1,2}),?)            # Nov 16
    \s+(?P<year>\d{4}|\d{2})
    (?:\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?
       \s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?
    \s*(?P<tz>[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?
    \s*(?:\([^)]*\))?$""",
    re.VERBOSE,
)
_ZONES = {"ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5}
_ZONES |= {"mst": -7, "mdt": -6, "pst": -8, "pdt": -7, "cet": 1, "cest": 2, "eet": 2}
_ZONES |= {"eest": 3, "msk": 3, "jst": 9, "kst": 9}


def parse_datetime_loose(text: str) -> datetime | None:
    """Parse a feed or sitemap date (ISO 8601, W3C, RFC 822 and its local variants) to UTC.

    Naive values and unknown zone names are taken as UTC; returns None when unparseable.
    """
    value = _SPACES.sub(" ", text).strip()
    if not value:
        return None
    parsed = _parse_iso(value) or _parse_rfc822(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed out of range by its offset
        return None


def _parse_iso(value: str) -> datetime | None:
    if match := _YEAR_MONTH_RE.fullmatch(value):
        return datetime(int(match["year"]), int(match["month"] or 1), 1)
    stripped = _UTC_SUFFIX_RE.sub("", value)
    try:
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        return None
    if stripped != value and parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed


def _parse_rfc822(value: str) -> datetime | None:
    match = _RFC822_RE.fullmatch(value)
    if match is None:
        return None
    month = month_number(match["mon1"] or match["mon2"])
    if month is None:
        return None
    year = int(match["year"])
    if year < 100:
        year += 2000 if year < 70 else 1900
    hour = int(match["hour"] or 0)
    if match["ampm"]:
        hour = hour % 12 + (12 if match["ampm"][0] in "Pp" else 0)
    day = int(match["day1"] or match["day2"])
    minute, second = int(match["minute"] or 0), int(match["second"] or 0)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=_rfc822_zone(match["tz"]))
    except ValueError:
        return None


def _rfc822_zone(token: str | None) -> timezone:
    if not token:
        return UTC
    if token[0] in "+-":
        digits = token[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return timezone(-offset if token[0] == "-" else offset)
    return timezone(timedelta(hours=_ZONES.get(token.lower(), 0)))
