"""trafilatura's byline search (``trafilatura.metadata.extract_author``), in plain Python.

trafilatura copies the tree, prunes comment sections, sidebars, dates and figures, then
tries three XPath expressions in turn, each over the whole page: on a real page that costs
~12 ms, more than all the rest of the page's metadata. This module applies the same rules
to the elements one XPath pass finds carrying one of the rules' words, on the page itself:
what trafilatura prunes is skipped instead of deleted from a copy (~2.5 ms a page, from
~5); ``tests/test_byline.py`` checks it agrees with trafilatura's own function.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_authors
from trafilatura.utils import trim

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
    candidates = _CANDIDATES(tree)
    for test in _RULES:  # each rule in turn, its matches in document order
        for elem in candidates:
            if isinstance(elem.tag, str) and test(elem) and not _in_pruned(elem):
                content = trim(" ".join(_pruned_text(elem)))
                if content and 2 < len(content) < MAX_CHARS:
                    return normalize_authors(None, content)
    return None


def _pruned(elem: HtmlElement) -> bool:
    """What trafilatura deletes from its copy: comments, sidebars, dates, figures."""
    if elem.tag in ("time", "figure"):
        return True
    return elem.tag in _DISCARD_TAGS and _discarded(elem)


def _in_pruned(elem: HtmlElement) -> bool:
    return _pruned(elem) or any(_pruned(a) for a in elem.iterancestors())


def _pruned_text(elem: HtmlElement) -> list[str]:
    """``itertext()`` of ``elem`` as if the pruned elements were deleted keeping their tails:
    a deleted element's tail joins the text before it (``trafilatura.xml.delete_element``)."""
    out: list[str | None] = []
    _walk(elem, out)
    return [piece for piece in out if piece]


def _walk(elem: HtmlElement, out: list[str | None]) -> None:
    out.append(elem.text)
    last = len(out) - 1  # where a deleted sibling's tail goes: the parent's text, else the
    for child in elem:  # tail of the last sibling still there
        if isinstance(child.tag, str) and _pruned(child):
            if child.tail:
                out[last] = (out[last] or "") + child.tail
            continue
        _walk(child, out)
        out.append(child.tail)
        last = len(out) - 1


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


# Every element one of the rules below can accept, found in one pass of libxml2's: each rule
# needs one of these words in an attribute, the tag "author" or a child named "rel".
_WORDS = {
    "class": (
        "uthor",
        "yline",
        "byl",
        "BBL",
        "username",
        "channel-name",
        "zuozhe",
        "bianji",
        "xiaobian",
        "submitted-by",
        "posted-by",
        "journalist-name",
        "screenname",
        "writer",
    ),
    "id": ("uthor", "zuozhe", "bianji", "xiaobian"),
    "itemprop": ("author",),
    "rel": ("author",),
    "data-testid": ("uthor",),
    "data-component": ("Byline",),
}
_CANDIDATES = etree.XPath(
    "//author | //*[rel] | ("
    + " | ".join(
        f"//@{attr}[" + " or ".join(f"contains(., '{w}')" for w in words) + "]"
        for attr, words in _WORDS.items()
    )
    + ")/.."
)

_RULES: tuple[Callable[[HtmlElement], bool], ...] = (_specific, _generic, _any)
