"""Text helpers of the topic matcher: normalisation that keeps a way back to the original
offsets, word boundaries that work for Latin, Cyrillic and CJK, brace expansion of rule
terms, and hit-centred snippets.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import product

# Characters that NFKC leaves alone, that casefold maps to exactly one character and that never
# combine with the character before them (checked against the Unicode database in the tests).
# A text made only of these is normalised by casefold alone, with no offset bookkeeping.
SAFE_CLASS = (
    "\x00-\x7f\u00ab\u00bb\u0400-\u0482\u048a-\u04ff\u2010\u2012-\u2015\u2018-\u201f"
    "\u3001-\u3003\u3005\u3008-\u3011\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff"
)
_UNSAFE_RUN = re.compile(f"[^{SAFE_CLASS}]+")
_COMPOSING = frozenset("\u3099\u309a\uff9e\uff9f")
_SPACES = ("\u00a0", "\u202f", "\u2009", "\u3000")
_FULLWIDTH = re.compile("[\uff01-\uff5e]")
_FULLWIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_SENTENCE_END = re.compile(r"[.!?。！？]+[\"'»”’)]*(?=\s)|[。！？]|\n")
_SPACE_RUN = re.compile(r"\s+")
_SQUEEZE = re.compile(r"\s{2,}")
MAX_FORMS = 512


def fold(s: str) -> str:
    """Case-fold, turn ё into е and tabs/newlines into spaces; never changes the length."""
    return s.casefold().replace("ё", "е").replace("\n", " ").replace("\r", " ").replace("\t", " ")


def normalize_term(s: str) -> str:
    """Normalise a rule term the way texts are normalised, with inner whitespace collapsed."""
    return " ".join(fold(unicodedata.normalize("NFKC", s)).split())


@dataclass(slots=True)
class OffsetMap:
    """Maps offsets in a normalised text back to the original, for texts whose length changed."""

    norm_starts: list[int] = field(default_factory=list)
    pieces: list[tuple[int, int, int, int]] = field(default_factory=list)

    def add(self, norm_start: int, norm_end: int, orig_start: int, orig_end: int) -> None:
        """Record that norm[norm_start:norm_end] came from orig[orig_start:orig_end]."""
        self.norm_starts.append(norm_start)
        self.pieces.append((norm_start, norm_end, orig_start, orig_end))

    def start(self, k: int) -> int:
        """Original offset of the character at normalised offset ``k``."""
        i = bisect_right(self.norm_starts, k) - 1
        if i < 0:
            return k
        _, ne, os_, oe = self.pieces[i]
        return os_ if k < ne else oe + (k - ne)

    def end(self, k: int) -> int:
        """Original end offset (exclusive) for a normalised end offset ``k``."""
        if k == 0:
            return 0
        i = bisect_right(self.norm_starts, k - 1) - 1
        if i < 0:
            return k
        _, ne, _, oe = self.pieces[i]
        return oe if k - 1 < ne else oe + (k - ne)


def _units(segment: str) -> list[str]:
    """Split a segment into a base character plus the marks that may compose with it."""
    units: list[str] = []
    for ch in segment:
        joins = unicodedata.combining(ch) or ch in _COMPOSING or "\u1160" <= ch <= "\u11ff"
        if units and joins:
            units[-1] += ch
        else:
            units.append(ch)
    return units


def _one_to_one(s: str) -> str:
    """Apply the NFKC mappings that keep the length and are common in wire copy: no-break and
    thin spaces, full-width ASCII and the ideographic space."""
    for space in _SPACES:
        if space in s:
            s = s.replace(space, " ")
    if _FULLWIDTH.search(s):
        s = s.translate(_FULLWIDTH_TABLE)
    return s


def normalize(s: str) -> tuple[str, OffsetMap | None]:
    """NFKC + casefold + ё→е; the map is None when offsets are unchanged (the common case)."""
    if not unicodedata.is_normalized("NFKC", s):
        s = _one_to_one(s)
    if unicodedata.is_normalized("NFKC", s):
        folded = fold(s)
        if len(folded) == len(s):  # casefold maps each character to one or more
            return folded, None
    out: list[str] = []
    omap = OffsetMap()
    pos = npos = 0
    for m in _UNSAFE_RUN.finditer(s):
        a = max(m.start() - 1, pos)  # the base character before the run may compose with it
        out.append(fold(s[pos:a]))
        npos += a - pos
        segment = s[a : m.end()]
        units = _units(segment)
        normed = [fold(unicodedata.normalize("NFKC", u)) for u in units]
        whole = fold(unicodedata.normalize("NFKC", segment))
        if "".join(normed) != whole:
            units, normed = [segment], [whole]
        opos = a
        for unit, nu in zip(units, normed, strict=True):
            if len(nu) != len(unit):
                omap.add(npos, npos + len(nu), opos, opos + len(unit))
            opos += len(unit)
            npos += len(nu)
        out.extend(normed)
        pos = m.end()
    out.append(fold(s[pos:]))
    return "".join(out), (omap if omap.pieces else None)


def is_cjk(ch: str) -> bool:
    """True for kana, kanji and hangul, which need no word boundary next to them."""
    cp = ord(ch)
    return (
        0x3040 <= cp <= 0x30FF
        or 0x3005 <= cp <= 0x3007
        or 0x31F0 <= cp <= 0x31FF
        or 0x3400 <= cp <= 0x4DBF
        or 0x4E00 <= cp <= 0x9FFF
        or 0xF900 <= cp <= 0xFAFF
        or 0xFF66 <= cp <= 0xFF9F
        or 0x1100 <= cp <= 0x11FF
        or 0x3130 <= cp <= 0x318F
        or 0xAC00 <= cp <= 0xD7AF
        or 0x20000 <= cp <= 0x3FFFF
    )


def is_word_char(ch: str) -> bool:
    """True for a letter, digit or mark that would glue a non-CJK hit to a longer word."""
    if is_cjk(ch):
        return False
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def expand_braces(pattern: str) -> list[str]:
    """Expand ``stem{a,b}`` groups into explicit forms; ValueError says what is malformed."""
    parts: list[list[str]] = []
    literal = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "}":
            raise ValueError(f"unbalanced '}}' at position {i}")
        if ch != "{":
            literal += ch
            i += 1
            continue
        close = pattern.find("}", i + 1)
        nested = pattern.find("{", i + 1)
        if close < 0:
            raise ValueError(f"unbalanced '{{' at position {i}")
        if 0 <= nested < close:
            raise ValueError(f"nested braces at position {nested}")
        inner = pattern[i + 1 : close]
        if not inner.strip():
            raise ValueError(f"empty brace group at position {i}")
        parts.append([literal])
        parts.append(inner.split(","))
        literal = ""
        i = close + 1
    parts.append([literal])
    count = 1
    for alternatives in parts:
        count *= len(alternatives)
    if count > MAX_FORMS:
        raise ValueError(f"expands to {count} forms (limit {MAX_FORMS})")
    return list(dict.fromkeys("".join(combo) for combo in product(*parts)))


def _cut_start(text: str, lo: int, first: int, reach: int = 40) -> int:
    """Move a snippet start to the nearest sentence start, else word start, before a hit."""
    window = range(max(0, lo - reach), min(first, lo + reach) + 1)
    starts = [m.end() for m in _SENTENCE_END.finditer(text, window.start, window.stop)]
    starts = [p for p in starts if p in window]
    if starts:
        return min(starts, key=lambda p: (abs(p - lo), p))
    space = text.find(" ", lo, first)
    return space + 1 if space >= 0 else lo


def _cut_end(text: str, hi: int, last: int, reach: int = 40) -> int:
    """Move a snippet end to the nearest sentence end, else word end, after the last hit."""
    window = range(max(last, hi - reach), min(len(text), hi + reach) + 1)
    ends = [m.end() for m in _SENTENCE_END.finditer(text, window.start, window.stop)]
    ends = [p for p in ends if p in window]
    if ends:
        return min(ends, key=lambda p: (abs(p - hi), p))
    space = text.rfind(" ", last, hi)
    return space if space >= 0 else hi


def _densest(spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """Start of the first and end of the last hit of the window holding the most hits."""
    best, best_i, best_j = 0, 0, 1
    j = 0
    for i, (start, _) in enumerate(spans):
        j = max(j, i + 1)
        while j < len(spans) and spans[j][1] - start <= width:
            j += 1
        if j - i > best:
            best, best_i, best_j = j - i, i, j
    return spans[best_i][0], max(end for _, end in spans[best_i:best_j])


def make_snippet(
    text: str, spans: list[tuple[int, int]], width: int = 240
) -> tuple[str, list[tuple[int, int]]]:
    """About ``width`` characters of plain text around the densest cluster of hit spans."""
    spans = sorted(spans)
    first, last = _densest(spans, width)
    slack = max(0, width - (last - first))
    lo = max(0, first - slack // 2)
    hi = min(len(text), last + slack - (first - lo))
    lo = max(0, min(lo, hi - width))
    if lo > 0:
        lo = _cut_start(text, lo, first)
    if hi < len(text):
        hi = _cut_end(text, hi, last)
    while lo < first and text[lo].isspace():
        lo += 1
    while hi > last and text[hi - 1].isspace():
        hi -= 1
    prefix = "…" if lo > 0 else ""
    snippet = prefix + _SPACE_RUN.sub(" ", text[lo:hi]) + ("…" if hi < len(text) else "")
    squeezed = [(m.start(), m.end()) for m in _SQUEEZE.finditer(text, lo, hi)]

    def at(k: int) -> int:
        removed = sum(min(k, b) - a - 1 for a, b in squeezed if a < k)
        return len(prefix) + k - lo - max(0, removed)

    inside = [(at(s), at(e)) for s, e in spans if lo <= s and e <= hi]
    return snippet, inside
