"""An article whose page and feed give no usable publication time is stored without one and
counted in the crawl summary, never dated at the crawl time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.mockwire import MockWire, Route
from tests.test_service_support import query, write_config

pytestmark = pytest.mark.e2e

TEXT = " ".join(["Officials discussed the Kuril Islands dispute with Japan and Russia."] * 20)


def test_an_undated_article_is_stored_without_a_time_and_counted(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'u.db'}"
    feed = (
        '<rss version="2.0"><channel><title>w</title>'
        "<item><title>No date here</title><link>{base}/a.html</link></item>"
        "<item><title>Bad date</title><link>{base}/b.html</link>"
        "<pubDate>Mon, 30 Feb 2026 99:00:00 GMT</pubDate></item></channel></rss>"
    )
    page = "<html><head><title>{t}</title>{m}</head><body><article><h1>{t}</h1><p>{x}</p>"
    routes = {
        "/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain"),
        "/feed.xml": Route(body=feed.encode(), content_type="application/rss+xml"),
        "/a.html": Route(body=page.format(t="No date here", m="", x=TEXT).encode()),
        "/b.html": Route(
            body=page.format(
                t="Bad date",
                m='<meta property="article:published_time" content="2026-02-30T10:00:00Z">',
                x=TEXT,
            ).encode()
        ),
    }
    with MockWire(routes) as wire:
        config = write_config(
            tmp_path / "w.toml", db, [{"name": "w", "feeds": [wire.url("/feed.xml")]}]
        )
        done = subprocess.run(
            [sys.executable, "-m", "wirewatch", "--config", str(config), "crawl"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 new article(s) stored without a publication time" in done.stdout
    rows = query(db, "select url, published_at from articles order by url")
    assert [r[1] for r in rows] == [None, None], rows
