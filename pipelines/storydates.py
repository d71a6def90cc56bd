"""Dates an article names ("on Thursday", "19 ноября", "19日"), as calendar days.

Wire copy dates its event relative to publication: English and Russian copy by weekday or
day and month, Japanese by day of the month. Resolved against the publication date, they
become keys (``d:2026-11-19``) that line up across languages, and a follow-up published
the next day ("on Friday", "20日") can be told from the event it follows.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_RU_MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
_AHEAD = 60
"""Days after publication a date with a month may lie ("talks will be held on Jan. 10")."""
_WEEKDAYS = {
    **dict.fromkeys(["monday", "понедельник", "月曜"], 0),
    **dict.fromkeys(["tuesday", "вторник", "火曜"], 1),
    **dict.fromkeys(["wednesday", "среду", "среда", "水曜"], 2),
    **dict.fromkeys(["thursday", "четверг", "木曜"], 3),
    **dict.fromkeys(["friday", "пятницу", "пятница", "金曜"], 4),
    **dict.fromkeys(["saturday", "субботу", "суббота", "土曜"], 5),
    **dict.fromkeys(["sunday", "воскресенье", "日曜"], 6),
}
_EN_DATE = re.compile(rf"(?<![^\W\d_])({'|'.join(_EN_MONTHS)})[a-z]*\.? (\d{{1,2}})(?!\d)")
_RU_DATE = re.compile(rf"(?<!\d)(\d{{1,2}}) ({'|'.join(_RU_MONTHS)})(?![^\W\d_])")
_JA_DATE = re.compile(r"(?<![\d.])(?:(\d{1,2})月)?(\d{1,2})日")
_WEEKDAY = re.compile(
    "|".join(w if w[0] >= "\u3040" else rf"(?<![^\W\d_]){w}(?![^\W\d_])" for w in _WEEKDAYS)
)


def named_dates(text: str, published: date) -> set[date]:
    """The days ``text`` (normalised: NFKC, case-folded) names, read as of ``published``."""
    found: set[date] = set()
    for month, day in _EN_DATE.findall(text):
        found.add(_month_day(_EN_MONTHS.index(month) + 1, int(day), published))
    for day, month in _RU_DATE.findall(text):
        found.add(_month_day(_RU_MONTHS.index(month) + 1, int(day), published))
    for month, day in _JA_DATE.findall(text):
        if month:
            found.add(_month_day(int(month), int(day), published))
        else:
            found.add(_day_only(int(day), published))
    for word in _WEEKDAY.findall(text):
        weekday = _WEEKDAYS[word]
        days = (published + timedelta(k) for k in range(-5, 2))
        found.add(next(d for d in days if d.weekday() == weekday))
    found.discard(date.min)
    return found


def _month_day(month: int, day: int, published: date) -> date:
    """The date with this month and day from ten months before to two after publication."""
    for year in (published.year + 1, published.year, published.year - 1):
        try:
            found = date(year, month, day)
        except ValueError:
            return date.min
        if found <= published + timedelta(days=_AHEAD):
            return found
    return date.min


def _day_only(day: int, published: date) -> date:
    """The date with this day of the month in the publication's month, or the one before
    when that would be more than ten days ahead."""
    month = published.replace(day=1)
    if day > published.day + 10:
        month = (month - timedelta(days=1)).replace(day=1)
    try:
        return month.replace(day=day)
    except ValueError:
        return date.min
