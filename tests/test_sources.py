"""The built-in source registry: every source parses a hand-written page in its site's structure."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.extraction import extract_article
from scrapers.feeds import parse_feed, parse_sitemap
from scrapers.listings import parse_listing
from scrapers.urls import canonicalize_url
from wirewatch.config import SourceConfig, build_config

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
EXPECTED = tomllib.loads((FIXTURES / "expected.toml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def builtin() -> dict[str, SourceConfig]:
    config = build_config({}, where="<defaults>", path=None, env={})
    return {s.name: s for s in config.sources}


def test_registry_covers_the_wire_services_across_languages() -> None:
    sources = builtin()
    assert len(sources) >= 12
    assert {s.language for s in sources.values()} == {"en", "ru", "ja"}
    wanted = {"tass-en", "tass-ru", "ria", "interfax-ru", "interfax-en", "kyodo-en", "nhk-ja"}
    wanted |= {"nhk-world-en", "japantimes", "mainichi-ja", "mainichi-en", "asahi-ja", "asahi-en"}
    wanted |= {"nikkei-asia", "moscowtimes", "meduza-ru", "meduza-en"}
    assert wanted <= set(sources)
    for src in sources.values():
        assert src.notes, f"{src.name}: no provenance note"
        assert src.timezone in {"Europe/Moscow", "Asia/Tokyo"}
        lo, hi = src.interval_bounds
        assert lo <= src.interval <= hi
        if src.listings:
            assert src.link_pattern


def test_every_builtin_source_has_a_fixture() -> None:
    assert set(EXPECTED) == set(builtin())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_source_discovers_and_extracts_its_published_structure(name: str) -> None:
    src = builtin()[name]
    want = EXPECTED[name]
    body = (FIXTURES / name / want["file"]).read_bytes()
    base = (src.feeds or src.sitemaps or src.listings)[0]
    if want["kind"] == "feed":
        entries = parse_feed(body, base)
    elif want["kind"] == "sitemap":
        entries = parse_sitemap(body, base).entries
    else:
        assert src.link_pattern is not None
        entries = parse_listing(body, base, src.link_pattern)
        assert all(re.search(src.link_pattern, e.url) for e in entries)
    assert entries, "nothing discovered"
    entry = entries[0]
    assert canonicalize_url(entry.url) == canonicalize_url(want["url"])

    page = (FIXTURES / name / "article.html").read_bytes()
    ex = extract_article(
        page,
        want["url"],
        content_type=None,
        feed_published=entry.published,
        feed_title=entry.title,
        language_hint=src.language,
        source_tz=src.timezone,
        now=NOW,
    )
    assert " ".join(ex.title.split()) == " ".join(want["title"].split())
    assert ex.published is not None
    published = ex.published.astimezone(UTC).replace(second=0, microsecond=0)
    assert published == datetime.fromisoformat(want["published"].replace("Z", "+00:00"))
    assert ex.published_origin == want["origin"]
    assert ex.language == want["language"] == src.language


def test_interfax_archive_page_lists_articles_by_the_link_rule() -> None:
    src = builtin()["interfax-ru"]
    assert src.archive and src.link_pattern
    day = datetime(2026, 11, 27).date()
    url = src.archive.format(date=day)
    assert url == "https://www.interfax.ru/news/2026/11/27"
    body = (FIXTURES / "interfax-ru" / "archive.html").read_bytes()
    links = [e.url for e in parse_listing(body, url, src.link_pattern)]
    assert links == [
        "https://www.interfax.ru/world/1000001",
        "https://www.interfax.ru/russia/1000000",
    ]


def test_ria_archive_is_a_daily_sitemap() -> None:
    src = builtin()["ria"]
    assert src.archive is not None
    assert src.archive.format(date=datetime(2026, 11, 27).date()) == (
        "https://ria.ru/sitemap_article.xml?date_start=20261127&date_end=20261127"
    )
