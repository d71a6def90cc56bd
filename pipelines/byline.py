"""trafilatura's byline search (``trafilatura.metadata.extract_author``), in plain Python.

trafilatura copies the tree, prunes comment sections, sidebars, dates and figures, then
tries three XPath expressions in turn, each over the whole page: on a real page that costs
~12 ms, more than all the rest of the page's metadata. This module applies the same rules
to the same pruned copy in one Python pass per rule that stops at the first byline
(~5 ms); ``tests/test_byline.py`` checks it agrees with trafilatura's own function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy

from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_authors
from trafilatura.utils import trim
from trafilatura.xml import delete_element

MAX_CHARS = 120
"""A byline is shorter than this (trafilatura's ``len_limit`` for authors)."""

# trafilatura.xpaths.AUTHOR_DISCARD_XPATHS
_DISCARD_TAGS = ("a", "div", "section", "span")
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
    r"|article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
# trafilatura.xpaths.AUTHOR_XPATHS, in its order
_SPECIFIC_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_SPECIFIC_CLASS = re.compile(r"author-?name|AuthorName|authorName")
_GENERIC_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_GENERIC_ID = re.compile(r"author|zuozhe|bianji|xiaobian")
_GENERIC_CLASS = re.compile(
    r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_ANY_ID = re.compile(r"[Aa]uthor")
_ANY_CLASS = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")


def find_author(tree: HtmlElement) -> str | None:
    """The byline trafilatura's ``extract_author`` finds in ``tree`` (left unchanged)."""
    pruned = _pruned(tree)
    for test in _RULES:  # each rule in turn, its matches in document order
        for elem in pruned.iter():
            if isinstance(elem.tag, str) and test(elem):
                content = trim(" ".join(elem.itertext()))
                if content and 2 < len(content) < MAX_CHARS:
                    return normalize_authors(None, content)
    return None


def _pruned(tree: HtmlElement) -> HtmlElement:
    """A copy without comment sections, sidebars, dates and figures (tails kept)."""
    copy = deepcopy(tree)
    for elem in [e for e in copy.iter(*_DISCARD_TAGS) if _discarded(e)]:
        delete_element(elem)
    for elem in list(copy.iter("time", "figure")):
        delete_element(elem)
    return copy


def _discarded(elem: HtmlElement) -> bool:
    ident = elem.get("id", "")
    cls = elem.get("class", "")
    return bool(
        ident == "comments"
        or cls in ("comments", "title", "date")
        or _DISCARD_ID.search(ident)
        or _DISCARD_CLASS.search(cls)
        or "Figure" in elem.get("data-component", "")
    )


def _specific(elem: HtmlElement) -> bool:
    if elem.tag == "author":
        return True
    if elem.tag not in _SPECIFIC_TAGS:
        return False
    cls = elem.get("class", "")
    return bool(
        elem.get("rel") == "author"
        or elem.get("id") == "author"
        or cls == "author"
        or elem.get("itemprop") == "author name"
        or any(rel.text_content() == "me" for rel in elem.iterchildren("rel"))
        or elem.get("data-testid") in ("AuthorCard", "AuthorURL")
        or _SPECIFIC_CLASS.search(cls)
    )


def _generic(elem: HtmlElement) -> bool:
    if elem.tag not in _GENERIC_TAGS:
        return False
    cls = elem.get("class", "")
    return bool(
        cls in ("byline", "username", "byl", "BBL")
        or "author" in elem.get("itemprop", "")
        or _GENERIC_ID.search(elem.get("id", ""))
        or _GENERIC_CLASS.search(cls)
    )


def _any(elem: HtmlElement) -> bool:
    return bool(
        "Byline" in elem.get("data-component", "")
        or "author" in elem.get("itemprop", "")
        or _ANY_ID.search(elem.get("id", ""))
        or _ANY_CLASS.search(elem.get("class", ""))
    )


_RULES: tuple[Callable[[HtmlElement], bool], ...] = (_specific, _generic, _any)
