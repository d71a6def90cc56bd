"""pipelines.byline.find_author gives exactly what trafilatura's extract_author gives."""

from __future__ import annotations

import pytest
from lxml.html import HtmlElement
from trafilatura.metadata import extract_author
from trafilatura.utils import load_html

from pipelines.byline import find_author
from pipelines.metadata import CRUDE_JSON_MAX_CHARS, page_metadata


def page(body: str) -> HtmlElement:
    tree = load_html(f"<html><head><title>T</title></head><body>{body}</body></html>")
    assert tree is not None
    return tree


PAGES = {
    "specific rel=author": '<p>Text</p><a rel="author" href="/a">Anna Petrova</a>',
    "specific class, tail of a pruned time kept": (
        '<div class="author-name">By Ivan Sidorov <time>10:30</time> in Moscow</div>'
    ),
    "element named author": "<author>Kenji Tanaka</author>",
    "generic byline class": '<span class="byline">Mari Suzuki and Jun Sato</span>',
    "generic id": '<div id="article-author">Oleg Ivanov</div>',
    "last resort: any element": '<section class="ArticleWriter">Haruto Ito</section>',
    "last resort: data-component": '<em data-component="Byline">John Smith</em>',
    "sidebar byline pruned": (
        '<div class="sidebar"><span class="author">Sidebar Person</span></div>'
        '<p class="byline">Real Author</p>'
    ),
    "comments pruned": (
        '<div id="comments"><span class="author">Commenter Name</span></div><p>No byline</p>'
    ),
    "first rule wins over document order": (
        '<span class="byline">Generic Name</span><a rel="author">Specific Name</a>'
    ),
    "too long, next candidate": (
        '<span class="author">' + "word " * 40 + '</span><span class="author">Short Name</span>'
    ),
    "too short": '<span class="author">AB</span>',
    "figure caption pruned": '<figure><span class="author">Photo Credit</span></figure>',
    "nothing": "<p>An article without a byline.</p>",
}


@pytest.mark.parametrize("body", PAGES.values(), ids=PAGES.keys())
def test_same_author_as_trafilatura(body: str) -> None:
    tree = page(body)
    assert find_author(tree) == extract_author(page(body))


def test_tree_left_unchanged() -> None:
    tree = page(PAGES["sidebar byline pruned"])
    before = len(list(tree.iter()))
    assert find_author(tree) == "Real Author"
    assert len(list(tree.iter())) == before


def test_broken_json_ld_is_searched_only_when_small() -> None:
    broken = '{"@type": "NewsArticle", "author": {"name": "Anna Petrova"}, oops}'
    small = page(f'<script type="application/ld+json">{broken}</script><p>Text</p>')
    assert page_metadata(small).author == "Anna Petrova"
    padded = broken.replace("oops", f'"pad": "{"x" * CRUDE_JSON_MAX_CHARS}", oops')
    huge = page(f'<script type="application/ld+json">{padded}</script><p>Text</p>')
    assert page_metadata(huge).author is None
