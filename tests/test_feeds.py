"""Feed and sitemap parsing: hand-written fixtures, and the real corpus when present."""

from __future__ import annotations

import gzip
import json
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import scrapers.feeds
from scrapers.feeds import FeedEntry, parse_feed, parse_sitemap
from scrapers.urls import canonicalize_url
from wirecore.dates import parse_datetime_loose
from wirecore.errors import FeedError

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
MOJIBAKE = re.compile(r"[ÃÂÐÑ][\u0080-\u00bf]|\ufffd")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


# --- feeds -------------------------------------------------------------------------------


def test_rss20_offsets_links_and_skips() -> None:
    entries = parse_feed(fixture("rss20_moscow.xml"), "https://wire.example.ru/rss/all.xml")
    assert [e.url for e in entries] == [
        "https://wire.example.ru/news/2026/11/27/talks.html?utm_source=rss",
        "https://wire.example.ru/news/2026/11/27/relative.html",
        "https://wire.example.ru/news/2026/11/26/guid.html",
    ]
    first, relative, guid = entries
    assert first.title == "Переговоры о мирном договоре & Курилах продолжатся"
    assert first.published == utc(2026, 11, 27, 7, 30)
    assert first.published is not None and first.published.utcoffset() == timedelta(0)
    assert first.updated is None
    assert first.language == "ru"
    assert relative.title == "Relative link, spread over lines"
    assert guid.published == utc(2026, 11, 26, 20, 59)


def test_atom_offsets_and_relative_links() -> None:
    entries = parse_feed(fixture("atom_tokyo.xml"), "https://wire.example.jp/feeds/atom.xml")
    assert entries == [
        FeedEntry(
            url="https://wire.example.jp/articles/2026/11/27/hoppo.html",
            title="北方領土問題で日露協議",
            published=utc(2026, 11, 27, 0, 0),
            updated=utc(2026, 11, 27, 1, 30),
            language="ja",
        ),
        FeedEntry(
            url="https://wire.example.jp/feeds/articles/2026/11/26/second.html",
            title="Path-relative link & html title",
            published=utc(2026, 11, 26, 14, 30),
            updated=utc(2026, 11, 26, 15, 15),
            language="ja",
        ),
    ]


def test_rdf_dc_date_is_the_published_date() -> None:
    entries = parse_feed(fixture("rdf_dcdate.rdf"), "https://wire.example.jp/rss/headlines.rdf")
    assert [(e.url, e.title, e.published) for e in entries] == [
        (
            "https://wire.example.jp/articles/a1.html",
            "平和条約交渉、再開へ",
            utc(2026, 11, 26, 23, 5),
        ),
        ("https://wire.example.jp/articles/a2.html", "色丹島で地震", utc(2026, 11, 26)),
    ]
    assert all(e.language == "ja" for e in entries)


def test_windows_1251_declared() -> None:
    entries = parse_feed(fixture("rss_cp1251.xml"), "https://wire.example.ru/rss")
    assert [e.title for e in entries] == [
        "Южные Курилы: переговоры о мирном договоре с Японией",
        "Ещё одна новость — «ёлки» и кавычки",
    ]
    assert entries[1].published == utc(2026, 11, 27, 8, 0)  # MSK


def test_windows_1251_from_http_charset_only() -> None:
    body = fixture("rss_cp1251.xml").split(b"\n", 1)[1]  # no XML declaration
    entries = parse_feed(body, "https://wire.example.ru/rss", "text/xml; charset=windows-1251")
    assert entries[0].title == "Южные Курилы: переговоры о мирном договоре с Японией"


@pytest.mark.parametrize("content_type", [None, "text/xml", "application/rss+xml; charset=utf-8"])
def test_latin1_without_declaration(content_type: str | None) -> None:
    entries = parse_feed(fixture("rss_latin1_nodecl.xml"), "http://x.example/", content_type)
    assert [e.title for e in entries] == [
        "Eleições: votação começa às 8h em São Paulo",
        "Ação de graças & ñandú",
    ]
    assert entries[0].published == utc(2026, 11, 27, 22, 42, 40)  # "Sex, ... -0300"
    assert entries[0].language is None  # <language></language>


def test_dates_feedparser_knows_are_kept_and_garbage_is_none() -> None:
    body = (
        b'<rss version="2.0"><channel>'
        b"<item><link>http://x.example/a</link><pubDate>Fri Nov 27 10:30:00 2026</pubDate></item>"
        b"<item><link>http://x.example/b</link><pubDate>next tuesday</pubDate></item>"
        b"</channel></rss>"
    )
    entries = parse_feed(body, "http://x.example/")
    assert [e.published for e in entries] == [utc(2026, 11, 27, 10, 30), None]
    assert [e.title for e in entries] == [None, None]


def test_gzipped_feed_is_accepted() -> None:
    entries = parse_feed(gzip.compress(fixture("rdf_dcdate.rdf")), "https://wire.example.jp/")
    assert len(entries) == 2


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(fixture("html_page.html"), id="html"),
        pytest.param(b"", id="empty"),
        pytest.param(b"  \n\t", id="blank"),
        pytest.param(bytes(range(256)) * 8, id="binary"),
        pytest.param(b'{"items": []}', id="json"),
        pytest.param(fixture("news_sitemap.xml"), id="sitemap"),
    ],
)
def test_not_a_feed_raises(body: bytes) -> None:
    with pytest.raises(FeedError, match=r"^not a feed") as info:
        parse_feed(body, "https://wire.example.com/rss", "text/html; charset=utf-8")
    assert "\n" not in str(info.value)


def test_empty_but_valid_feed_is_not_an_error() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    assert parse_feed(body, "https://wire.example.com/rss") == []


def test_feed_external_entity_is_not_resolved() -> None:
    (entry,) = parse_feed(fixture("xxe_feed.xml"), "https://wire.example.com/rss")
    assert entry.title is not None
    assert "root:" not in entry.title


# --- sitemaps ----------------------------------------------------------------------------


NEWS_SITEMAP = [
    FeedEntry(
        url="https://wire.example.com/world/2026/11/27/kuril-talks/",
        title="Kuril talks resume & stall",
        published=utc(2026, 11, 27, 7, 30),
        updated=utc(2026, 11, 27, 8, 0),
        language="en",
    ),
    FeedEntry(
        url="https://wire.example.com/world/2026/11/26/relative-loc.html",
        title="Сахалин и Курилы: итоги недели",
        published=utc(2026, 11, 26),
        updated=utc(2026, 11, 26),
        language="ru",
    ),
    FeedEntry("https://wire.example.com/about", None, None, None, None),
]


def test_google_news_sitemap() -> None:
    result = parse_sitemap(fixture("news_sitemap.xml"), "https://wire.example.com/news.xml")
    assert result.entries == NEWS_SITEMAP
    assert result.sitemaps == []


def test_gzipped_sitemap_without_content_encoding() -> None:
    body = gzip.compress(fixture("news_sitemap.xml"))
    assert parse_sitemap(body, "https://wire.example.com/news.xml.gz").entries == NEWS_SITEMAP


def test_sitemap_index() -> None:
    result = parse_sitemap(fixture("sitemap_index.xml"), "https://wire.example.com/sitemap.xml")
    assert result.entries == []
    assert result.sitemaps == [
        "https://wire.example.com/sitemaps/news-2026-11-27.xml.gz",
        "https://wire.example.com/sitemaps/news-2026-11-26.xml",
    ]


def test_sitemap_without_namespaces_and_broken_xml() -> None:
    result = parse_sitemap(fixture("nons_sitemap.xml"), "https://wire.example.com/")
    assert [(e.url, e.title, e.updated) for e in result.entries] == [
        ("https://wire.example.com/a.html", "Undeclared prefix", utc(2026, 11, 1)),
        ("https://wire.example.com/b.html", None, None),
    ]


def test_sitemap_external_entity_is_not_resolved() -> None:
    (entry,) = parse_sitemap(fixture("xxe_sitemap.xml"), "https://wire.example.com/").entries
    assert entry.title is not None
    assert "root:" not in entry.title


def test_gzip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert scrapers.feeds.MAX_DECOMPRESSED_BYTES == 50 * 1024 * 1024
    monkeypatch.setattr(scrapers.feeds, "MAX_DECOMPRESSED_BYTES", 4096)
    body = gzip.compress(fixture("news_sitemap.xml") + b" " * 8192)
    with pytest.raises(FeedError, match="expands beyond 4096 bytes"):
        parse_sitemap(body, "https://wire.example.com/")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(fixture("html_page.html"), id="html"),
        pytest.param(fixture("rss20_moscow.xml"), id="rss"),
        pytest.param(b"", id="empty"),
        pytest.param(b"not xml at all", id="text"),
        pytest.param(b"\x1f\x8b\x08\x00garbage", id="broken-gzip"),
    ],
)
def test_not_a_sitemap_raises(body: bytes) -> None:
    with pytest.raises(FeedError):
        parse_sitemap(body, "https://wire.example.com/sitemap.xml")


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27", utc(2026, 11, 27)),
        ("2026-11-27T10:30+03:00", utc(2026, 11, 27, 7, 30)),
        ("2026-11-27T10:30:00Z", utc(2026, 11, 27, 10, 30)),
        ("2026-11-27T10:30:00.123Z", datetime(2026, 11, 27, 10, 30, 0, 123000, tzinfo=UTC)),
        ("2026-11-27T10:30:00", utc(2026, 11, 27, 10, 30)),
        ("2026-11-27 10:30:00 UTC", utc(2026, 11, 27, 10, 30)),
        ("2026-11", utc(2026, 11, 1)),
        ("Fri, 27 Nov 2026 10:30:00 +0300", utc(2026, 11, 27, 7, 30)),
        ("Fri, 27 Nov 2026 10:30:00 GMT", utc(2026, 11, 27, 10, 30)),
        ("Fri, 27 Nov 2026 10:30:00 Z", utc(2026, 11, 27, 10, 30)),
        ("Fri, 27 Nov 26 10:30:00 EST", utc(2026, 11, 27, 15, 30)),
        ("Fri, 27 Nov 2026 10:30 +0300 (MSK)", utc(2026, 11, 27, 7, 30)),
        ("  Fri, 27 Nov 2026\r\n 10:30:00 GMT\r\n ", utc(2026, 11, 27, 10, 30)),
        ("Sex, 27 Nov 2026 19:42:40 -0300", utc(2026, 11, 27, 22, 42, 40)),
        ("sex, 27 set 2026 19:42:40 -0300", utc(2026, 9, 27, 22, 42, 40)),
        ("ven, 27 nov 2026 00:38:15 +0100", utc(2026, 11, 26, 23, 38, 15)),
        ("Fri, Nov 27 2026 02:02:33 PM", utc(2026, 11, 27, 14, 2, 33)),
        ("Fri, Nov 27 2026 12:05:00 AM", utc(2026, 11, 27, 0, 5)),
        ("27 ноября 2026 10:30 +0300", utc(2026, 11, 27, 7, 30)),
        ("27 Nov 2026", utc(2026, 11, 27)),
    ],
)
def test_parse_datetime_loose(text: str, expected: datetime) -> None:
    parsed = parse_datetime_loose(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "yesterday",
        "31 Feb 2026 10:00",
        "Foo, 1 Bar 2026",
        "Sun, 22 Aug 2021 25:00:00 GMT",
        "0001-01-01T00:00:00+03:00",
    ],
)
def test_parse_datetime_loose_rejects(text: str) -> None:
    assert parse_datetime_loose(text) is None


def test_parse_datetime_loose_keeps_the_instant() -> None:
    local = datetime(2026, 11, 27, 10, 30, tzinfo=timezone(timedelta(hours=9)))
    assert parse_datetime_loose(local.isoformat()) == local


# --- the real corpus (WIREWATCH_CORPUS) --------------------------------------------------


def _corpus_params(kind: str) -> list[Any]:
    root = os.environ.get("WIREWATCH_CORPUS")
    folder = Path(root) / kind if root else None
    if folder is None or not folder.is_dir():
        skip = pytest.mark.skip(reason="WIREWATCH_CORPUS is not set or has no " + kind)
        return [pytest.param(None, marks=skip, id="no-corpus")]
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".json")
    return [pytest.param(p, id=str(p.relative_to(folder))) for p in files]


def _expected_items(feed: Path) -> list[tuple[str, str | None, str | None]] | None:
    """(link, title, iso date) per item from the expected parse beside a corpus feed, if any."""
    stem = feed.name.rsplit(".", 1)[0]
    for candidate in (
        feed.with_name(f"{stem}.expected.json"),
        feed.with_name(f"{stem}.serde.json"),
    ):
        if candidate.is_file():
            raw = candidate.read_bytes()
            try:
                data = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:  # one expected file is itself Latin-1
                data = json.loads(raw.decode("latin-1"))
            if "feed" in data:
                return [
                    (i["link"], i.get("title"), i.get("isoDate")) for i in data["feed"]["items"]
                ]
            return [
                (e["links"][0]["href"], (e.get("title") or {}).get("content"), e.get("published"))
                for e in data["entries"]
            ]
    return None


def _same_text(expected: str | None, actual: str | None) -> bool:
    if expected is None:
        return True
    want = " ".join(expected.split())
    # The expected UOL parse was decoded wrongly (U+FFFD per Latin-1 byte): match any char.
    pattern = "".join("." if ch == "\ufffd" else re.escape(ch) for ch in want)
    return re.fullmatch(pattern, actual or "") is not None


@pytest.mark.corpus
@pytest.mark.parametrize("path", _corpus_params("feeds"))
def test_corpus_feed(path: Path) -> None:
    entries = parse_feed(path.read_bytes(), "https://corpus.invalid/feed")
    assert entries
    assert all(e.url.startswith(("http://", "https://")) for e in entries)
    assert not [e.title for e in entries if e.title and MOJIBAKE.search(e.title)]
    if path.name.startswith("uolNoticias"):
        assert any(e.title and "simulações" in e.title for e in entries)
    expected = _expected_items(path)
    if expected is None:
        return
    seen: set[str] = set()
    wanted = []
    for link, title, date in expected:
        if (key := canonicalize_url(link)) not in seen:
            seen.add(key)
            wanted.append((link, title, date))
    assert [e.url for e in entries] == [link for link, _, _ in wanted]
    for entry, (_, title, date) in zip(entries, wanted, strict=True):
        assert _same_text(title, entry.title), (title, entry.title)
        if date:
            assert entry.published == parse_datetime_loose(date)


@pytest.mark.corpus
@pytest.mark.parametrize("path", _corpus_params("sitemaps"))
def test_corpus_sitemap(path: Path) -> None:
    result = parse_sitemap(path.read_bytes(), "https://corpus.invalid/sitemap.xml")
    assert result.entries or result.sitemaps
    assert all(e.url.startswith(("http://", "https://")) for e in result.entries)
    assert all(e.url == e.url.strip() for e in result.entries)
    news = [e for e in result.entries if e.title is not None]
    assert all(e.published is not None and e.language for e in news)
