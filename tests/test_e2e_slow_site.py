"""End to end: real `wirewatch crawl` runs against a slow mock wire site.

* A source's ``concurrency_per_source`` is a limit the site sees: never more requests in
  flight at once, and no fewer when there is work (``scrapers.downloader``).
* A source's ``delay`` is the least time between its requests (``wirewatch.crawl``), and so
  is robots.txt's Crawl-delay for our user agent (``scrapers.middlewares``).
* A crawl killed with SIGKILL loses at most the batch in flight: it is killed (the whole
  process group: Scrapy process, fork server, extraction workers) once its first batch is
  in the database; what was committed must be whole and readable — each article with its
  topic flags and its full-text entry — and the next crawl must complete the site,
  storing every article once.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.mockwire import MockWire, Route
from tests.test_e2e_crawl import run_cli

pytestmark = pytest.mark.e2e

PAGES = 30
PAGE_DELAY = 0.3
"""Seconds each article takes to arrive: 30 pages, 2 at a time, take >= 4.5 s."""

ISLANDS = ("Kunashir", "Iturup", "Shikotan", "Habomai")
VESSELS = ("patrol boat", "supply ship", "fishing trawler", "research vessel", "ferry")


def article(i: int) -> bytes:
    """A distinct wire story about the Kuril Islands, with site boilerplate around it."""
    island = ISLANDS[i % len(ISLANDS)]
    vessel = VESSELS[i % len(VESSELS)]
    title = f"Japan protests {vessel} visit number {i} to {island} in the Kuril Islands"
    paragraphs = [
        f"TOKYO, March {1 + i % 28} - Japan lodged a protest with Russia on Tuesday after a "
        f"Russian {vessel} called at {island}, one of the southern Kuril Islands that Tokyo "
        f"calls its Northern Territories. It was report {i} of the season, officials said.",
        f"The chief cabinet secretary told reporters that the {vessel} visit ran against "
        f"Japan's position on the islands and that the protest had been delivered through "
        f"diplomatic channels in Moscow and Tokyo, as in {i + 3} earlier cases this year.",
        f"Moscow says the islands became Russian territory after the Second World War. Port "
        f"officials on {island} said the {vessel} would stay for {2 + i % 5} days.",
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title} | Mock Wire</title>"
        '<meta property="og:type" content="article">'
        '<meta property="article:published_time" '
        f'content="2026-03-{1 + i % 28:02d}T09:{i:02d}:00+09:00">'
        "</head><body><header><nav><a href='/'>Home</a> <a href='/world/'>World</a></nav></header>"
        f"<main><article><h1>{title}</h1><p class='byline'>By Mock Wire staff</p>{body}"
        "</article></main><footer>Copyright Mock Wire. All rights reserved.</footer></body></html>"
    ).encode()


def feed() -> bytes:
    items = "".join(f"<item><link>{{base}}/story/{i}.html</link></item>" for i in range(PAGES))
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Mock Wire</title>'
        f"{items}</channel></rss>"
    ).encode()


def slow_site(delay: float = PAGE_DELAY) -> dict[str, Route]:
    """A feed of PAGES stories, each answered after ``delay`` seconds."""
    routes = {"/rss.xml": Route(body=feed(), content_type="application/rss+xml")}
    routes |= {f"/story/{i}.html": Route(body=article(i), delay=delay) for i in range(PAGES)}
    return routes


def write_config(
    path: Path, wire: MockWire, db_url: str, concurrency: int = 2, delay: float = 0.0
) -> Path:
    path.write_text(
        f"""builtin_sources = false
data_dir = "{path.parent / "data"}"
[database]
url = "{db_url}"
[crawl]
retries = 0
max_age_days = 100000
concurrency_per_source = {concurrency}
extract_workers = 1
[[sources]]
name = "slowwire"
feeds = ["{wire.base_url}/rss.xml"]
delay = {delay}
""",
        encoding="utf-8",
    )
    return path


def stored(db_url: str) -> tuple[int, int]:
    """(articles, articles with a kuril flag) committed in the database."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            articles = conn.execute(text("select count(*) from articles")).scalar_one()
            flagged = conn.execute(
                text("select count(distinct article_id) from topic_matches where topic = 'kuril'")
            ).scalar_one()
    finally:
        engine.dispose()
    return int(articles), int(flagged)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_concurrency_per_source_is_what_the_site_sees(tmp_path: Path, concurrency: int) -> None:
    with MockWire(slow_site()) as wire:
        db_url = f"sqlite:///{tmp_path / 'polite.db'}"
        run_cli(write_config(tmp_path / "polite.toml", wire, db_url, concurrency), "crawl")
        assert stored(db_url) == (PAGES, PAGES)
        assert wire.peak_in_flight == concurrency


def test_delay_is_the_least_spacing_of_a_sources_requests(tmp_path: Path) -> None:
    """Scrapy spreads a slot's delay d over d * (1 +- jitter); a source's ``delay`` is the
    floor. (With Scrapy's own spread, 0.5-1.5 d, 30 gaps all >= 0.95 d have odds ~10^-8.)"""
    delay = 0.1
    with MockWire(slow_site(delay=0.0)) as wire:
        db_url = f"sqlite:///{tmp_path / 'spaced.db'}"
        config = write_config(tmp_path / "spaced.toml", wire, db_url, delay=delay)
        run_cli(config, "crawl")
        assert stored(db_url) == (PAGES, PAGES)
        arrivals = sorted(wire.arrivals("/story/") + wire.arrivals("/rss.xml"))
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(gaps) == PAGES
    assert min(gaps) >= delay * 0.95  # the timer's and the server's own latency
    assert max(gaps) >= delay * 1.1  # still spread, not a fixed beat


def test_robots_crawl_delay_spaces_a_source_that_has_none(tmp_path: Path) -> None:
    """robots.txt's Crawl-delay for our user agent (the * group here, not another bot's)
    is the least spacing of the source's requests, though its own ``delay`` is 0."""
    crawl_delay = 0.15
    routes = slow_site(delay=0.0)
    routes["/robots.txt"] = Route(
        body=f"User-agent: OtherBot\nCrawl-delay: 5\n\n"
        f"User-agent: *\nCrawl-delay: {crawl_delay}\nDisallow: /private/\n".encode(),
        content_type="text/plain",
    )
    with MockWire(routes) as wire:
        db_url = f"sqlite:///{tmp_path / 'robots.db'}"
        out = run_cli(write_config(tmp_path / "robots.toml", wire, db_url), "-v", "crawl")
        assert stored(db_url) == (PAGES, PAGES)
        arrivals = sorted(wire.arrivals("/story/") + wire.arrivals("/rss.xml"))
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(gaps) == PAGES
    assert min(gaps) >= crawl_delay * 0.95, gaps
    assert max(gaps) < 5  # not the other bot's delay
    assert "asks for Crawl-delay 0.15s" in out.stderr


def test_killed_crawl_keeps_committed_batches_and_the_next_crawl_completes(
    tmp_path: Path, db_url: str
) -> None:
    with MockWire(slow_site()) as wire:
        config = write_config(tmp_path / "kill.toml", wire, db_url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
        crawl = subprocess.Popen(
            [sys.executable, "-m", "wirewatch", "--config", str(config), "crawl"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the workers die with it
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and crawl.poll() is None:
                try:
                    if stored(db_url)[0] > 0:
                        break
                except Exception:  # the schema is not there yet
                    pass
                time.sleep(0.1)
            assert crawl.poll() is None, "the crawl ended before it could be killed"
            os.killpg(crawl.pid, signal.SIGKILL)
        finally:
            if crawl.poll() is None:
                os.killpg(crawl.pid, signal.SIGKILL)
            crawl.wait(timeout=30)

        articles, flagged = stored(db_url)
        assert 0 < articles < PAGES, articles  # killed mid-way, after the first batch
        assert flagged == articles  # no article without its flags: batches are whole
        if db_url.startswith("sqlite"):
            engine = create_engine(db_url)
            with engine.connect() as conn:
                assert conn.execute(text("pragma integrity_check")).scalar_one() == "ok"
                assert conn.execute(text("pragma foreign_key_check")).all() == []
            engine.dispose()
        # the full-text index holds exactly the committed articles
        found = run_cli(
            config, "query", "--search", "protest", "--limit", "1000", "--format", "json"
        )
        assert len(json.loads(found.stdout)) == articles

        again = run_cli(config, "crawl")
        assert stored(db_url) == (PAGES, PAGES), again.stdout
        rows = run_cli(config, "query", "--topic", "kuril", "--limit", "1000", "--format", "json")
        urls = sorted(r["url"] for r in json.loads(rows.stdout))
        assert urls == sorted(f"{wire.base_url}/story/{i}.html" for i in range(PAGES))
