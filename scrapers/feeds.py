"""Parse RSS/Atom/RDF feeds and (Google News) sitemaps into plain, typed entries.

Pure functions over bytes: the spiders hand in a response body and its URL and get back
``FeedEntry`` values with absolute http(s) links and timezone-aware UTC dates.
"""

from __future__ import annotations

import calendar
import contextlib
import gzip
import html
import io
import re
import time
import xml.sax
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree

from scrapers.urls import canonicalize_url
from wirecore.dates import parse_datetime_loose
from wirecore.errors import FeedError

MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024
"""Largest body a gzip-compressed feed or sitemap may expand to."""

MAX_FEED_ITEMS = 50_000
"""Most items read from one feed, and most URLs from one sitemap (the sitemap protocol's
own limit); the spider logs and records what is cut."""

_ITEM_RE = re.compile(rb"<(item|entry)\b[^>]*>.*?</\1\s*>", re.DOTALL)

_WS_RE = re.compile(r"\s+")
_TAG_RE = re.compile(r"<[^>]*>")
_LANG_RE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One article link found in a feed or sitemap, with what the feed says about it."""

    url: str
    title: str | None
    published: datetime | None
    updated: datetime | None
    language: str | None


@dataclass(frozen=True, slots=True)
class SitemapResult:
    """What a sitemap holds: article entries (urlset) or child sitemap URLs (index)."""

    entries: list[FeedEntry]
    sitemaps: list[str]


def parse_feed(
    body: bytes,
    base_url: str,
    content_type: str | None = None,
    problems: list[str] | None = None,
) -> list[FeedEntry]:
    """Parse an RSS 0.9x/2.0, Atom 1.0 or RDF feed body into entries, in feed order.

    Links are made absolute against ``base_url``; entries without an http(s) link are skipped
    and entries whose canonical URL was already seen are dropped. Raises ``FeedError`` when
    the body is not a feed at all, or is malformed and yields no entry. When the decoder
    fails on the document (a character reference to no character, say), each item is
    parsed on its own: only the items that still fail are lost, each with a reason
    appended to ``problems``.
    """
    data = _maybe_gunzip(body)
    if not data.strip():
        raise FeedError("not a feed: empty body")
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    problems = [] if problems is None else problems
    try:
        parsed = _feedparse(data, headers)
    except Exception as err:  # feedparser's decoder bugs: salvage item by item
        return _salvage_items(data, headers, base_url, err, problems)
    if not parsed.entries and not parsed.get("version"):
        raise FeedError(f"not a feed: {_bozo_reason(parsed)}")
    if not parsed.entries and isinstance(parsed.get("bozo_exception"), xml.sax.SAXException):
        raise FeedError(f"malformed feed with no entries: {_bozo_reason(parsed)}")
    return _feed_entries(parsed, base_url, problems)


def _feedparse(data: bytes, headers: dict[str, str]) -> Any:
    return feedparser.parse(
        data, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )


def _feed_entries(parsed: Any, base_url: str, problems: list[str]) -> list[FeedEntry]:
    feed_language = _norm_language(parsed.feed.get("language"))
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for number, item in enumerate(parsed.entries, 1):
        try:
            url = _absolute_http_url(_entry_link(item), base_url)
            if url is None or (key := canonicalize_url(url)) in seen:
                continue
            seen.add(key)
            updated = _feed_date(item, "updated")
            # RSS 1.0 carries only dc:date, which feedparser reports as "updated".
            published = _feed_date(item, "published") or updated
            language = _norm_language(item.get("language")) or feed_language
            entries.append(FeedEntry(url, _feed_title(item), published, updated, language))
        except Exception as err:  # one bad item never loses the feed
            problems.append(f"item {number} skipped: {_one_line(err)}")
    return entries


def _salvage_items(
    data: bytes, headers: dict[str, str], base_url: str, err: Exception, problems: list[str]
) -> list[FeedEntry]:
    """Parse each ``<item>``/``<entry>`` with the feed's head and tail around it alone."""
    spans = [m.span() for m in _ITEM_RE.finditer(data)][:MAX_FEED_ITEMS]
    if not spans:
        raise FeedError(f"feed could not be decoded: {_one_line(err)}")
    head, tail = data[: spans[0][0]], data[spans[-1][1] :]
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for number, (start, end) in enumerate(spans, 1):
        try:
            parsed = _feedparse(head + data[start:end] + tail, headers)
        except Exception as item_err:  # this item alone is lost
            problems.append(f"item {number} skipped: {_one_line(item_err)}")
            continue
        for entry in _feed_entries(parsed, base_url, problems):
            if (key := canonicalize_url(entry.url)) not in seen:
                seen.add(key)
                entries.append(entry)
    return entries


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}"[:300] if text else type(err).__name__


def _entry_link(item: Any) -> str | None:
    """The entry's link; feedparser leaves ``link`` unset for a non-HTML alternate (a PDF)."""
    candidates = [item.get("link")] + [
        link.get("href") for link in item.get("links", ()) if link.get("rel") == "alternate"
    ]
    for href in candidates:
        if href and not str(href).startswith("tag:"):
            return str(href)
    return None


def parse_sitemap(body: bytes, base_url: str, problems: list[str] | None = None) -> SitemapResult:
    """Parse a sitemap (``urlset``, Google News included) or a sitemap index, gzipped or not.

    Raises ``FeedError`` when the body is neither, or when it is gzip that expands beyond
    ``MAX_DECOMPRESSED_BYTES``. A ``<url>``/``<sitemap>`` that cannot be decoded is
    skipped with a reason appended to ``problems``.
    """
    root = _parse_xml(_maybe_gunzip(body))
    kind = _local_name(root)
    problems = [] if problems is None else problems
    if kind == "urlset":
        return SitemapResult(entries=_urlset_entries(root, base_url, problems), sitemaps=[])
    if kind == "sitemapindex":
        return SitemapResult(entries=[], sitemaps=_index_sitemaps(root, base_url, problems))
    raise FeedError(f"not a sitemap: root element is <{kind or '?'}>")


def _maybe_gunzip(body: bytes) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
            data = stream.read(MAX_DECOMPRESSED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as err:
        raise FeedError(f"broken gzip body: {err}") from err
    if len(data) > MAX_DECOMPRESSED_BYTES:
        raise FeedError(f"gzip body expands beyond {MAX_DECOMPRESSED_BYTES} bytes")
    return data


def _bozo_reason(parsed: Any) -> str:
    reason = str(parsed.get("bozo_exception") or "").strip()
    return reason.splitlines()[0] if reason else "no feed elements found"


def _absolute_http_url(link: object, base_url: str) -> str | None:
    if not isinstance(link, str) or not link.strip():
        return None
    url = urljoin(base_url, link.strip())
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _feed_title(item: Any) -> str | None:
    title = item.get("title")
    if not isinstance(title, str):
        return None
    detail = item.get("title_detail") or {}
    if "html" in str(detail.get("type", "")):
        title = html.unescape(_TAG_RE.sub(" ", title))
    return _WS_RE.sub(" ", title).strip() or None


def _feed_date(item: Any, key: str) -> datetime | None:
    # dict.get: FeedParserDict maps a missing "updated" to "published", with a warning.
    raw = dict.get(item, key)
    if isinstance(raw, str) and (own := parse_datetime_loose(raw)) is not None:
        return own
    struct = dict.get(item, f"{key}_parsed")
    if isinstance(struct, time.struct_time):
        # feedparser's struct_time is already UTC: timegm, never mktime.
        with contextlib.suppress(OverflowError, OSError, ValueError):
            return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    return None


def _norm_language(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if _LANG_RE.fullmatch(primary) else None


def _parse_xml(data: bytes) -> Any:
    if not data.strip():
        raise FeedError("not a sitemap: empty body")
    # No entity expansion, no network, no DTD, no huge trees: XXE and bombs stay inert.
    safe = {"resolve_entities": False, "no_network": True, "huge_tree": False, "load_dtd": False}
    parser = etree.XMLParser(recover=True, remove_comments=True, remove_pis=True, **safe)
    try:
        root = etree.fromstring(data.lstrip(), parser)
    except etree.XMLSyntaxError as err:
        raise FeedError(f"not a sitemap: {err}") from err
    if root is None:
        raise FeedError("not a sitemap: no XML element found")
    return root


def _local_name(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return str(tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower())


def _children(element: Any, name: str) -> list[Any]:
    return [child for child in element if _local_name(child) == name]


def _child_text(element: Any, name: str) -> str | None:
    for child in _children(element, name):
        text = _WS_RE.sub(" ", "".join(child.itertext())).strip()
        if text:
            return text
    return None


def _child_date(element: Any, name: str) -> datetime | None:
    text = _child_text(element, name)
    return parse_datetime_loose(text) if text else None


def _urlset_entries(root: Any, base_url: str, problems: list[str]) -> list[FeedEntry]:
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for number, node in enumerate(_children(root, "url"), 1):
        try:
            url = _absolute_http_url(_child_text(node, "loc"), base_url)
            if url is None or (key := canonicalize_url(url)) in seen:
                continue
            seen.add(key)
            title, published, language = _news_fields(node)
            updated = _child_date(node, "lastmod")
        except Exception as err:  # one bad <url> never loses the sitemap
            problems.append(f"url {number} skipped: {_one_line(err)}")
            continue
        entries.append(FeedEntry(url, title, published, updated, language))
    return entries


def _news_fields(node: Any) -> tuple[str | None, datetime | None, str | None]:
    """Title, publication date and language of a Google News ``<news:news>`` block."""
    for news in _children(node, "news"):
        language = None
        for publication in _children(news, "publication"):
            language = language or _norm_language(_child_text(publication, "language"))
        return _child_text(news, "title"), _child_date(news, "publication_date"), language
    return None, None, None


def _index_sitemaps(root: Any, base_url: str, problems: list[str]) -> list[str]:
    urls: dict[str, None] = {}
    for number, node in enumerate(_children(root, "sitemap"), 1):
        try:
            url = _absolute_http_url(_child_text(node, "loc"), base_url)
        except Exception as err:  # one bad <sitemap> never loses the index
            problems.append(f"sitemap {number} skipped: {_one_line(err)}")
            continue
        if url is not None:
            urls[url] = None
    return list(urls)
