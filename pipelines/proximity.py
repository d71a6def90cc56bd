"""Where hits stand relative to each other: overlaps, word and character distances, and
sentences, for the ``near`` / ``not_near`` conditions of topic terms (docs/topics.md).

A group word is **near** a term hit when it is within the term's ``within`` words
(``within_chars`` characters when either side is Japanese or Chinese), or in the same
sentence, or in the sentence just before: wire copy names the countries in one sentence
and writes "a peace treaty between the two countries" in the next. A ``not_near`` group
vetoes a hit within the limit or in the same sentence only.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

from pipelines.textnorm import is_cjk

Hit = tuple[int, int, Any]  # (start, end, Entry)

# A sentence ends at . ! ? (followed by a space or line end), at 。！？, or at a line break.
_SENTENCE_END = re.compile(r"[.!?]+[\"'»”’)]*(?=\s|$)|[。！？]|\n")


class Sentences:
    """Sentence numbers of offsets in one string; computed on first use."""

    def __init__(self, s: str) -> None:
        self._s = s
        self._ends: list[int] | None = None

    def index(self, pos: int) -> int:
        """The number of the sentence holding offset ``pos`` (0 for the first)."""
        if self._ends is None:
            self._ends = [m.end() for m in _SENTENCE_END.finditer(self._s)]
        return bisect_right(self._ends, pos)


def longest_first(hits: list[Hit]) -> tuple[list[Hit], list[Hit]]:
    """(kept, dropped): non-overlapping hits, the longest at each leftmost position."""
    chosen: list[Hit] = []
    dropped: list[Hit] = []
    last_end = -1
    for hit in sorted(hits, key=lambda h: (h[0], h[0] - h[1])):
        if hit[0] >= last_end:
            chosen.append(hit)
            last_end = hit[1]
        else:
            dropped.append(hit)
    return chosen, dropped


def distance(s: str, a: tuple[int, int], b: tuple[int, int], cjk: bool) -> int:
    """Characters (CJK) or words between two spans; 0 when they touch or overlap."""
    lo, hi = (a[1], b[0]) if a[0] <= b[0] else (b[1], a[0])
    if hi <= lo:
        return 0
    return hi - lo if cjk else len(s[lo:hi].split())


def close(s: str, hit: Hit, others: list[Hit], sentences: Sentences, back: int) -> bool:
    """True when one of ``others`` is within the hit's limit, in its sentence, or in one of
    the ``back`` sentences before it."""
    start, end, entry = hit
    here = -1
    for gs, ge, _ in others:
        cjk = is_cjk(s[start]) or is_cjk(s[gs])
        limit = entry.within_chars if cjk else entry.within
        if distance(s, (start, end), (gs, ge), cjk) <= limit:
            return True
        if here < 0:
            here = sentences.index(start)
        if 0 <= here - sentences.index(gs) <= back:
            return True
    return False


def proximity(
    s: str, hit: Hit, groups: dict[int, list[Hit]], names: tuple[str, ...], sentences: Sentences
) -> str:
    """Empty if the hit's near / not_near conditions hold, else what failed."""
    entry = hit[2]
    if not (entry.near or entry.not_near):
        return ""
    cjk = is_cjk(s[hit[0]])
    limit = f"{entry.within_chars} characters" if cjk else f"{entry.within} words"
    for g in entry.near:
        if not close(s, hit, groups.get(g, []), sentences, 1):
            return f"no {names[g]!r} word within {limit}, in its sentence or the one before"
    for g in entry.not_near:
        if close(s, hit, groups.get(g, []), sentences, 0):
            return f"a word of {names[g]!r} within {limit} or in its sentence (not_near)"
    return ""
