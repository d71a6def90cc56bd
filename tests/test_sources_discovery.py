"""Topic discovery feeds: search-feed links resolved to the publisher before any fetch."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from scrapers.discovery import publisher_hosts, resolve_entries, resolve_link
from scrapers.feeds import FeedEntry
from tests.mockwire import MockWire, Route
from tests.test_polling import RSS, article, cli, rows, write_config
from wirecore.sources import SourceConfig

BING = "https://www.bing.com/news/search?q=Kurils&format=rss"
GOOGLE = "https://news.google.com/rss/search?q=Kurils&hl=en-US&gl=US&ceid=US:en"


def google_id(url: str) -> str:
    """An old-format Google News article id: a protobuf whose field 4 is the URL."""
    raw = b"\x08\x13\x22" + bytes([len(url)]) + url.encode() + b"\xd2\x01\x00"
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("link", "feed", "expected"),
    [
        (
            "http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=1"
            "&url=https%3a%2f%2ftass.com%2fpolitics%2f1900001&c=9&mkt=en-us",
            BING,
            "https://tass.com/politics/1900001",
        ),
        (  # encoded twice
            "http://www.bing.com/news/apiclick.aspx?ref=FexRss&url=https%253a%252f%252fiz.ru%252f1",
            BING,
            "https://iz.ru/1",
        ),
        (
            "https://news.google.com/rss/articles/"
            + google_id("https://www.asahi.com/articles/ASS1.html")
            + "?oc=5",
            GOOGLE,
            "https://www.asahi.com/articles/ASS1.html",
        ),
        (
            "https://www.google.com/url?rct=j&sa=t&url=https://www.rbc.ru/politics/1&ct=ga",
            GOOGLE,
            "https://www.rbc.ru/politics/1",
        ),
        ("https://mainichi.jp/english/articles/1", BING, "https://mainichi.jp/english/articles/1"),
        # stubs that do not say where they lead: never guessed, never the stub itself
        ("https://news.google.com/rss/articles/AU_yqLOpaqueIdNoUrl0123?oc=5", GOOGLE, None),
        ("http://www.bing.com/news/apiclick.aspx?ref=FexRss&tid=1&c=9", BING, None),
        ("http://www.bing.com/news/apiclick.aspx?url=https%3a%2f%2fbing.com%2fnews", BING, None),
        ("ftp://files.example/a", BING, None),
    ],
)  # fmt: skip
def test_search_feed_links_resolve_to_the_publisher_or_not_at_all(
    link: str, feed: str, expected: str | None
) -> None:
    assert resolve_link(link, feed) == expected


def test_publisher_is_the_configured_source_on_that_host_else_the_host() -> None:
    configured = [
        SourceConfig("tass-en", homepage="https://tass.com/", feeds=("https://tass.com/rss",)),
        SourceConfig("news-search", discovery=True, feeds=(BING,), homepage=BING),
    ]
    hosts = publisher_hosts(configured)
    assert hosts == {"tass.com": "tass-en"}
    stub = "http://www.bing.com/news/apiclick.aspx?ref=FexRss&url="
    entries = [
        FeedEntry(stub + quote("https://tass.com/politics/1", safe=""), "A", None, None, None),
        FeedEntry(stub + quote("https://www.kurils.example/a", safe=""), "B", None, None, None),
        FeedEntry(stub + "&c=1", "C", None, None, None),
    ]
    resolved, stubs = resolve_entries(entries, BING, hosts)
    assert [(r.entry.url, r.publisher) for r in resolved] == [
        ("https://tass.com/politics/1", "tass-en"),
        ("https://www.kurils.example/a", "kurils.example"),
    ]
    assert [s.title for s in stubs] == ["C"]


def test_a_crawl_fetches_publishers_files_them_by_publisher_and_records_stubs(
    tmp_path: Path,
) -> None:
    # written without an offset: read in the publisher's time zone, not the search feed's
    page = article(
        "Kuril talks resume",
        "Officials from Japan and Russia met in Tokyo on Friday.",
        published="2026-11-27T10:30:00",
    )
    with MockWire({"/story/one.html": Route(body=page)}) as wire:
        engine = f"http://localhost:{wire.port}"
        publisher = wire.url("/story/one.html")
        stub = f"/news/apiclick.aspx?ref=FexRss&url={quote(publisher, safe='')}&c=1"
        dead = "/news/apiclick.aspx?ref=FexRss&c=2"
        feed = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Kurils - Search</title>'
            f"<item><title>Kuril talks resume</title><link>{engine}{stub.replace('&', '&amp;')}"
            "</link><pubDate>Fri, 27 Nov 2026 10:30:00 +0900</pubDate></item>"
            f"<item><title>Opaque</title><link>{engine}{dead.replace('&', '&amp;')}</link>"
            "<pubDate>Fri, 27 Nov 2026 10:00:00 +0900</pubDate></item></channel></rss>"
        ).encode()
        wire.routes["/search.rss"] = Route(body=feed, content_type=RSS)
        wire.routes["/news/apiclick.aspx"] = Route(body=b"<html>redirect stub</html>")
        db = tmp_path / "w.db"
        config = write_config(
            tmp_path,
            db,
            {
                "news-search": {"feeds": [engine + "/search.rss"], "discovery": True},
                "local-wire": {
                    "feeds": [wire.url("/feed.xml")],
                    "homepage": wire.url("/"),
                    "language": "en",
                    "timezone": "Asia/Sakhalin",
                    "enabled": False,
                },
            },
        )
        cli(config, "crawl")
        assert wire.requested(stub) == 0 and wire.requested(dead) == 0
        assert wire.requested("/story/one.html") == 1
    sql = (
        "SELECT a.url, s.name, a.published_at FROM articles a JOIN sources s ON s.id = a.source_id"
    )
    ((url, name, published),) = rows(db, sql)
    assert (url, name) == (publisher, "local-wire")
    assert str(published).startswith("2026-11-26 23:30")  # 10:30 at UTC+11
    failures = rows(db, "SELECT source, url, stage, reason FROM fetch_failures")
    assert failures == [
        (
            "news-search",
            engine + dead,
            "discover",
            "search-feed link could not be resolved to a publisher URL",
        )
    ]


def test_canary_says_when_no_search_item_resolves(tmp_path: Path) -> None:
    only_stubs = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>S</title>'
        b"<item><title>A</title><link>{base}/news/apiclick.aspx?c=1</link></item>"
        b"</channel></rss>"
    )
    with MockWire({"/s.rss": Route(body=only_stubs, content_type=RSS)}) as wire:
        config = write_config(
            tmp_path,
            tmp_path / "w.db",
            {"news-search": {"feeds": [wire.url("/s.rss")], "discovery": True}},
        )
        proc = cli(config, "sources", "check", "--format", "json", check=False)
        assert wire.requested("/news/apiclick.aspx?c=1") == 0
    assert proc.returncode == 1
    (result,) = json.loads(proc.stdout)
    assert result["discovery"] == "feed lists 1 items, none resolvable to a publisher URL"
    assert result["extraction"] == "not run"
