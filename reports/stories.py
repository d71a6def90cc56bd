"""Group one day's articles into stories: a wire story republished by several outlets.

There is no story-cluster table yet, so `story_ids` derives a story id from the texts:
two articles are the same story when their titles, or their snippets, share enough
shingles (Jaccard similarity of character 4-grams of titles, word 3-grams of snippets).
Everything downstream only sees the ``url -> story id`` mapping, so a stored cluster id
can replace this function later.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

TITLE_THRESHOLD = 0.5
"""Minimum Jaccard similarity of title shingles for two articles to be one story."""

SNIPPET_THRESHOLD = 0.6
"""Minimum Jaccard similarity of snippet shingles for two articles to be one story."""

_SHINGLE = 4
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class StoryInput:
    """What story grouping looks at for one article."""

    url: str
    title: str
    snippet: str
    language: str | None


def shingles(text: str, size: int = _SHINGLE) -> frozenset[str]:
    """Character shingles of the text with case, punctuation and spacing normalised away."""
    norm = " ".join(_NOT_WORD.sub(" ", text.casefold()).split())
    if len(norm) <= size:
        return frozenset([norm]) if norm else frozenset()
    return frozenset(norm[i : i + size] for i in range(len(norm) - size + 1))


def word_shingles(text: str, size: int = 3) -> frozenset[str]:
    """Word n-gram shingles for spaced scripts; character shingles for text without spaces."""
    words = _NOT_WORD.sub(" ", text.casefold()).split()
    if len(words) < 2 * size:
        return shingles(text)
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def story_ids(items: Sequence[StoryInput]) -> dict[str, str]:
    """Map every article URL to a story id; articles of one story share the id.

    The id is ``"s-"`` plus a hash of the lexically first URL of the story, so it does
    not depend on the order of ``items``.
    """
    by_url = {i.url: i for i in items}
    urls = sorted(by_url)
    parent = {u: u for u in urls}

    def find(u: str) -> str:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for field, shingle, threshold in (
        ("title", shingles, TITLE_THRESHOLD),
        ("snippet", word_shingles, SNIPPET_THRESHOLD),
    ):
        sets = {u: shingle(getattr(by_url[u], field)) for u in urls}
        for a, b in similar_pairs(sets, threshold):
            if by_url[a].language == by_url[b].language:
                ra, rb = find(a), find(b)
                parent[max(ra, rb)] = min(ra, rb)
    return {u: _story_id(find(u)) for u in urls}


def similar_pairs(sets: dict[str, frozenset[str]], threshold: float) -> list[tuple[str, str]]:
    """Every pair of keys whose sets have Jaccard similarity >= ``threshold``, sorted.

    Prefix filtering: with tokens in a global order, rarest first, two sets that reach the
    threshold share a token among the first ``|x| - ceil(threshold * |x|) + 1`` of each,
    so only pairs sharing such a token are compared. Exact, and near-linear on news.
    """
    freq: dict[str, int] = {}
    for found in sets.values():
        for tok in found:
            freq[tok] = freq.get(tok, 0) + 1
    rank = {tok: n for n, tok in enumerate(sorted(freq, key=lambda t: (freq[t], t)))}
    index: dict[str, list[str]] = {}
    candidates: set[tuple[str, str]] = set()
    for key in sorted(sets):
        ordered = sorted(sets[key], key=rank.__getitem__)
        prefix = len(ordered) - math.ceil(threshold * len(ordered)) + 1
        for tok in ordered[:prefix]:
            for other in index.get(tok, ()):
                candidates.add((other, key))
            index.setdefault(tok, []).append(key)
    return sorted((a, b) for a, b in candidates if jaccard(sets[a], sets[b]) >= threshold)


def _story_id(root_url: str) -> str:
    return "s-" + hashlib.sha256(root_url.encode("utf-8")).hexdigest()[:12]
