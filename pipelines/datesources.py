"""Where a page declares its publication time: the raw values, most trusted first.

``declared_times`` returns (origin, key, text) for every declaration ``pipelines.dates``
reads (see its docstring for the order); nothing here parses a date. ``dateModified``,
``article:modified_time`` and their kin are never collected.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import date
from typing import Any

from lxml.html import HtmlElement

__all__ = ["declared_body_times", "declared_head_times", "declared_times", "modified_days"]

_META_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "schema:datepublished",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "cxenseparse:recs:publishtime",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dc:date",
    "dcterms.date",
    "dc.date.created",
    "dcterms.created",
    "date",
)
_MODIFIED_KEYS = frozenset(
    {"article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified"}
    | {"dcterms.modified", "last-modified", "lastmod"}
)
_MODIFIED_XPATH = "//*[@itemprop='dateModified' and not(self::meta)]"
_JSONLD_MODIFIED = re.compile(r'"dateModified"\s*:\s*"([^"]{8,40})"')
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_META_RANK = {key: rank for rank, key in enumerate(_META_KEYS)}
_ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting"}
    | {"liveblogposting", "report", "backgroundnewsarticle", "opinionnewsarticle"}
    | {"socialmediaposting", "scholarlyarticle", "techarticle", "posting"}
)
# nodes whose dates are not the page's: media, comments, reviews, people
_SKIP_TYPES = frozenset(
    {"imageobject", "videoobject", "audioobject", "mediaobject", "photograph", "clip"}
    | {"comment", "review", "answer", "question", "person", "organization", "rating"}
)
_JSONLD_SCRIPTS = "//script[@type='application/ld+json']"
_JSONLD_LINKS = ("@graph", "mainEntity", "mainEntityOfPage")
_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')
_MICRODATA_XPATH = (
    "(//@itemprop[.='datePublished'] | //@property[contains(., 'datePublished')"
    " or contains(., 'dc:date') or contains(., 'dcterms:created')"
    " or contains(., 'dcterms:issued')])/parent::*[not(self::meta or self::time)]"
)
_TIME_XPATH = (
    "//time[@itemprop='datePublished' or contains(@class, 'publish') or @pubdate]",
    "//article//time",
)


def modified_days(tree: HtmlElement) -> set[date]:
    """The calendar days (as written) of the page's declared modification times."""
    texts = [
        meta.get("content") or ""
        for meta in tree.iterfind(".//meta")
        if (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        in _MODIFIED_KEYS
    ]
    texts += [el.get("content") or el.get("datetime") or "" for el in tree.xpath(_MODIFIED_XPATH)]
    for script in tree.xpath(_JSONLD_SCRIPTS):
        texts += _JSONLD_MODIFIED.findall(script.text_content())
    days = set()
    for text in texts:
        m = _DAY.match(text.strip())
        if m:
            with contextlib.suppress(ValueError):
                days.add(date(int(m[1]), int(m[2]), int(m[3])))
    return days


def declared_times(
    tree: HtmlElement, jsonld: list[Any] | None = None
) -> list[tuple[str, str, str]]:
    """(origin, key, text as written) of each publication-time declaration, most trusted first.

    ``jsonld``: the page's JSON-LD blocks already read (parsed, or text when not JSON), as
    ``pipelines.metadata.page_metadata`` leaves them; else they are read here.
    """
    return declared_head_times(tree, jsonld) + declared_body_times(tree)


def declared_head_times(
    tree: HtmlElement, jsonld: list[Any] | None = None
) -> list[tuple[str, str, str]]:
    """The meta and JSON-LD part of ``declared_times``."""
    if jsonld is None:
        jsonld = [_parsed(s.text_content()) for s in tree.xpath(_JSONLD_SCRIPTS)]
    found = [("meta", key, text) for key, text in _meta_texts(tree)]
    return found + [("jsonld", key, text) for key, text in _jsonld_texts(jsonld)]


def declared_body_times(tree: HtmlElement) -> list[tuple[str, str, str]]:
    """The microdata and ``<time>`` part of ``declared_times`` (two scans of the page)."""
    found = [("microdata", key, t) for key, t in _xpath_texts(tree, (_MICRODATA_XPATH,))]
    return found + [("time", key, text) for key, text in _xpath_texts(tree, _TIME_XPATH)]


def _meta_texts(tree: HtmlElement) -> list[tuple[str, str]]:
    found: list[tuple[int, int, str, str]] = []
    for index, meta in enumerate(tree.iterfind(".//meta")):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        content = meta.get("content")
        if key and content:
            rank = _META_RANK.get(key.strip().lower())
            if rank is not None:
                found.append((rank, index, key.strip(), content))
    return [(key, content) for _, _, key, content in sorted(found)]


def _parsed(text: str) -> Any:
    try:
        return json.loads(text, strict=False)
    except ValueError:
        return text


def _jsonld_texts(blocks: list[Any]) -> list[tuple[str, str]]:
    found: list[tuple[int, int, str, str]] = []
    for data in blocks:
        if isinstance(data, str):
            data = _parsed(data)
        if isinstance(data, str):  # not valid JSON: its datePublished values, by pattern
            found += [(9, len(found), "unparsed JSON", m) for m in _JSONLD_DATE.findall(data)]
            continue
        for node in _walk_jsonld(data, depth=0):
            item = _jsonld_date(node)
            if item is not None:
                found.append((item[0], len(found), item[1], item[2]))
    if any(rank < 2 for rank, *_ in found):  # an article's own date: other nodes are not needed
        found = [f for f in found if f[0] < 2]
    return [(key, text) for _, _, key, text in sorted(found)]


def _jsonld_date(node: dict[str, Any]) -> tuple[int, str, str] | None:
    """(rank, label, text) of a node's datePublished, else dateCreated; None if it has none."""
    kinds = node.get("@type")
    listed = kinds if isinstance(kinds, list) else [kinds]
    names = [k.rsplit("/", 1)[-1] for k in listed if isinstance(k, str)]
    lowered = {k.lower() for k in names}
    if lowered & _SKIP_TYPES:
        return None
    rank = 0 if lowered & _ARTICLE_TYPES else 2 if names else 4
    for step, prop in enumerate(("datePublished", "dateCreated")):
        value = node.get(prop)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, dict):
            value = value.get("@value")
        if isinstance(value, str) and value.strip():
            label = f"{names[0] if names else 'untyped'}.{prop}"
            return rank + step, label, value
    return None


def _walk_jsonld(data: Any, depth: int) -> list[dict[str, Any]]:
    if depth > 6:
        return []
    if isinstance(data, list):
        return [n for item in data for n in _walk_jsonld(item, depth + 1)]
    if not isinstance(data, dict):
        return []
    nodes = [data]
    for key in _JSONLD_LINKS:
        if key in data:
            nodes.extend(_walk_jsonld(data[key], depth + 1))
    return nodes


def _xpath_texts(tree: HtmlElement, xpaths: tuple[str, ...]) -> list[tuple[str, str]]:
    for xpath in xpaths:
        texts = [
            el.get("datetime") or el.get("content") or el.text_content() for el in tree.xpath(xpath)
        ]
        texts = [t.strip() for t in texts if t and t.strip()]
        if texts:
            return [("", t) for t in texts[:3]]
    return []
