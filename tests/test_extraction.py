"""extract_article on hand-written pages: the article, its metadata, and pages without one."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.extraction import Extracted, content_hash, extract_article
from wirecore.errors import ExtractionError

PAGES = Path(__file__).parent / "fixtures" / "pages"
ARTICLE_URL = "https://wire.example.com/world/2026/11/27/harbour-breakwater-approved?utm_source=x"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    """A hand-written page's bytes."""
    return (PAGES / name).read_bytes()


@pytest.fixture(scope="module")
def article() -> Extracted:
    """The English fixture article, extracted."""
    return extract_article(
        fixture("article_en.html"), ARTICLE_URL, content_type="text/html; charset=utf-8", now=NOW
    )


def test_article_text_without_boilerplate(article: Extracted) -> None:
    """Body paragraphs are kept; navigation, related links and footer are not."""
    assert "approved the construction of a new breakwater" in article.text
    assert "Engineers will present the final design in February." in article.text
    assert "Storm warning issued" not in article.text
    assert "All rights reserved" not in article.text
    assert "Business" not in article.text.split("\n")


def test_article_metadata(article: Extracted) -> None:
    """Title without the site suffix, author, site name, description, language."""
    assert article.title == "Harbour authority approves new breakwater for the island port"
    assert article.author == "Ann Reporter"
    assert article.sitename == "Example Wire"
    assert article.description == "The breakwater will shelter the ferry berth from winter storms."
    assert article.language == "en"


def test_article_published_from_meta(article: Extracted) -> None:
    """The meta time (+03:00) wins, stored as aware UTC."""
    assert article.published == datetime(2026, 11, 27, 7, 30, tzinfo=UTC)
    assert article.published_origin == "meta"


def test_canonical_url_is_absolute(article: Extracted) -> None:
    """A relative rel=canonical is resolved against the page URL."""
    assert article.canonical_url == (
        "https://wire.example.com/world/2026/11/27/harbour-breakwater-approved"
    )


def test_content_hash_ignores_whitespace_layout(article: Extracted) -> None:
    """The hash is over title and text with whitespace runs collapsed."""
    assert article.content_hash == content_hash(article.title, article.text)
    assert content_hash("A  title", "one\ntwo") == content_hash("A title", "one two")
    assert content_hash("A title", "one two") != content_hash("A title", "one three")


def test_result_is_picklable(article: Extracted) -> None:
    """Results cross the process-pool boundary."""
    assert pickle.loads(pickle.dumps(article)) == article


def test_fast_mode_extracts_the_same_article() -> None:
    """fast=True still finds the body."""
    result = extract_article(fixture("article_en.html"), ARTICLE_URL, content_type=None, fast=True)
    assert "rock foundation" in result.text


def test_foreign_canonical_is_dropped() -> None:
    """A canonical pointing to another site is not trusted."""
    body = fixture("article_en.html").replace(
        b'href="/world/2026/11/27/harbour-breakwater-approved"',
        b'href="https://aggregator.example.org/story/1"',
    )
    assert extract_article(body, ARTICLE_URL, content_type=None).canonical_url is None


def test_feed_title_used_when_page_has_none() -> None:
    """A page without any title takes the feed's."""
    body = b"<html><body><article>" + b"<p>" + b"Plain words in a paragraph. " * 20 + b"</p>"
    body += b"</article></body></html>"
    result = extract_article(
        body, "https://wire.example.com/a/12345", content_type=None, feed_title="From the feed"
    )
    assert result.title == "From the feed"


@pytest.mark.parametrize(
    ("name", "language", "title_part", "tz", "published"),
    [
        ("ru_cp1251_meta.html", "ru", "Паромное", "Europe/Moscow", datetime(2026, 11, 27, 7, 30)),
        ("ru_cp1251_undeclared.html", "ru", "Паромное", "Europe/Moscow", None),
        ("ja_shift_jis.html", "ja", "フェリー", "Asia/Tokyo", datetime(2026, 11, 27, 1, 30)),
        ("ja_euc_jp.html", "ja", "フェリー", "Asia/Tokyo", None),
    ],
)
def test_non_utf8_articles(
    name: str, language: str, title_part: str, tz: str, published: datetime | None
) -> None:
    """Encoded pages come out as text, in the right language, with the local time read."""
    result = extract_article(
        fixture(name), f"https://news.example.ru/{name}/12345", content_type=None, source_tz=tz
    )
    assert title_part in result.title
    assert result.language == language
    assert "\ufffd" not in result.text
    if published is not None:
        assert result.published == published.replace(tzinfo=UTC)
        assert result.published_origin == "time"


def test_language_hint_only_for_short_unsure_text() -> None:
    """The configured language is used when detection cannot be sure."""
    words = b"Tokyo Osaka Nagoya Sapporo Fukuoka Kobe Kyoto Sendai. " * 5
    body = b"<html><body><article><p>" + words + b"</p></article></body></html>"
    result = extract_article(
        body, "https://wire.example.com/a/1", content_type=None, language_hint="ja", min_chars=50
    )
    assert result.language == "ja"


def test_listing_page_raises() -> None:
    """A section front page of teasers is not an article."""
    with pytest.raises(ExtractionError, match="listing"):
        extract_article(
            fixture("listing.html"), "https://wire.example.com/world", content_type=None
        )


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", "text/html", "empty body"),
        (b"  \n ", None, "empty body"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", None, "not HTML"),
        (b"%PDF-1.7\n", "text/html", "not HTML"),
        (b"<html><body>ok</body></html>", "application/pdf", "not HTML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "not HTML"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00", None, "not HTML"),
        (b"<html>\x00\x01\x02\x00</html>", None, "not HTML"),
        (b"<html><body><p>Ok.</p></body></html>", None, "no article text|too short"),
    ],
)
def test_pages_without_an_article_raise(body: bytes, content_type: str | None, reason: str) -> None:
    """Binary, empty and contentless pages raise ExtractionError with a one-line reason."""
    with pytest.raises(ExtractionError, match=reason) as caught:
        extract_article(body, "https://wire.example.com/a/1", content_type=content_type)
    assert "\n" not in caught.value.reason


def test_min_chars_is_configurable() -> None:
    """The minimum text length is a keyword argument."""
    body = fixture("article_en.html")
    with pytest.raises(ExtractionError, match="too short"):
        extract_article(body, ARTICLE_URL, content_type=None, min_chars=5000)


def test_nul_characters_never_reach_the_text() -> None:
    """PostgreSQL refuses NUL in text columns; extraction drops it."""
    paragraph = "The delegation met in Tokyo to discuss fisheries quotas near the islands. " * 6
    body = (
        "<html><head><title>Quotas</title></head><body><article><h1>Quotas</h1>"
        f"<p>{paragraph}\x00</p></article></body></html>"
    )
    result = extract_article(
        body.encode(), "https://wire.example.com/news/2026/quotas", content_type="text/html"
    )
    assert "\x00" not in result.text and "\x00" not in result.title


FLASHES = [
    (
        "ru",
        "МОЛНИЯ: Лавров заявил о готовности обсуждать Южные Курилы с Японией",
        "МОСКВА, 27 ноя - РИА Новости. Лавров заявил о готовности обсуждать Южные Курилы.",
        "Europe/Moscow",
    ),
    ("ja", "【速報】北方領土で日ロ協議", "北方領土をめぐり日ロが協議。", "Asia/Tokyo"),
    (
        "en",
        "BREAKING: Japan and Russia resume talks on the Southern Kurils",
        "Japan and Russia resumed talks on the Southern Kurils on Friday, officials said.",
        None,
    ),
]


@pytest.mark.parametrize(("lang", "title", "sentence", "tz"), FLASHES)
def test_one_sentence_flash_is_stored_and_flagged(
    lang: str, title: str, sentence: str, tz: str | None
) -> None:
    """A wire flash of one sentence under a headline is an article at the default minimum,
    and the topic rules see it like any story."""
    import tomllib
    from importlib.resources import files

    from pipelines import worker
    from scrapers.items import ArticlePage

    with files("wirewatch").joinpath("default_topics.toml").open("rb") as fh:
        worker.init_worker(tomllib.load(fh)["topics"])
    body = (
        f'<html lang="{lang}"><head><title>{title}</title>'
        '<meta property="article:published_time" content="2026-11-27T10:30:00+03:00"></head>'
        f'<body><nav><a href="/">Home</a></nav><article><h1>{title}</h1><p>{sentence}</p>'
        "</article><footer>(c) Wire</footer></body></html>"
    ).encode()
    page = ArticlePage(
        "wire", "https://wire.example.com/flash/20261127-1", body, "text/html", NOW, source_tz=tz
    )
    record = worker.process_page(page)
    assert sentence in record.text and record.title == title
    assert record.published == datetime(2026, 11, 27, 7, 30, tzinfo=UTC)
    assert record.published_note and "article:published_time" in record.published_note
    assert "kuril" in {m.topic for m in record.matches}


def test_tables_are_kept() -> None:
    """Election results and casualty counts live in tables: their cells are in the text."""
    rows = "".join(
        f"<tr><td>{name}</td><td>{votes}</td><td>{share}</td></tr>"
        for name, votes, share in (
            ("Harbour Party", "12,431", "48.2%"),
            ("Island Union", "9,870", "38.3%"),
            ("Independents", "3,480", "13.5%"),
        )
    )
    paragraphs = "".join(
        f"<p>The island's council election was decided on Sunday, part {i}: turnout was high"
        " and counting finished before midnight, the electoral commission said.</p>"
        for i in range(3)
    )
    body = (
        "<html><head><title>Election results</title></head><body><article><h1>Results</h1>"
        f"{paragraphs}<table><tr><th>Party</th><th>Votes</th><th>Share</th></tr>{rows}</table>"
        "</article></body></html>"
    ).encode()
    result = extract_article(body, "https://wire.example.com/news/results-1", content_type=None)
    assert "Island Union" in result.text and "12,431" in result.text
    assert "electoral commission" in result.text


def test_page_with_only_unusable_dates_has_no_time() -> None:
    """Every date declared is impossible or far ahead: no publication time (never the fetch
    time), and the note says why each was set aside."""
    paragraph = "The delegation met in Tokyo to discuss fisheries quotas near the islands. " * 4
    body = (
        '<html><head><title>Quotas</title><meta property="article:published_time"'
        ' content="2026-02-30T10:00:00+03:00"><meta name="date" content="2031-01-01T10:00Z">'
        f"</head><body><article><h1>Quotas</h1><p>{paragraph}</p></article></body></html>"
    ).encode()
    result = extract_article(
        body, "https://wire.example.com/news/quotas-2", content_type=None, now=NOW
    )
    assert result.published is None and result.published_origin is None
    assert result.published_note is not None
    assert "impossible date" in result.published_note and "in the future" in result.published_note
