"""Topic discovery feeds: search-engine RSS whose items point at other publishers.

A news search feed (a query's RSS) links each item through a redirect stub on the search
engine's own host. Before anything is fetched, each link is resolved to the publisher's
own URL from what the link itself carries:

- a redirect parameter (Bing News ``apiclick.aspx?...&url=``, Google ``/url?url=`` or
  ``?q=``), percent-decoded once more when it was encoded twice;
- a Google News article id (``news.google.com/rss/articles/CBMi...``) whose base64url
  payload holds the URL (the older id format); the newer opaque ids carry no URL and can
  be resolved only by running the engine's script, so they stay unresolved;
- a link that already points off the engine's host.

An item that cannot be resolved is reported, never fetched: the stub page is not an
article. The publisher (the host of the resolved URL, or the name of a configured source
on that host) is recorded as the article's source.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, unquote, urlsplit

from scrapers.feeds import FeedEntry
from wirecore.sources import SourceConfig

_REDIRECT_PARAMS = ("url", "u", "q", "target", "dest")
_URL_IN_BYTES = re.compile(rb"https?://[\x21-\x7e]+")
UNRESOLVED_REASON = "search-feed link could not be resolved to a publisher URL"


@dataclass(frozen=True, slots=True)
class Resolved:
    """A discovery-feed entry whose link now points at the publisher, and who that is."""

    entry: FeedEntry
    publisher: str


def host_of(url: str) -> str:
    """The lower-case host of ``url`` without a leading ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def resolve_link(link: str, feed_url: str) -> str | None:
    """The publisher URL behind a search-feed link, or None when the link does not say."""
    engine = host_of(feed_url)
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if not _same_engine(host_of(link), engine):
        return link
    for candidate in (_from_query(parts.query), _from_google_id(parts.path)):
        if candidate and not _same_engine(host_of(candidate), engine):
            return candidate
    return None


def resolve_entries(
    entries: Iterable[FeedEntry], feed_url: str, publishers: Mapping[str, str]
) -> tuple[list[Resolved], list[FeedEntry]]:
    """Split a discovery feed's entries into resolved ones and those that stay stubs.

    ``publishers`` maps a host (no ``www.``) to the configured source that publishes
    there, so an article found through search is filed under that source's name.
    """
    resolved: list[Resolved] = []
    unresolved: list[FeedEntry] = []
    for entry in entries:
        url = resolve_link(entry.url, feed_url)
        if url is None:
            unresolved.append(entry)
            continue
        host = host_of(url)
        resolved.append(Resolved(replace(entry, url=url), publishers.get(host, host)))
    return resolved, unresolved


def publisher_hosts(sources: Iterable[SourceConfig]) -> dict[str, str]:
    """Host -> configured source name, from every non-discovery source's addresses."""
    hosts: dict[str, str] = {}
    for src in sources:
        if src.discovery:
            continue
        for url in (src.homepage or "", *src.feeds, *src.listings):
            if url and (host := host_of(url)):
                hosts.setdefault(host, src.name)
    return hosts


def _same_engine(host: str, engine: str) -> bool:
    """True when ``host`` belongs to the search engine that serves the feed."""
    if not host or not engine:
        return False
    base = ".".join(engine.split(".")[-2:])
    return host in (engine, base) or host.endswith("." + base)


def _from_query(query: str) -> str | None:
    params = parse_qs(query)
    for key in _REDIRECT_PARAMS:
        for value in params.get(key, ()):
            url = value.strip()
            if url.lower().startswith(("http%3a", "https%3a")):
                url = unquote(url)
            if url.startswith(("http://", "https://")) and urlsplit(url).netloc:
                return url
    return None


def _from_google_id(path: str) -> str | None:
    """The URL inside an old-format Google News article id, if it holds one."""
    match = re.search(r"/articles/([A-Za-z0-9_-]{8,})", path)
    if match is None:
        return None
    token = match.group(1)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    found = _URL_IN_BYTES.search(raw)
    if found is None:
        return None
    start = found.start()
    # The id is a protobuf: the URL is a length-prefixed field; trust the prefix when present.
    length = raw[start - 1] if start > 0 else 0
    end = start + length if 0 < length <= len(raw) - start else found.end()
    try:
        url = raw[start:end].decode("ascii")
    except UnicodeDecodeError:
        return None
    return url if urlsplit(url).netloc else None
