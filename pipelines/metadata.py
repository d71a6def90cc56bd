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
from typing import Any

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


def page_metadata(
    tree: HtmlElement, url: str | None = None, jsonld: list[Any] | None = None
) -> Document:
    """Title, author, site name, description and page type, as trafilatura finds them.

    Each JSON-LD block read on the way is appended to ``jsonld`` when given: parsed, or its
    original text when this could not parse it (``pipelines.dates`` reads them too).
    """
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = _meta_json(tree, metadata, jsonld)
    except Exception as err:
        logger.debug("JSON-LD metadata unreadable: %s", err)
        if jsonld is not None:
            jsonld.clear()  # partly read: let the reader start again
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


def _meta_json(tree: HtmlElement, metadata: Document, jsonld: list[Any] | None) -> Document:
    """trafilatura's ``extract_meta_json``, with its crude fallback bounded in size."""
    for elem in tree.xpath(_JSON_SCRIPTS):
        if not elem.text:
            continue
        text = normalize_json(JSON_MINIFY.sub(r"\1", elem.text))
        linked = jsonld is not None and elem.get("type") == "application/ld+json"
        try:
            schema = json.loads(text, strict=False)
        except json.JSONDecodeError:
            if linked:  # trafilatura's clean-up can break JSON: the original, for another try
                jsonld.append(elem.text)  # type: ignore[union-attr]
            if len(text) <= CRUDE_JSON_MAX_CHARS:
                metadata = extract_json_parse_error(text, metadata)
            continue
        if linked:
            jsonld.append(schema)  # type: ignore[union-attr]
        metadata = extract_json(schema, metadata)
    return metadata
