"""Small pure helpers shared by the renderers: snippet marking, safe links, escaping."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

_SPACES = re.compile(r"\s+")
_MD_SPECIAL = set("\\`*_[]<>#|!~&")

SAFE_SCHEMES = ("http", "https")
"""Link schemes a report turns into links; anything else is shown as text only."""


def snippet_parts(snippet: str, hits: Sequence[Sequence[int]]) -> list[tuple[str, bool]]:
    """Split a snippet into (text, is_hit) parts; overlapping or bad offsets are tolerated."""
    spans: list[tuple[int, int]] = []
    for hit in sorted((max(0, int(h[0])), min(len(snippet), int(h[1]))) for h in hits):
        start, end = hit
        if end <= start:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    parts: list[tuple[str, bool]] = []
    pos = 0
    for start, end in spans:
        if start > pos:
            parts.append((snippet[pos:start], False))
        parts.append((snippet[start:end], True))
        pos = end
    if pos < len(snippet):
        parts.append((snippet[pos:], False))
    return parts


def safe_url(url: str) -> str | None:
    """The URL if it is an http(s) link with a host, else None (never a javascript: link)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        return None
    if any(ord(c) < 0x20 or c in "<>\"'` " for c in url.strip()):
        return None
    return url.strip()


def md_escape(text: str) -> str:
    """Text safe inside Markdown: one line, markup characters backslash-escaped.

    An underscore inside a word (``peace_treaty``) cannot start emphasis in CommonMark,
    so it stays as it is.
    """
    flat = _SPACES.sub(" ", text)
    out = []
    for i, c in enumerate(flat):
        intraword = (
            c == "_" and 0 < i < len(flat) - 1 and flat[i - 1].isalnum() and flat[i + 1].isalnum()
        )
        out.append("\\" + c if c in _MD_SPECIAL and not intraword else c)
    return "".join(out)


def one_line(text: str) -> str:
    """The text with all whitespace runs collapsed to single spaces."""
    return " ".join(text.split())
