"""Identity end to end on the mock wire site: redirects, AMP copies, tracking links, an
updated story and a story republished under another URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.mockwire import MockWire, Route
from tests.test_identity import WIRE_STORY
from tests.test_polling import RSS, article, cli, counts, rows, rss, write_config

pytestmark = pytest.mark.e2e


def sitemap(*entries: tuple[str, str]) -> bytes:
    """A sitemap of (link, lastmod) entries."""
    urls = "".join(f"<url><loc>{loc}</loc><lastmod>{mod}</lastmod></url>" for loc, mod in entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def test_variants_redirects_updates_and_republished_copies(tmp_path: Path) -> None:
    story = article("Kuril consultations", WIRE_STORY, canonical="{base}/news/kuril-talks")
    republished = article(
        "Japan, Russia discuss islands",
        "TOKYO (Kyodo) -- " + WIRE_STORY.replace("next month", "in December"),
    )
    routes = {
        "/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain"),
        "/news/kuril-talks": Route(body=story),
        "/news/kuril-talks/amp/": Route(body=story),  # AMP copy, canonical to the story
        "/old/kuril-talks": Route.redirect("{base}/news/kuril-talks/"),
        "/news/kuril-talks/": Route.redirect("{base}/news/kuril-talks"),
        "/world/kyodo-kuril.html": Route(body=republished),
        "/feed.xml": Route(
            body=rss(
                ("{base}/news/kuril-talks/amp/", "AMP copy"),
                ("{base}/news/kuril-talks?utm_source=rss&outputType=amp", "Tracked"),
                ("{base}/old/kuril-talks", "Old address"),
            ),
            content_type=RSS,
        ),
        "/sitemap.xml": Route(
            body=sitemap(
                ("{base}/news/kuril-talks#comments", "2026-11-27T01:00:00Z"),
                ("{base}/world/kyodo-kuril.html", "2026-11-27T02:00:00Z"),
            ),
            content_type="application/xml",
        ),
    }
    db = tmp_path / "w.db"
    with MockWire(routes) as wire:
        config = write_config(
            tmp_path,
            db,
            {"wire": {"feeds": [wire.url("/feed.xml")], "sitemaps": [wire.url("/sitemap.xml")]}},
        )
        first = cli(config, "poll")
        base = wire.base_url
        stored = {url for (url,) in rows(db, "select url from articles")}
        assert stored == {base + "/news/kuril-talks", base + "/world/kyodo-kuril.html"}
        assert counts(first, "wire")["new"] == 2
        clusters = rows(db, "select count(distinct cluster_id), count(*) from story_fingerprints")
        assert clusters == [(1, 2)]  # the republished copy is linked to the story

        # the wire revises the story; the sitemap's lastmod says so
        later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        revised = article(
            "Kuril consultations",
            WIRE_STORY + " Updated with the date of the next round.",
            canonical="{base}/news/kuril-talks",
        )
        wire.add("/news/kuril-talks", Route(body=revised))
        wire.add(
            "/sitemap.xml",
            Route(
                body=sitemap(
                    ("{base}/news/kuril-talks", later),
                    ("{base}/world/kyodo-kuril.html", "2026-11-27T02:00:00Z"),
                ),
                content_type="application/xml",
            ),
        )
        wire.clear_requests()
        second = cli(config, "poll")
        fetched = [p for _, p, _ in wire.requests if p.startswith(("/news/", "/world/", "/old/"))]
    assert fetched == ["/news/kuril-talks"]
    got = counts(second, "wire")
    assert (got["new"], got["updated"]) == (0, 1)
    assert rows(db, "select count(*), max(version) from articles") == [(2, 2)]
    assert rows(db, "select count(*) from article_versions") == [(3,)]
    assert rows(db, "select count(distinct cluster_id) from story_fingerprints") == [(1,)]
