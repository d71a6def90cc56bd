"""The built-in source registry: every source parses a hand-written page in its site's structure."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.extraction import extract_article
from scrapers.discovery import publisher_hosts, resolve_entries
from scrapers.feeds import FeedEntry, parse_feed, parse_sitemap
from scrapers.listings import parse_listing
from scrapers.urls import canonicalize_url
from wirecore.sources import SourceConfig
from wirewatch.config import build_config

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
EXPECTED = tomllib.loads((FIXTURES / "expected.toml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def builtin() -> dict[str, SourceConfig]:
    config = build_config({}, where="<defaults>", path=None, env={})
    return {s.name: s for s in config.sources}


ZONES = {"Europe/Moscow", "Asia/Tokyo", "Asia/Sakhalin"}


def test_registry_covers_the_beat_across_languages() -> None:
    sources = builtin()
    outlets = [s for s in sources.values() if not s.discovery]
    assert len(outlets) >= 40
    assert {s.language for s in outlets} == {"en", "ru", "ja"}
    wanted = {"tass-en", "tass-ru", "ria", "interfax-ru", "interfax-en", "kyodo-en", "nhk-ja"}
    wanted |= {"nhk-world-en", "japantimes", "mainichi-ja", "mainichi-en", "asahi-ja", "asahi-en"}
    wanted |= {"nikkei-asia", "moscowtimes", "meduza-ru", "meduza-en"}
    wanted |= {"kremlin-en", "kremlin-ru", "mid-ru", "mofa-en", "mofa-ja", "cao-hoppo"}
    wanted |= {"sakhalin-info", "sakhalinmedia", "hokkaido-np", "interfax-fe"}
    wanted |= {"jiji", "yomiuri-en", "yomiuri-ja", "sankei-ja", "kommersant", "izvestia", "rbc"}
    assert wanted <= set(sources)
    for src in sources.values():
        assert src.notes, f"{src.name}: no provenance note"
        assert src.homepage, f"{src.name}: no homepage"
        lo, hi = src.interval_bounds
        assert lo <= src.interval <= hi
        if src.listings:
            assert src.link_pattern
        if src.discovery:
            assert not src.enabled, f"{src.name}: discovery feeds are opt-in"
            assert src.feeds and not src.listings and not src.sitemaps
        else:
            assert src.timezone in ZONES, f"{src.name}: {src.timezone}"


def test_enabled_sources_are_the_well_evidenced_ones_documented() -> None:
    """docs/sources.md gives every source a row with its confidence; off ones say so."""
    doc = (Path(__file__).parent.parent / "docs" / "sources.md").read_text(encoding="utf-8")
    for src in builtin().values():
        rows = [line for line in doc.splitlines() if line.startswith(f"| `{src.name}` |")]
        assert len(rows) == 1, f"{src.name}: {len(rows)} rows in docs/sources.md"
        row = rows[0]
        for url in (*src.feeds, *src.listings, *src.sitemaps):
            assert url.split("://", 1)[1].split("?")[0] in doc, f"{src.name}: {url} undocumented"
        on = "| on |" in row
        assert on == src.enabled, f"{src.name}: docs say {'on' if on else 'off'}"
        if src.enabled:
            assert "| low" not in row, f"{src.name}: enabled on low-confidence evidence"


def test_every_builtin_source_has_a_fixture() -> None:
    assert set(EXPECTED) == set(builtin())


def discovered(name: str, want: dict[str, object]) -> list[FeedEntry]:
    """The entries a crawl would follow from the source's fixture feed, listing or sitemap."""
    src = builtin()[name]
    body = (FIXTURES / name / str(want["file"])).read_bytes()
    if want["kind"] in {"feed", "discovery"}:
        entries = parse_feed(body, src.feeds[0])
    elif want["kind"] == "sitemap":
        entries = parse_sitemap(body, src.sitemaps[0]).entries
    else:
        assert src.link_pattern is not None
        entries = parse_listing(body, src.listings[0], src.link_pattern)
        assert all(re.search(src.link_pattern, e.url) for e in entries)
    if want["kind"] != "discovery":
        return entries
    hosts = publisher_hosts(builtin().values())
    resolved, stubs = resolve_entries(entries, src.feeds[0], hosts)
    assert (len(resolved), len(stubs)) == (want["resolved"], want["unresolved"])
    assert resolved[0].publisher == want["publisher"]
    assert all(host_free(r.entry.url, src.feeds[0]) for r in resolved)
    return [r.entry for r in resolved]


def host_free(url: str, feed_url: str) -> bool:
    """True when a resolved URL is off the search engine's host (never a redirect stub)."""
    engine = feed_url.split("/")[2].removeprefix("www.")
    return engine.split(".")[-2] not in url.split("/")[2]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_source_discovers_and_extracts_its_published_structure(name: str) -> None:
    src = builtin()[name]
    want = EXPECTED[name]
    entries = discovered(name, want)
    assert entries, "nothing discovered"
    entry = entries[0]
    assert canonicalize_url(entry.url) == canonicalize_url(want["url"])

    page = (FIXTURES / want.get("article", f"{name}/article.html")).read_bytes()
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
