"""Simhash fingerprints of article text, for linking near-duplicate wire stories.

A 64-bit Charikar simhash over word trigrams (CJK text, which has no spaces, counts each
character as a word). Two copies of one wire story, re-edited or re-published by another
outlet, differ in a few bits; unrelated stories differ in about 32.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

BITS = 64
MAX_FEATURES = 2000
"""Trigrams hashed per text: the first ~2,000 words identify a story and bound the cost."""

_TOKEN_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+")
_MASK = (1 << BITS) - 1
_FIELD = 16  # bits per counter when the 64 bit-counters are packed into one integer
_SPREAD = [sum(1 << (_FIELD * i) for i in range(8) if byte >> i & 1) for byte in range(256)]


def simhash(text: str) -> int:
    """The 64-bit simhash (unsigned) of ``text``; 0 for text without words."""
    tokens = _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).casefold())
    if not tokens:
        return 0
    grams = [" ".join(tokens[i : i + 3]) for i in range(max(1, len(tokens) - 2))]
    grams = grams[:MAX_FEATURES]
    packed = 0  # 64 counters of set bits, _FIELD bits each, summed in one big integer
    for gram in grams:
        digest = hashlib.blake2b(gram.encode(), digest_size=8).digest()
        for i, byte in enumerate(digest):
            packed += _SPREAD[byte] << (_FIELD * 8 * (7 - i))
    field_mask = (1 << _FIELD) - 1
    half = len(grams) / 2
    return sum(1 << bit for bit in range(BITS) if (packed >> (_FIELD * bit)) & field_mask > half)


def distance(a: int, b: int) -> int:
    """Hamming distance between two fingerprints."""
    return ((a ^ b) & _MASK).bit_count()


def to_signed(value: int) -> int:
    """An unsigned 64-bit fingerprint as the signed integer a BIGINT column holds."""
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def to_unsigned(value: int) -> int:
    """The inverse of ``to_signed``."""
    return value & _MASK


def fingerprint(text: str) -> int:
    """The signed 64-bit simhash of a text, as stored (computed in extraction workers)."""
    return to_signed(simhash(text))
