"""Page metadata (title, author, site name, description, page type) without the extras.

trafilatura's ``extract_metadata`` also looks for a date (htmldate), categories, tags, a
license and an image; we take the publication time from ``pipelines.dates`` and use none
of the rest, and on real pages those extras cost about a sixth of extraction time. This
runs the same trafilatura steps for the fields we store, in the same order, on our tree
(none of them modifies it), with two costs cut:

* a JSON-LD block that is not valid JSON is searched with trafilatura's crude regexes only
  up to ``CRUDE_JSON_MAX_CHARS``: a real page carries an 840 kB broken block on which those
  regexes spend 1.7 s;
* the byline search runs as ``pipelines.byline.find_author``, the same rules in plain
  Python, at half the cost of trafilatura's XPath version.
"""

from __future__ import annotations

import json
import logging

from lxml.html import HtmlElement
from trafilatura.json_metadata import extract_json, extract_json_parse_error, normalize_json
from trafilatura.metadata import (
    JSON_MINIFY,
    META_URL,
    examine_meta,
    extract_sitename,
    extract_title,
)
from trafilatura.settings import Document

from pipelines.byline import find_author

logger = logging.getLogger(__name__)

CRUDE_JSON_MAX_CHARS = 65_536
"""Longest broken JSON-LD block searched with regexes (real blocks are a few kB)."""

_JSON_SCRIPTS = './/script[@type="application/ld+json" or @type="application/settings+json"]'


def page_metadata(tree: HtmlElement, url: str | None = None) -> Document:
    """Title, author, site name, description and page type, as trafilatura finds them."""
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = _meta_json(tree, metadata)
    except Exception as err:
        logger.debug("JSON-LD metadata unreadable: %s", err)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
        metadata.author = find_author(tree)
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if "." not in metadata.sitename and not metadata.sitename[:1].isupper():
            metadata.sitename = metadata.sitename.title()
    elif url and (host := META_URL.match(url)):
        metadata.sitename = host[1]
    metadata.clean_and_trim()
    return metadata


def _meta_json(tree: HtmlElement, metadata: Document) -> Document:
    """trafilatura's ``extract_meta_json``, with its crude fallback bounded in size."""
    for elem in tree.xpath(_JSON_SCRIPTS):
        if not elem.text:
            continue
        text = normalize_json(JSON_MINIFY.sub(r"\1", elem.text))
        try:
            schema = json.loads(text, strict=False)
        except json.JSONDecodeError:
            if len(text) <= CRUDE_JSON_MAX_CHARS:
                metadata = extract_json_parse_error(text, metadata)
            continue
        metadata = extract_json(schema, metadata)
    return metadata
