"""Simhash fingerprints of article text, for linking near-duplicate wire stories.

A 64-bit Charikar simhash over word trigrams (CJK text, which has no spaces, counts each
character as a word). Two copies of one wire story, re-edited or re-published by another
outlet, differ in a few bits; unrelated stories differ in about 32.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

BITS = 64
MAX_FEATURES = 2000
"""Trigrams hashed per text: the first ~2,000 words identify a story and bound the cost."""

_TOKEN_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+")
_MASK = (1 << BITS) - 1


def simhash(text: str) -> int:
    """The 64-bit simhash (unsigned) of ``text``; 0 for text without words."""
    tokens = _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).casefold())
    if not tokens:
        return 0
    count = min(max(1, len(tokens) - 2), MAX_FEATURES)
    blake2b = hashlib.blake2b
    grams = (" ".join(tokens[i : i + 3]).encode() for i in range(count))
    digests = b"".join([blake2b(gram, digest_size=8).digest() for gram in grams])
    # one row of 64 bits per trigram, most significant first; a bit of the fingerprint is
    # set when more than half the trigrams' hashes have it set
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(count, 8), axis=1)
    majority = bits.sum(axis=0, dtype=np.int64) > count / 2
    return int.from_bytes(np.packbits(majority).tobytes(), "big")


def distance(a: int, b: int) -> int:
    """Hamming distance between two fingerprints."""
    return ((a ^ b) & _MASK).bit_count()


def to_signed(value: int) -> int:
    """An unsigned 64-bit fingerprint as the signed integer a BIGINT column holds."""
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def fingerprint(text: str) -> int:
    """The signed 64-bit simhash of a text, as stored (computed in extraction workers)."""
    return to_signed(simhash(text))
