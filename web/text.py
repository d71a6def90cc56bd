"""Pure helpers for showing scraped text safely: marked hits, links, XML and CSV cells."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def safe_href(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link, else None (no ``javascript:``, no ``data:``)."""
    if not url:
        return None
    cleaned = url.strip()
    if any(ord(ch) < 0x21 for ch in cleaned):
        return None
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return cleaned


def xml_text(value: str | None) -> str:
    """The string without the characters XML 1.0 forbids (controls, lone surrogates)."""
    return _XML_INVALID.sub("", value or "")


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else ",".join(value) if isinstance(value, list) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


Segment = tuple[str, str | None]
"""A piece of text and, when it is a hit, the rule term that matched it."""


def marked(text: str, hits: Iterable[tuple[int, int, str | None]]) -> list[Segment]:
    """Split ``text`` into plain and hit segments (overlapping hits merged, bad offsets ignored)."""
    spans = sorted((s, e, t) for s, e, t in hits if 0 <= s < e <= len(text))
    merged: list[list[Any]] = []
    for start, end, term in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, term])
    out: list[Segment] = []
    pos = 0
    for start, end, term in merged:
        if start > pos:
            out.append((text[pos:start], None))
        out.append((text[start:end], term or ""))
        pos = end
    if pos < len(text):
        out.append((text[pos:], None))
    return out


def paragraphs(segments: Sequence[Segment]) -> list[list[Segment]]:
    """The segments cut at line breaks into paragraphs (empty paragraphs dropped)."""
    paras: list[list[Segment]] = [[]]
    for piece, term in segments:
        lines = piece.split("\n")
        for n, line in enumerate(lines):
            if n:
                paras.append([])
            if line:
                paras[-1].append((line, term))
    return [p for p in paras if any(s.strip() for s, _ in p)]


def field_hits(matches: Sequence[dict[str, Any]], field: str) -> list[tuple[int, int, str | None]]:
    """Every counted hit of every match in one field ("title" or "text"), as spans."""
    found: list[tuple[int, int, str | None]] = []
    for match in matches:
        for hit in match.get("hits") or []:
            if hit.get("field") == field:
                try:
                    found.append((int(hit["start"]), int(hit["end"]), str(hit.get("term"))))
                except (KeyError, TypeError, ValueError):
                    continue
    return found
