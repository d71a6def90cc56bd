"""Turn a fetched page into an article: text, title, language, publication time, hash.

Pure and picklable in and out, so it runs inside ``ProcessPoolExecutor`` workers. The page
is decoded (``pipelines.encoding``) and parsed once; the publication-time candidates,
``<link rel=canonical>``/``og:url`` and ``<html lang>`` are read from that tree, and
trafilatura works on its own copy of it. Pages without an article raise
``ExtractionError`` with a one-line reason.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
from htmldate import find_date
from lxml.html import HtmlElement
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from trafilatura.settings import Document
from trafilatura.utils import load_html

from pipelines.dates import (
    Candidate,
    PublishedTime,
    Rejected,
    page_time_candidates,
    reconcile_explained,
)
from pipelines.datesources import modified_days
from pipelines.encoding import decode_html
from pipelines.listing import listing_reason
from pipelines.metadata import page_metadata
from scrapers.urls import same_site
from wirecore.errors import ExtractionError

__all__ = ["Extracted", "content_hash", "extract_article", "publication_time"]

_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b")
_NOT_HTML_TYPES = ("application/pdf", "image/", "audio/", "video/", "application/zip")
_TITLE_SEPARATORS = (" - ", " | ", " – ", " — ", " :: ", " « ")
_LANG_CONFIDENT = 0.9
_LANG_MIN_CHARS = 400
DEFAULT_MIN_CHARS = 10
"""Shortest article text kept: a one-sentence wire flash (молния, 速報, BREAKING) is one."""
_LANG_SAMPLE = 1000
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")


@dataclass(frozen=True, slots=True)
class Extracted:
    """What extraction found in one article page."""

    title: str
    author: str | None
    text: str
    language: str | None
    sitename: str | None
    description: str | None
    published: datetime | None
    published_origin: str | None
    published_note: str | None  # which date candidate won, and why
    canonical_url: str | None
    content_hash: str


def extract_article(
    body: bytes,
    url: str,
    *,
    content_type: str | None,
    feed_published: datetime | None = None,
    feed_title: str | None = None,
    language_hint: str | None = None,
    source_tz: str | None = None,
    fast: bool = False,
    now: datetime | None = None,
    min_chars: int = DEFAULT_MIN_CHARS,
    tables: bool = True,
) -> Extracted:
    """Extract the article in a fetched page, or raise ExtractionError saying why there is none."""
    _check_is_html(body, content_type)
    # NUL never belongs in text, and PostgreSQL refuses to store it
    tree = load_html(decode_html(body, content_type).replace("\x00", ""))
    if tree is None or len(tree) == 0:
        raise ExtractionError("not parseable as HTML")
    canonical = _canonical_url(tree, url)
    html_lang = _html_lang(tree)
    jsonld: list[Any] = []
    meta = page_metadata(tree, url, jsonld)
    text = _article_text(tree, url, meta.pagetype, fast=fast, tables=tables, min_chars=min_chars)
    title = _title(meta.title or feed_title or "", meta.sitename, url)
    published, note = publication_time(
        tree,
        url,
        feed_published=feed_published,
        now=now or datetime.now(UTC),
        source_tz=source_tz,
        jsonld=jsonld or None,
    )
    return Extracted(
        title=title,
        author=meta.author or None,
        text=text,
        language=_language(text, html_lang, language_hint),
        sitename=meta.sitename or None,
        description=meta.description or None,
        published=published.value if published else None,
        published_origin=published.origin if published else None,
        published_note=note or None,
        canonical_url=canonical,
        content_hash=content_hash(title, text),
    )


def _article_text(
    tree: HtmlElement, url: str, pagetype: str | None, *, fast: bool, tables: bool, min_chars: int
) -> str:
    """The article's text, or ExtractionError: none, too short, or a listing's teasers."""
    text = _clean_text(_trafilatura(tree, url, fast, tables).text or "")
    if not text:
        raise ExtractionError("no article text extracted")
    if len(text) < min_chars:
        raise ExtractionError(f"article text too short ({len(text)} < {min_chars} characters)")
    kind = (pagetype or "").lower()  # og:type, else the JSON-LD type
    declared = "article" in kind or "posting" in kind
    listing = listing_reason(tree, text, url, declared_article=declared)
    if listing:
        raise ExtractionError(listing)
    return text


# The day-only page date, trusted least. htmldate's "extensive search" hands free text to
# dateparser, which compiles regexes for ~200 locales on first use (4-9 s per process);
# page metadata and the feed give the time anyway.
_DATE_PARAMS: dict[str, Any] = {"extensive_search": False, "original_date": True}


def _trafilatura(tree: HtmlElement, url: str, fast: bool, tables: bool) -> Document:
    """Main text and metadata; trafilatura copies the tree it is given, so ours stays intact."""
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        with_metadata=False,  # pipelines.metadata reads the fields we keep, for less
        include_comments=False,
        include_tables=tables,
        deduplicate=False,
    )
    if not isinstance(doc, Document):
        raise ExtractionError("no article text extracted")
    return doc


def publication_time(
    tree: HtmlElement,
    url: str,
    *,
    feed_published: datetime | None,
    now: datetime,
    source_tz: str | None,
    jsonld: list[Any] | None = None,
) -> tuple[PublishedTime | None, str]:
    """The page's publication time (``pipelines.dates``) and how it was chosen; ``jsonld`` as
    ``pipelines.metadata.page_metadata`` leaves it, if it ran."""
    candidates = page_time_candidates(
        tree, source_tz, jsonld, feed_published=feed_published, now=now
    )
    published, note = reconcile_explained(
        candidates, feed_published, None, now, source_tz=source_tz
    )
    # the page's day is the last resort, so look for it only now. htmldate reads the same
    # tags: it makes 2026-02-01 of a declared 2026-02-30, and falls back to the modified date
    if published is None and not any(_impossible(c) for c in candidates):
        if modified_days(tree):
            return None, f"{note}; no page-date: the page declares only when it was modified"
        day = _day(find_date(tree, url=url, **_DATE_PARAMS))
        published, note = reconcile_explained(
            candidates, feed_published, day, now, source_tz=source_tz
        )
    return published, note


def _impossible(candidate: Candidate | Rejected) -> bool:
    return isinstance(candidate, Rejected) and candidate.reason.startswith("impossible")


def content_hash(title: str, text: str) -> str:
    """The sha256 hex of title + newline + text, each with whitespace runs collapsed."""
    normalized = " ".join(title.split()) + "\n" + " ".join(text.split())
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def _check_is_html(body: bytes, content_type: str | None) -> None:
    if not body or not body.strip():
        raise ExtractionError("empty body")
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime.startswith(_NOT_HTML_TYPES):
        raise ExtractionError(f"not HTML (content type {mime})")
    head = body[:1024].lstrip()
    if head.startswith(_BINARY_MAGIC):
        raise ExtractionError(f"not HTML (binary body starting {head[:4]!r})")
    # a stray NUL happens in real pages; many of them mean a binary file
    if head.count(b"\x00") > len(head) // 10 and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError("not HTML (NUL bytes in body)")


def _canonical_url(tree: HtmlElement, url: str) -> str | None:
    head = tree.find("head")
    hrefs = _canonical_hrefs(tree if head is None else head) or _canonical_hrefs(tree)
    for href in hrefs:
        absolute = urljoin(url, href.strip())
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and same_site(absolute, url):
            return absolute
    return None


def _canonical_hrefs(root: HtmlElement) -> list[str]:
    """rel=canonical and og:url values under ``root``, in document order."""
    return [
        el.get("href" if el.tag == "link" else "content") or ""
        for el in root.iter("link", "meta")
        if (el.tag == "link" and "canonical" in (el.get("rel") or "").lower().split())
        or (el.tag == "meta" and el.get("property") == "og:url")
    ]


def _html_lang(tree: HtmlElement) -> str | None:
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        return None
    primary = lang.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if 2 <= len(primary) <= 3 and primary.isalpha() else None


def _clean_text(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _title(title: str, sitename: str | None, url: str) -> str:
    """Drop a trailing " - Site" when the suffix is just the site's name or host."""
    title = " ".join(title.split())
    names = {n for n in (sitename, urlsplit(url).hostname) if n}
    names |= {n.removeprefix("www.").split(".")[0] for n in list(names) if "." in n}
    folded = {n.casefold() for n in names}
    for sep in _TITLE_SEPARATORS:
        head, found, tail = title.rpartition(sep)
        if found and head and tail.strip().casefold() in folded:
            return head.strip()
    return title


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _language(text: str, html_lang: str | None, hint: str | None) -> str | None:
    """Detected language when sure; else <html lang>, then the source's configured language."""
    detected, confidence = _identifier().classify(text[:_LANG_SAMPLE])
    if confidence >= _LANG_CONFIDENT and len(text) >= _LANG_MIN_CHARS:
        return str(detected)
    if html_lang and (html_lang == detected or not hint):
        return html_lang
    if hint:
        return hint
    return str(detected) if confidence >= 0.5 else html_lang


@cache
def _identifier() -> LanguageIdentifier:
    """The language model, loaded once per process on first use."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
