"""Page metadata (title, author, site name, description, page type) without the extras.

trafilatura's ``extract_metadata`` also looks for a date (htmldate), categories, tags, a
license and an image; we take the publication time from ``pipelines.dates`` and use none
of the rest, and on real pages those extras cost about a sixth of extraction time. This
runs the same trafilatura steps for the fields we store, in the same order, on our tree
(none of them modifies it).
"""

from __future__ import annotations

import logging

from lxml.html import HtmlElement
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
)
from trafilatura.settings import Document

logger = logging.getLogger(__name__)


def page_metadata(tree: HtmlElement, url: str | None = None) -> Document:
    """Title, author, site name, description and page type, as trafilatura finds them."""
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception as err:
        logger.debug("JSON-LD metadata unreadable: %s", err)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
        metadata.author = extract_author(tree)
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
