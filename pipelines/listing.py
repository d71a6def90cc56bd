"""Is the extracted text an article, or the teasers of a listing (front page, section, tag)?

Not decided by the URL's shape or ``og:type`` = ``website`` (sites declare that on stories,
and a site's root may hold one story), but by what the extracted text is made of. A page
declaring itself an article (``og:type`` = ``article``, or an article-type JSON-LD node) is
taken at its word: live blogs and roundups look like teasers, and no listing in the corpus
declares itself an article. In the others, a *headline link* is a link of at least
``MIN_LINE_CHARS`` characters to another page that stands alone (in a heading, or a list
item: not words inside a sentence), or a link wrapping a headline and its summary (a card).
The page is a listing, with the reason saying how many, when either

* teaser boxes: at least ``MIN_TEASERS`` distinct small boxes (``TEASER_MAX_CHARS`` of text at
  most), each holding a headline link to a distinct page beside text blocks of the extracted
  text, hold at least ``MIN_TEASER_SHARE`` of the text's lines; or
* headlines: the text itself is made of headline links: at least ``MIN_TEASERS`` of them, to
  distinct pages, are ``MIN_HEADLINE_SHARE`` of its characters.

An article's paragraphs sit together in one body, with links inside sentences at most, so
neither holds for it, however short it is.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

__all__ = ["listing_reason"]

MIN_TEASERS = 4
MIN_TEASER_SHARE = 0.6
MIN_HEADLINE_SHARE = 0.35
TEASER_MAX_CHARS = 600
MIN_LINE_CHARS = 20
_LONG_LINKS = etree.XPath(f"//a[@href][string-length(normalize-space()) >= {MIN_LINE_CHARS}]")
_LEVELS = 3  # how far up from its headline link a teaser box may start
_BLOCKS = ("p", "li", "dd", "h2", "h3", "h4")
_SENTENCE_TAGS = frozenset({"p", "span", "em", "strong", "b", "i", "small", "font", "q"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_CARD_PARTS = _HEADINGS | {"div", "p", "figure"}


def listing_reason(
    tree: HtmlElement, text: str, url: str, *, declared_article: bool = False
) -> str | None:
    """Why the page's extracted ``text`` is a listing's teasers, or None when it is not."""
    if declared_article:
        return None
    parts = urlsplit(url)
    here = {url.split("#", 1)[0], parts.path + (f"?{parts.query}" if parts.query else "")}
    flat = " ".join(text.split())
    lines = {" ".join(line.split()) for line in text.split("\n")}
    lines = {line for line in lines if len(line) >= MIN_LINE_CHARS}
    headlines: dict[str, str] = {}  # headline -> target, for those in the text
    boxes: dict[HtmlElement, str] = {}  # teaser box -> target (holding them keeps the proxies)
    teaser_lines: set[str] = set()
    seen: set[HtmlElement] = set()
    for link in _LONG_LINKS(tree):
        if not _headline(link):
            continue
        target = _target(link, here)
        if not target:
            continue
        title = " ".join(" ".join(link.itertext()).split())
        if title in flat:
            headlines.setdefault(title, target)
        box = _box(link) if len(lines) >= MIN_TEASERS else None
        if box is not None and box not in seen:
            seen.add(box)
            found = {t for t in _block_texts(box, link) if t in lines}
            if found:
                boxes[box] = target
                teaser_lines |= found
    reason = _teaser_reason(boxes, teaser_lines, lines) or _headline_reason(headlines, flat)
    return None if reason is None else f"page is a listing ({reason})"


def _teaser_reason(boxes: dict[HtmlElement, str], found: set[str], lines: set[str]) -> str | None:
    if min(len(boxes), len(set(boxes.values()))) < MIN_TEASERS:
        return None
    share = sum(map(len, found)) / sum(map(len, lines))
    if share < MIN_TEASER_SHARE:
        return None
    return f"{len(boxes)} teaser boxes linking to other pages hold {share:.0%} of the text"


def _headline_reason(headlines: dict[str, str], flat: str) -> str | None:
    share = sum(map(len, headlines)) / max(1, len(flat))
    if len(set(headlines.values())) < MIN_TEASERS or share < MIN_HEADLINE_SHARE:
        return None
    return f"{len(headlines)} headlines linking to other pages are {share:.0%} of the text"


def _box(link: HtmlElement) -> HtmlElement | None:
    """The teaser box of a headline link: the link itself when it wraps blocks, else the
    nearest ancestor holding more text than the link (at most ``TEASER_MAX_CHARS``)."""
    if any(child.tag in _CARD_PARTS for child in link):
        return link
    own = len(link.text_content())
    box = link
    for _ in range(_LEVELS):
        box = box.getparent()
        if box is None or box.tag in ("body", "html", "main"):
            return None
        size = len(box.text_content())
        if size > TEASER_MAX_CHARS:
            return None
        if size > own + 5:
            return box
    return None


def _block_texts(box: HtmlElement, link: HtmlElement) -> list[str]:
    """Whitespace-normalised texts of the text blocks in a box beside its headline link: not
    the blocks the link sits in (a linked sentence opening a paragraph is no headline)."""
    holding = [] if box is link else list(link.iterancestors())
    return [
        " ".join(el.text_content().split())
        for el in box.iter(*_BLOCKS, "a", "div")
        if not any(el is a for a in holding)
    ]


def _headline(link: HtmlElement) -> bool:
    """A link that stands as a headline: long enough, and not words inside a sentence."""
    parent = link.getparent()
    if parent is None:
        return False
    text = " ".join(link.text_content().split())
    if len(text) < MIN_LINE_CHARS:
        return False
    if parent.tag in _HEADINGS or any(child.tag in _CARD_PARTS for child in link):
        return True  # a heading, or a card: the link wraps headline and summary
    if parent.tag in _SENTENCE_TAGS:
        return len(" ".join(parent.text_content().split())) <= len(text) + 5
    previous = link.getprevious()
    before = (previous.tail if previous is not None else parent.text) or ""
    return len(before.strip()) + len((link.tail or "").strip()) <= 5


def _target(link: HtmlElement, here: set[str]) -> str | None:
    """The page a link leads to, as written without its fragment; None for this page."""
    href = (link.get("href") or "").strip().split("#", 1)[0]
    if not href or href in here or href.startswith(("javascript:", "mailto:")):
        return None
    return href
