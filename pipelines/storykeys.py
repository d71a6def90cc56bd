"""Story keys of an article, and whether two articles report the same event.

Simhash (`pipelines.simhash`) finds copies of one text; it cannot see that TASS in
Russian, Kyodo in English and NHK in Japanese wrote about one event. Story keys can: the
concepts of `pipelines.storylexicon` found in the title and lead (``e:kunashir`` for
Kunashir, Кунашир and 国後島), the article's topics (``t:kuril``) and its figures
(``n:300`` for "300 people", "300 человек", "300人"). `link_score` compares two key sets,
weighted by class, and is only asked about articles published within `MAX_GAP` of each
other. Keys are plain strings, so storage can index and compare them without this module.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

from pipelines.simhash import fingerprint
from pipelines.storydates import named_dates
from pipelines.storylexicon import INDEXED, LEXICON, WEIGHTS
from storage.identity import StoryPrint
from storage.records import ArticleRecord

LEAD_CHARS = 1500
"""Text looked at after the title: a wire story's facts are in its lead, and it bounds cost."""

MAX_GAP = timedelta(hours=36)
"""Largest gap between two articles' publication times for them to be one story."""

THRESHOLD = 0.5
"""Smallest `link_score` at which two articles are one story."""

REACTIONS = frozenset({"v:protest", "v:statement"})
"""Events that answer another (Tokyo protests drills, deployments, visits alike): sharing
only these does not make two articles one story when both name what was answered."""

MIN_EVIDENCE = 3.0
"""Least weight of shared entities, events, figures and dates, among which must be an event
beside `REACTIONS` or a figure: two notes that name only the Kurils and drills (2.5), or
two answers of one minister's interview on one day (who spoke, not what happened), are
not thereby one story."""

MAX_KEY = 80
"""Longest key stored (``story_keys.key``); longer ones (a 90-digit "figure") are dropped."""

_FORMS = {form: key for key, forms in LEXICON.items() for form in forms}


def _cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff"


def _pattern() -> re.Pattern[str]:
    """One alternation: spaced-script forms at a word start, Japanese forms anywhere."""
    spaced = sorted((f for f in _FORMS if not _cjk(f[0])), key=len, reverse=True)
    cjk = sorted((f for f in _FORMS if _cjk(f[0])), key=len, reverse=True)
    words = "|".join(re.escape(f) for f in spaced)
    return re.compile(rf"(?<![^\W_])(?:{words})|" + "|".join(re.escape(f) for f in cjk))


_CONCEPTS = _pattern()
_NUMBER = re.compile(r"\d+(?:[,.]\d+|[ \u00a0]\d{3}(?!\d))*(?:万\d*)?")


def normalise(text: str) -> str:
    """NFKC, case-folded, ё as е: the form the lexicon is written in."""
    return unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")


def story_keys(
    title: str, text: str, topics: Iterable[str] = (), published: datetime | None = None
) -> frozenset[str]:
    """The keys of an article: lexicon concepts, figures and (given the publication time)
    dates of its title and lead, and its topics."""
    body = normalise(f"{title}\n{text[:LEAD_CHARS]}")
    keys = {_FORMS[m.group(0)] for m in _CONCEPTS.finditer(body)}
    keys.update(_number_key(m.group(0)) for m in _NUMBER.finditer(body))
    keys.update(f"t:{t}" for t in topics)
    if published is not None:
        with contextlib.suppress(OverflowError):  # a date at the end of the calendar
            keys.update(f"d:{d.isoformat()}" for d in named_dates(body, published.date()))
    return frozenset(k for k in keys if 2 < len(k) <= MAX_KEY)


def _number_key(raw: str) -> str:
    """``n:1200`` for 1,200 / 1 200 / 1200 / 1200; a decimal comma or point as a point;
    ``m:`` for numbers up to 31 (days, counts of a few), ``y:`` for years."""
    digits = raw.replace("\u00a0", " ")
    if "万" in digits:
        high, _, low = digits.partition("万")
        try:
            value = round(float(high.replace(",", "").replace(" ", "")) * 10000) + int(low or 0)
        except ValueError:
            return ""
        return f"n:{value}"
    parts = re.split(r"[ ,.]", digits)
    if all(len(p) == 3 for p in parts[1:]):
        number = "".join(parts)  # no separator, or thousands separators
    elif len(parts) == 2:
        number = f"{parts[0]}.{parts[1]}"  # a decimal
    else:
        return ""  # a date or time written with points or spaces: its parts say nothing sure
    if "." in number:
        return f"n:{number}"
    value = int(number)
    if value <= 31:
        return f"m:{value}"
    if 1900 <= value <= 2100:
        return f"y:{value}"
    return f"n:{value}"


def weight(key: str) -> float:
    """How much a shared key says about two articles being one story."""
    return WEIGHTS.get(key[:1], 0.0)


def indexed(keys: Iterable[str]) -> list[str]:
    """The keys a new article finds its candidate stories by, sorted."""
    return sorted(k for k in keys if k[:1] in INDEXED)


def link_score(
    a: frozenset[str], b: frozenset[str], a_time: datetime | None, b_time: datetime | None
) -> float:
    """How surely two articles report one event, from 0 to 1 (`THRESHOLD` links them).

    The weighted Dice overlap of their keys, zero when they are further apart than
    `MAX_GAP`, share no entity or less than `MIN_EVIDENCE`, both name an event (or
    one beside `REACTIONS`) and none is the same, or both date
    what happened (a day near publication) and no day is the same. Each side's
    weight counts at most two figures it does not share, so a long lead full of numbers
    does not drown a short one.
    """
    if a_time is not None and b_time is not None and abs(a_time - b_time) > MAX_GAP:
        return 0.0
    shared = a & b
    if not any(k[:2] == "e:" for k in shared):
        return 0.0
    evidence = [k for k in shared if k[:1] in "evnd"]
    what = any(k[:1] == "n" or (k[:1] == "v" and k not in REACTIONS) for k in evidence)
    if not what or sum(map(weight, evidence)) < MIN_EVIDENCE:
        return 0.0
    a_events = {k for k in a if k[:2] == "v:"}
    b_events = {k for k in b if k[:2] == "v:"}
    for a_side, b_side in ((a_events, b_events), (a_events - REACTIONS, b_events - REACTIONS)):
        if a_side and b_side and not a_side & b_side:
            return 0.0
    a_days, b_days = _event_days(a, a_time), _event_days(b, b_time)
    if a_days and b_days and not a_days & b_days:
        return 0.0
    common = sum(weight(k) for k in shared)
    total = _side(a, shared) + _side(b, shared) + 2 * common
    return 2 * common / total if total else 0.0


def _event_days(keys: frozenset[str], at: datetime | None) -> set[str]:
    """The dates named that lie from three days before publication to one day after: the
    day the reported event happened (not a deadline, not an anniversary)."""
    if at is None:
        return set()
    low = (at - timedelta(days=3)).date().isoformat()
    high = (at + timedelta(days=1)).date().isoformat()
    return {k for k in keys if k[:2] == "d:" and low <= k[2:] <= high}


def _side(keys: frozenset[str], shared: frozenset[str]) -> float:
    """Weight of one side's keys the other lacks, figures capped at two."""
    own = sorted(weight(k) for k in keys - shared if k[:1] not in "nmy")
    figures = sorted((weight(k) for k in keys - shared if k[:1] in "nmy"), reverse=True)
    return sum(own) + sum(figures[:2])


class _Linker:
    """`link_score` and `indexed` as the `storage.storylinks.Linker` storage calls."""

    threshold = THRESHOLD
    window = MAX_GAP

    @staticmethod
    def score(
        a: frozenset[str], b: frozenset[str], a_time: datetime | None, b_time: datetime | None
    ) -> float:
        """`link_score`."""
        return link_score(a, b, a_time, b_time)

    @staticmethod
    def lookup(keys: Iterable[str]) -> list[str]:
        """`indexed`."""
        return indexed(keys)


LINKER = _Linker()
"""The linker the store pipeline hands to ``storage.identity.assign_clusters``."""


def story_print(record: ArticleRecord) -> StoryPrint:
    """What storage needs to place a stored article in its story."""
    simhash = record.simhash if record.simhash is not None else fingerprint(record.text)
    topics = (m.topic for m in record.matches)
    keys = story_keys(record.title, record.text, topics, record.published or record.fetched_at)
    return StoryPrint(record.url, simhash, record.fetched_at, keys, record.published)
