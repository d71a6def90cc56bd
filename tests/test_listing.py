"""Is it an article? Hand-written listing, section and front pages are rejected with the
reason; articles at listing-like URLs, a site root holding one story, live blogs and flashes
with related links are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.extraction import extract_article
from wirecore.errors import ExtractionError

PAGES = Path(__file__).parent / "fixtures" / "pages"
NAV = '<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>'
STORIES = [
    (
        "harbour-breakwater",
        "Harbour authority approves new breakwater for the island port",
        "The breakwater will shelter the ferry berth from winter storms, officials said.",
    ),
    (
        "fishing-quotas",
        "Fishing quotas for next year agreed after long talks",
        "The agreement keeps most catch limits unchanged for the coming season.",
    ),
    (
        "airport-runway",
        "Island airport runway to be extended for larger aircraft",
        "Work will start once the ground has been surveyed by the engineers.",
    ),
    (
        "school-reopens",
        "School reopens after repairs to the roof damaged in the storm",
        "Pupils had been taught in the community hall for almost two months.",
    ),
    (
        "power-cable",
        "New undersea power cable to connect the island to the grid",
        "The cable will replace the diesel power station that has run since 1975.",
    ),
    (
        "museum-ferries",
        "Local museum opens an exhibition about a century of ferry crossings",
        "The exhibition of photographs and ship models runs until March.",
    ),
]
PARAGRAPHS = [
    "The regional harbour authority on Friday approved the construction of a new breakwater"
    " at the island's main port, a project that will keep the ferry berth usable in winter.",
    "The 400-metre structure will be built from concrete blocks laid on a rock foundation,"
    " and work is expected to begin in the spring, the authority said in a statement.",
    "Residents have long complained that crossings are cancelled for days at a time when the"
    " wind turns north; last winter the ferry did not sail on 23 days.",
]


def html(body: str, head: str = "") -> bytes:
    """A page around the given body markup."""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Example Wire</title>'
        f"{head}</head><body>{NAV}{body}<footer>© Example Wire</footer></body></html>"
    ).encode()


def teasers_in_articles() -> str:
    """A tag page: each teaser an <article> with a linked heading and a summary."""
    return (
        "<main><h1>Tag: islands</h1>"
        + "".join(
            f'<article class="teaser"><h3><a href="/news/2026/11/2{i}/{slug}">{title}</a></h3>'
            f"<p>{summary}</p></article>"
            for i, (slug, title, summary) in enumerate(STORIES)
        )
        + "</main>"
    )


def cards() -> str:
    """A front page of cards: each link wraps a headline and its summary."""
    return (
        "<main>"
        + "".join(
            f'<div class="card"><a href="https://wire.example.com/{slug}-{i}">'
            f"<div><h2>{title}</h2><p>{summary}</p></div></a></div>"
            for i, (slug, title, summary) in enumerate(STORIES)
        )
        + "</main>"
    )


def story(extra: str = "") -> str:
    """One article in an <article> element, with optional markup after it."""
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"<main><article><h1>{STORIES[0][1]}</h1>{paragraphs}</article>{extra}</main>"


def related() -> str:
    """A related-stories box of headline links."""
    items = "".join(f'<li><a href="/news/{slug}">{title}</a></li>' for slug, title, _ in STORIES)
    return f'<aside class="related"><h2>Related</h2><ul>{items}</ul></aside>'


@pytest.mark.parametrize(
    ("body", "url", "reason"),
    [
        (
            (PAGES / "listing.html").read_bytes(),
            "https://wire.example.com/world",
            "teaser boxes",
        ),
        (html(teasers_in_articles()), "https://wire.example.com/tag/islands", "teaser boxes"),
        (
            html(cards(), '<meta property="og:type" content="website">'),
            "https://wire.example.com/",
            "linking to other pages",
        ),
        (html(cards()), "https://wire.example.com/news/2026/11/27/roundup-123", "linking"),
    ],
)
def test_listings_are_rejected_with_the_reason(body: bytes, url: str, reason: str) -> None:
    """Section, tag and front pages are listings whatever their URL; the reason says why."""
    with pytest.raises(ExtractionError, match="page is a listing") as caught:
        extract_article(body, url, content_type=None)
    assert reason in caught.value.reason
    assert "\n" not in caught.value.reason


@pytest.mark.parametrize(
    ("body", "url"),
    [
        # a site's root holding one story, declared og:type=website
        (html(story(), '<meta property="og:type" content="website">'), "https://wire.example.com/"),
        # og:type=website at a URL that looks like a section
        (
            html(story(related()), '<meta property="og:type" content="website">'),
            "https://wire.example.com/news/world",
        ),
        # a flash with a related box that the extractor may keep, declared an article
        (
            html(
                f"<main><article><h1>BREAKING: {STORIES[0][1]}</h1><p>{PARAGRAPHS[0]}</p>"
                f"</article>{related()}</main>",
                '<meta property="og:type" content="article">',
            ),
            "https://wire.example.com/flash/1",
        ),
    ],
)
def test_articles_at_listing_like_places_are_kept(body: bytes, url: str) -> None:
    """Neither the URL's shape nor og:type=website makes an article a listing."""
    result = extract_article(body, url, content_type=None)
    assert PARAGRAPHS[0][:60] in result.text


def test_live_blog_with_links_inside_sentences_is_kept() -> None:
    """Entries of a live blog are boxes with links, but inside sentences: an article."""
    entries = "".join(
        f'<div class="entry"><h3>{title}</h3><p>{summary} Read the <a href="/news/{slug}">'
        f"full report on {slug.replace('-', ' ')}</a> for more.</p>"
        f"<p>{PARAGRAPHS[i % 3]}</p></div>"
        for i, (slug, title, summary) in enumerate(STORIES)
    )
    body = html(f"<main><article><h1>Storm: live updates</h1>{entries}</article></main>")
    result = extract_article(body, "https://wire.example.com/live/storm", content_type=None)
    assert "full report on fishing quotas" in result.text
