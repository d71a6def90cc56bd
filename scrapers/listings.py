"""Article links from a section listing page (for sites without a usable feed)."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree, html

from scrapers.feeds import FeedEntry
from scrapers.urls import canonicalize_url


def parse_listing(body: bytes, base_url: str, pattern: str) -> list[FeedEntry]:
    """Links on a listing page whose absolute URL matches ``pattern``, in page order, once each."""
    if not body.strip():
        return []
    try:
        doc = html.fromstring(body, base_url=base_url)
    except (etree.ParserError, ValueError):
        return []
    rule = re.compile(pattern)
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for anchor in doc.iter("a"):
        href = anchor.get("href")
        if not href:
            continue
        url = urljoin(base_url, href.strip())
        if not url.startswith(("http://", "https://")) or not rule.search(url):
            continue
        key = canonicalize_url(url)
        if key in seen:
            continue
        seen.add(key)
        title = " ".join(anchor.text_content().split()) or None
        entries.append(FeedEntry(url, title, None, None, None))
    return entries
