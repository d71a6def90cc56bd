"""How relevant a flagged article is to its topic: ``about`` (the story is about it) or
``mentions`` (a passing reference), from evidence an analyst can check in `wirewatch flag`.

A match is ``about`` its topic when any of these holds, else it ``mentions`` it:

1. a counted hit in the title;
2. a counted hit in the lead (the first LEAD_CHARS characters of the text) and at least
   two counted hits in all;
3. at least ABOUT_HITS counted hits of at least two different terms (sustained coverage).
"""

from __future__ import annotations

from collections.abc import Sequence

ABOUT = "about"
MENTIONS = "mentions"
LEVELS = (ABOUT, MENTIONS)
LEAD_CHARS = 300
ABOUT_HITS = 3


def relevance(counted: Sequence[tuple[str, int, str]]) -> tuple[str, str]:
    """(level, why) from the counted hits, each (field, start offset, rule term)."""
    in_title = sum(1 for f, _, _ in counted if f == "title")
    if in_title:
        return ABOUT, f"{in_title} hit(s) in the title"
    total = len(counted)
    in_lead = sum(1 for f, start, _ in counted if f == "text" and start < LEAD_CHARS)
    if in_lead and total >= 2:
        return ABOUT, f"a hit in the lead and {total} hits in all"
    terms = len({term for _, _, term in counted})
    if total >= ABOUT_HITS and terms >= 2:
        return ABOUT, f"{total} hits of {terms} different terms"
    return MENTIONS, f"{total} hit(s) of {terms} term(s), none in the title" + (
        "" if in_lead else " or the lead"
    )


def rank(level: str | None) -> int:
    """Sort key: ``about`` first, then ``mentions``, then unknown (stored before levels)."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)
