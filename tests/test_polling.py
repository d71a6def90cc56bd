"""Incremental polling against the local mock wire site: 304 and ETag, body hashes, known
articles, Retry-After, sources that fail (garbage, redirect loops, gone) and recover."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.mockwire import MockWire, Route

pytestmark = pytest.mark.e2e

RSS = "application/rss+xml; charset=utf-8"


def article(
    title: str,
    body: str,
    *,
    published: str = "2026-11-27T10:30:00+09:00",
    canonical: str | None = None,
) -> bytes:
    """A wire article page: title, publication time, enough paragraphs to be an article."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    paragraphs = "".join(
        f"<p>{body} Paragraph {i} adds detail to the report.</p>" for i in range(6)
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="{published}">{link}</head>'
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def rss(*items: tuple[str, str] | tuple[str, str, str]) -> bytes:
    """An RSS 2.0 feed of (link, title[, atom:updated]) items; links may use {base}."""
    parts = []
    for item in items:
        updated = f"<atom:updated>{item[2]}</atom:updated>" if len(item) > 2 else ""
        parts.append(
            f"<item><title>{item[1]}</title><link>{item[0]}</link>"
            f"<pubDate>Fri, 27 Nov 2026 10:30:00 +0900</pubDate>{updated}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Wire</title>'
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


def write_config(tmp: Path, db: Path, sources: dict[str, dict[str, Any]], **crawl: Any) -> Path:
    """A config with the given sources ({name: {feeds: [...], ...}}) and quick crawl settings."""
    settings = {"timeout": 5, "retries": 1, "max_age_days": 100000, "extract_in_process": True}
    settings |= crawl
    lines = ["builtin_sources = false", "[database]", f'url = "sqlite:///{db}"', "[crawl]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    for name, fields in sources.items():
        lines += ["[[sources]]", f'name = "{name}"', "delay = 0"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in fields.items()]
    path = tmp / "wirewatch.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(config: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `wirewatch --config CONFIG ARGS...` in a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    proc = subprocess.run(
        [sys.executable, "-m", "wirewatch", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"wirewatch {args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr[-3000:]}"
        )
    return proc


def counts(proc: subprocess.CompletedProcess[str], source: str) -> dict[str, int]:
    """The per-source summary line of a crawl or poll."""
    line = next(x for x in proc.stdout.splitlines() if x.startswith(source + " "))
    keys = ("fetched", "new", "updated", "unchanged", "flagged", "failed")
    return dict(zip(keys, map(int, line.split()[1:7]), strict=True))


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the test database."""
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def article_requests(wire: MockWire) -> list[str]:
    """Paths of article pages requested so far."""
    return [p for _, p, _ in wire.requests if p.startswith("/news/")]


@pytest.fixture
def wire() -> Any:
    routes = {
        "/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain"),
        "/feed.xml": Route(
            body=rss(("{base}/news/one.html", "One"), ("{base}/news/two.html", "Two")),
            content_type=RSS,
            headers={"ETag": '"v1"', "Last-Modified": "Fri, 27 Nov 2026 01:00:00 GMT"},
        ),
        "/news/one.html": Route(
            body=article("Kuril talks resume", "Officials from Japan and Russia met.")
        ),
        "/news/two.html": Route(
            body=article("Rice harvest ends", "Farmers in the delta finished early.")
        ),
    }
    with MockWire(routes) as server:
        yield server


def test_second_poll_of_unchanged_feed_is_one_conditional_request(
    wire: MockWire, tmp_path: Path
) -> None:
    db = tmp_path / "w.db"
    config = write_config(tmp_path, db, {"wire": {"feeds": [wire.url("/feed.xml")]}})
    first = cli(config, "poll")
    assert counts(first, "wire")["new"] == 2
    assert sorted(article_requests(wire)) == ["/news/one.html", "/news/two.html"]

    wire.clear_requests()
    wire.add("/feed.xml", Route(body=b"", status=304, headers={"ETag": '"v1"'}))
    second = cli(config, "poll")
    feed_requests = [h for _, p, h in wire.requests if p == "/feed.xml"]
    assert len(feed_requests) == 1
    assert feed_requests[0]["if-none-match"] == '"v1"'
    assert feed_requests[0]["if-modified-since"] == "Fri, 27 Nov 2026 01:00:00 GMT"
    assert article_requests(wire) == []
    assert counts(second, "wire")["new"] == 0
    ((outcome, status),) = rows(db, "select last_outcome, last_status from feed_states")
    assert (outcome, status) == ("not-modified", 304)


def test_same_body_without_validators_downloads_nothing(wire: MockWire, tmp_path: Path) -> None:
    body = wire.routes["/feed.xml"].body
    wire.add("/feed.xml", Route(body=body, content_type=RSS))  # no ETag, no Last-Modified
    db = tmp_path / "w.db"
    config = write_config(tmp_path, db, {"wire": {"feeds": [wire.url("/feed.xml")]}})
    cli(config, "poll")
    wire.clear_requests()
    cli(config, "poll")
    assert wire.requested("/feed.xml") == 1
    assert article_requests(wire) == []
    assert rows(db, "select last_outcome from feed_states") == [("same-body",)]


def test_only_new_and_changed_entries_are_downloaded(wire: MockWire, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    config = write_config(tmp_path, db, {"wire": {"feeds": [wire.url("/feed.xml")]}})
    cli(config, "poll")
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    wire.add(
        "/news/one.html",
        Route(
            body=article(
                "Kuril talks resume", "Officials from Japan and Russia met. A correction was added."
            )
        ),
    )
    wire.add(
        "/news/three.html",
        Route(body=article("Port throughput record", "Shippers rerouted cargo through the port.")),
    )
    wire.add(
        "/feed.xml",
        Route(
            body=rss(
                ("{base}/news/one.html?utm_source=rss", "One", later),
                ("{base}/news/two.html", "Two"),
                ("{base}/news/three.html", "Three"),
            ),
            content_type=RSS,
            headers={"ETag": '"v2"'},
        ),
    )
    wire.clear_requests()
    out = cli(config, "poll")
    assert sorted(article_requests(wire)) == ["/news/one.html", "/news/three.html"]
    got = counts(out, "wire")
    assert (got["new"], got["updated"], got["unchanged"]) == (1, 1, 1)
    assert rows(db, "select max(version) from articles") == [(2,)]


def test_full_crawl_rechecks_stored_articles(wire: MockWire, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    config = write_config(tmp_path, db, {"wire": {"feeds": [wire.url("/feed.xml")]}})
    cli(config, "poll")
    wire.clear_requests()
    out = cli(config, "crawl")
    assert sorted(article_requests(wire)) == ["/news/one.html", "/news/two.html"]
    assert counts(out, "wire")["unchanged"] == 2
    feed_headers = [h for _, p, h in wire.requests if p == "/feed.xml"]
    assert feed_headers and all("if-none-match" not in h for h in feed_headers)


def test_retry_after_is_honoured_and_the_source_recovers(wire: MockWire, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    config = write_config(
        tmp_path, db, {"wire": {"feeds": [wire.url("/feed.xml")], "interval": "10m"}}
    )
    cli(config, "poll")
    stored_before = rows(db, "select url, content_hash, version from articles order by url")
    good = wire.routes["/feed.xml"]
    wire.add("/feed.xml", Route(body=b"slow down", status=429, headers={"Retry-After": "3600"}))
    wire.clear_requests()
    started = datetime.now(UTC)
    cli(config, "poll", check=False)
    assert wire.requested("/feed.xml") == 1  # a long Retry-After is not waited out in the crawl
    listing = json.loads(cli(config, "sources", "--format", "json").stdout)
    (state,) = listing
    assert state["last_status"] == 429 and state["failures"] == 1
    assert "429" in state["error"]
    assert datetime.fromisoformat(state["next_poll"]) >= started + timedelta(seconds=3590)
    assert rows(db, "select url, content_hash, version from articles order by url") == stored_before

    wire.add("/feed.xml", good)
    cli(config, "poll")
    (state,) = json.loads(cli(config, "sources", "--format", "json").stdout)
    assert state["failures"] == 0 and state["error"] is None and state["last_status"] == 200


def test_a_failing_source_is_marked_with_its_reason_and_others_go_on(
    wire: MockWire, tmp_path: Path
) -> None:
    wire.add(
        "/garbage.xml", Route(body=b"\x00\x01 this is not a feed at all", content_type="text/html")
    )
    wire.add("/loop/a", Route.redirect("{base}/loop/b", 302))
    wire.add("/loop/b", Route.redirect("{base}/loop/a", 302))
    db = tmp_path / "w.db"
    config = write_config(
        tmp_path,
        db,
        {
            "garbage": {"feeds": [wire.url("/garbage.xml")]},
            "loop": {"feeds": [wire.url("/loop/a")]},
            "gone": {"feeds": ["http://127.0.0.1:9/feed.xml"]},
            "wire": {"feeds": [wire.url("/feed.xml")]},
        },
    )
    out = cli(config, "poll")
    assert counts(out, "wire")["new"] == 2
    states = {s["source"]: s for s in json.loads(cli(config, "sources", "--format", "json").stdout)}
    assert states["wire"]["failures"] == 0
    assert "not a feed" in states["garbage"]["error"]
    assert "redirect" in states["loop"]["error"].lower()
    assert "refused" in states["gone"]["error"]
    for name in ("garbage", "loop", "gone"):
        assert states[name]["failures"] == 1
    (first,) = [s for s in states.values() if s["source"] == "gone"]
    cli(config, "poll", "--source", "gone", check=False)
    states = {s["source"]: s for s in json.loads(cli(config, "sources", "--format", "json").stdout)}
    assert states["gone"]["failures"] == 2
    assert states["gone"]["next_poll"] > first["next_poll"]
