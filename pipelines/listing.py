"""Is the extracted text an article, or the teasers of a listing (front page, section, tag)?

Not decided by the URL's shape or ``og:type`` = ``website`` (sites declare that on stories,
and a site's root may hold one story), but by what the extracted text is made of. A
*headline link* is a link of at least ``MIN_LINE_CHARS`` characters to another page that
stands alone (a heading, a list item, not words inside a sentence). The page is a listing,
with the reason saying how many, when either

* teaser boxes: at least ``MIN_TEASERS`` distinct small boxes (``TEASER_MAX_CHARS`` of text at
  most), each holding a headline link to a distinct page (or wrapped in one), hold at least
  ``MIN_TEASER_SHARE`` of the text's lines; or
* headlines: the text itself is made of the headline links (or of cards, links wrapping a
  headline and its summary): at least ``MIN_TEASERS`` of them, to distinct pages, are
  ``MIN_HEADLINE_SHARE`` of its characters. A page declaring itself an
  article (``og:type`` = ``article`` or an article-type JSON-LD node) is exempt from this
  one: related-story links an extractor kept do not make an article a listing.

An article's paragraphs sit together in one body, with links inside sentences at most, so
neither holds for it, however short it is.
"""

from __future__ import annotations

from urllib.parse import urldefrag, urljoin

from lxml.html import HtmlElement

__all__ = ["listing_reason"]

MIN_TEASERS = 4
MIN_TEASER_SHARE = 0.6
MIN_HEADLINE_SHARE = 0.35
TEASER_MAX_CHARS = 600
MIN_LINE_CHARS = 20
_LEVELS = 3  # how far up from a paragraph a teaser box may start
_BLOCKS = ("p", "li", "dd", "h2", "h3", "h4")
_SENTENCE_TAGS = frozenset({"p", "span", "em", "strong", "b", "i", "small", "font", "q"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_CARD_PARTS = _HEADINGS | {"div", "p", "figure"}


def listing_reason(
    tree: HtmlElement, text: str, url: str, *, declared_article: bool = False
) -> str | None:
    """Why the page's extracted ``text`` is a listing's teasers, or None when it is not."""
    page = urldefrag(url)[0]
    reason = _teaser_boxes(tree, text, page)
    if reason is None and not declared_article:
        reason = _headlines(tree, text, page)
    return None if reason is None else f"page is a listing ({reason})"


def _teaser_boxes(tree: HtmlElement, text: str, page: str) -> str | None:
    lines = [line for line in text.split("\n") if len(line) >= MIN_LINE_CHARS]
    if len(lines) < MIN_TEASERS:
        return None
    blocks = _blocks_by_text(tree)
    boxes: set[HtmlElement] = set()  # holding them keeps one proxy per node
    targets: set[str] = set()
    teaser_chars = 0
    for line in lines:
        block = blocks.get(" ".join(line.split()))
        found = None if block is None else _teaser_link(block, page)
        if found is not None:
            boxes.add(found[0])
            targets.add(found[1])
            teaser_chars += len(line)
    share = teaser_chars / sum(len(line) for line in lines)
    if min(len(boxes), len(targets)) >= MIN_TEASERS and share >= MIN_TEASER_SHARE:
        return f"{len(boxes)} teaser boxes linking to other pages hold {share:.0%} of the text"
    return None


def _headlines(tree: HtmlElement, text: str, page: str) -> str | None:
    flat = " ".join(text.split())
    found: dict[str, str] = {}  # headline -> target
    for link in tree.iter("a"):
        if not _headline(link):
            continue
        target = _target(link, page)
        title = " ".join(" ".join(link.itertext()).split())
        if target and title not in found and title in flat:
            found[title] = target
    share = sum(len(t) for t in found) / max(1, len(flat))
    if len(set(found.values())) >= MIN_TEASERS and share >= MIN_HEADLINE_SHARE:
        return f"{len(found)} headlines linking to other pages are {share:.0%} of the text"
    return None


def _blocks_by_text(tree: HtmlElement) -> dict[str, HtmlElement]:
    """Text blocks by their whitespace-normalised text (first occurrence wins)."""
    found: dict[str, HtmlElement] = {}
    for el in tree.iter(*_BLOCKS):
        key = " ".join(el.text_content().split())
        if len(key) >= MIN_LINE_CHARS:
            found.setdefault(key, el)
    return found


def _teaser_link(block: HtmlElement, page: str) -> tuple[HtmlElement, str] | None:
    """(teaser box, linked page) when ``block`` is a teaser; None for article text."""
    for ancestor in block.iterancestors():
        if ancestor.tag == "a":
            target = _target(ancestor, page)
            return (ancestor, target) if target else None
    box = block
    for _ in range(_LEVELS):
        parent = box.getparent()
        if parent is None or parent.tag in ("body", "html", "main"):
            return None
        box = parent
        if len(box.text_content()) > TEASER_MAX_CHARS:
            return None
        for link in box.iter("a"):
            if _inside(link, block):
                continue
            target = _target(link, page) if _headline(link) else None
            if target:
                return box, target
    return None


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


def _inside(el: HtmlElement, container: HtmlElement) -> bool:
    return any(a is container for a in el.iterancestors())


def _target(link: HtmlElement, page: str) -> str | None:
    href = (link.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:")):
        return None
    target = urldefrag(urljoin(page, href))[0]
    return target if target != page else None
