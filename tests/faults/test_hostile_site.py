"""One real `wirewatch crawl` against a hostile mock site: every source is a different
fault, and one is healthy. Each case checks that its fault left a trace (a
`fetch_failures` row with its stage and reason, a clamped schedule), that the crawl went
on with the rest (the healthy source stored everything), that nothing stored was lost,
that no run is left `running` and that the exit code tells the truth. The same crawl runs
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import postgres_schema_url
from tests.faults.helpers import (
    RSS,
    XML,
    article_page,
    rows,
    rss,
    run_cli,
    running_runs,
    sitemap_index,
    urlset,
    write_config,
)
from tests.mockwire import MockWire, Route

pytestmark = pytest.mark.e2e

MAX_RETRY_AFTER = 7200.0
MAX_ARTICLES = 8


@dataclass
class Case:
    """A source of the hostile site: its routes, config, and what the crawl must leave."""

    routes: dict[str, Route]
    source: dict[str, Any]
    stored: int = 0
    failure: tuple[str, str] | None = None  # (stage, reason substring)
    failures_at_least: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def _feed(name: str, extra: str = "", count: int = 2) -> dict[str, Route]:
    """A feed of ``count`` good articles (plus ``extra`` raw item XML) and its pages."""
    items = [(f"{{base}}/{name}/a{i}", f"{name} story {i}") for i in range(count)]
    routes = {f"/{name}/feed.xml": Route(rss(items, extra), content_type=RSS)}
    routes |= {f"/{name}/a{i}": Route(article_page(f"{name} story {i}")) for i in range(count)}
    return routes


def _bad_item(ref: str) -> str:
    return f"<item><title>broken {ref} title</title><link>{{base}}/x/bad</link></item>"


def _deep(name: str, levels: int) -> dict[str, Route]:
    routes = {
        f"/{name}/s{i}.xml": Route(sitemap_index(f"{{base}}/{name}/s{i + 1}.xml"), content_type=XML)
        for i in range(levels)
    }
    routes[f"/{name}/s{levels}.xml"] = Route(urlset("{base}/good/a0"), content_type=XML)
    return routes


def _retry(name: str, value: str) -> dict[str, Route]:
    return {f"/{name}/feed.xml": Route(b"busy", status=503, headers={"Retry-After": value})}


CASES: dict[str, Case] = {
    "good": Case(_feed("good", count=3), {}, stored=3, failures_at_least=0),
    "charref-surrogate": Case(_feed("cs", _bad_item("&#xD800;")), {}, 2, ("feed", "item 2")),
    "charref-beyond-unicode": Case(_feed("cb", _bad_item("&#x110000;")), {}, 2, ("feed", "item 2")),
    "charref-overflow": Case(_feed("co", _bad_item("&#99999999999;")), {}, 2, ("feed", "item 2")),
    "sitemap-charref": Case(
        {
            "/sc/s.xml": Route(urlset("{base}/sc/a1", raw="<url><loc>{base}/&#xD800;</loc></url>")),
            "/sc/a1": Route(article_page("sc story 1")),
        },
        {},
        1,  # its own good URL (not another source's: which source fetched it first was a race)
        ("sitemap", "url 2 skipped"),
    ),
    "retry-after-huge": Case(_retry("rh", "99999999999999"), {}, 0, ("feed", "HTTP 503")),
    "retry-after-far-date": Case(
        _retry("rd", "Fri, 31 Dec 9999 23:59:59 GMT"), {}, 0, ("feed", "HTTP 503")
    ),
    "retry-after-garbage": Case(_retry("rg", "1e999, soon"), {}, 0, ("feed", "HTTP 503")),
    "sitemap-too-deep": Case(_deep("deep", 5), {}, 0, ("sitemap", "nested deeper than 3")),
    "sitemap-self-loop": Case(
        {"/loop/s.xml": Route(sitemap_index("{base}/loop/s.xml"), content_type=XML)},
        {},
        0,
        ("sitemap", "nested deeper than 3"),
    ),
    "gzip-bomb": Case(
        {"/bomb/feed.xml": Route(gzip.compress(b"\0" * (60 * 1024 * 1024)), content_type=RSS)},
        {},
        0,
        ("feed", "gzip body expands beyond"),
    ),
    "garbage-feed": Case(
        {"/junk/feed.xml": Route(bytes(range(256)) * 64, content_type=RSS)},
        {},
        0,
        ("feed", "not a feed"),
    ),
    "article-http-500": Case(
        {"/e500/feed.xml": Route(rss([("{base}/e500/a", "x")]), content_type=RSS)}
        | {"/e500/a": Route(b"oops", status=500)},
        {},
        0,
        ("download", "HTTP 500"),
    ),
    "article-binary": Case(
        {"/bin/feed.xml": Route(rss([("{base}/bin/a", "x")]), content_type=RSS)}
        | {"/bin/a": Route(bytes(range(256)) * 40, content_type="text/html")},
        {},
        0,
        ("extract", ""),
    ),
    "redirect-loop": Case(
        {"/loopy/feed.xml": Route.redirect("{base}/loopy/feed.xml", 302)},
        {},
        0,
        ("feed", ""),
    ),
    "connection-refused": Case({}, {"feeds": ["http://127.0.0.1:9/feed.xml"]}, 0, ("feed", "")),
    "slow-article": Case(
        {"/slow/feed.xml": Route(rss([("{base}/slow/a", "x")]), content_type=RSS)}
        | {"/slow/a": Route(article_page("slow"), delay=6.0)},
        {},
        0,
        ("download", "timed out"),
    ),
    "too-many-items": Case(
        {
            "/many/feed.xml": Route(
                rss([(f"{{base}}/many/a{i}", f"item {i}") for i in range(200)]), content_type=RSS
            )
        },
        {},
        0,
        ("download", "HTTP 404"),
        failures_at_least=MAX_ARTICLES,
        extra={"max_failures": MAX_ARTICLES},
    ),
    "feed-forbidden-by-robots": Case(
        _feed("forbidden"), {}, 0, ("feed", "forbidden by robots.txt")
    ),
    "absurd-dates": Case(
        {
            "/dates/feed.xml": Route(
                b'<?xml version="1.0"?><rss version="2.0"><channel><title>d</title>'
                b"<item><title>a</title><link>{base}/good/a2</link>"
                b"<pubDate>Fri, 31 Dec 99999 23:59:59 -1400</pubDate></item>"
                b"<item><title>b</title><link>{base}/dates/b</link>"
                b"<pubDate>Mon, 01 Jan 0001 00:00:00 +1400</pubDate></item></channel></rss>",
                content_type=RSS,
            ),
            "/dates/b": Route(article_page("dated story")),
        },
        {},
        1,
        None,
        failures_at_least=0,
    ),
}


def _source_config(name: str, case: Case, base: str) -> dict[str, Any]:
    if case.source:
        return case.source
    paths = [p for p in case.routes if p.endswith(("feed.xml", "/s.xml", "/s0.xml"))]
    feeds = [base + p for p in paths if p.endswith("feed.xml")]
    sitemaps = [base + p for p in paths if not p.endswith("feed.xml")]
    return {"feeds": feeds, "sitemaps": sitemaps}


@dataclass
class Crawl:
    """The finished hostile crawl: its process, database and the `sources` overview."""

    proc: Any
    db_url: str
    started: datetime
    sources: dict[str, dict[str, Any]]
    wire: MockWire


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def crawl(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp(f"hostile-{request.param}")
    with ExitStack() as stack:
        if request.param == "sqlite":
            db_url = f"sqlite:///{tmp / 'w.db'}"
        else:
            db_url = stack.enter_context(postgres_schema_url(request))
        wire = stack.enter_context(MockWire())
        robots = b"User-agent: *\nDisallow: /forbidden/\n"
        wire.add("/robots.txt", Route(robots, content_type="text/plain"))
        for case in CASES.values():
            for path, route in case.routes.items():
                wire.add(path, route)
        sources = {name: _source_config(name, c, wire.base_url) for name, c in CASES.items()}
        config = write_config(
            tmp,
            db_url,
            sources,
            max_articles_per_source=MAX_ARTICLES,
            max_retry_after=MAX_RETRY_AFTER,
        )
        started = datetime.now(UTC)
        proc = run_cli(config, "crawl", timeout=240)
        listed = run_cli(config, "sources", "--format", "json")
        assert listed.returncode == 0, listed.stderr
        overview = {r["source"]: r for r in json.loads(listed.stdout)}
        yield Crawl(proc, db_url, started, overview, wire)


def test_the_crawl_ends_truthfully(crawl: Crawl) -> None:
    assert "Traceback" not in crawl.proc.stderr, crawl.proc.stderr[-3000:]
    assert crawl.proc.returncode == 0, crawl.proc.stderr[-3000:]  # partial, all of it stored
    assert "partial" in crawl.proc.stdout
    assert running_runs(crawl.db_url) == []
    (status,) = rows(crawl.db_url, "SELECT status FROM crawl_runs")
    assert status[0] == "partial"
    assert len(crawl.wire.requests) < 400  # bounded: caps held
    assert crawl.wire.requested("/forbidden/feed.xml") == 0


@pytest.mark.parametrize("name", list(CASES))
def test_each_fault_leaves_a_trace_and_the_rest_goes_on(crawl: Crawl, name: str) -> None:
    case = CASES[name]
    stored = rows(
        crawl.db_url,
        "SELECT a.url FROM articles a JOIN sources s ON s.id = a.source_id WHERE s.name = :n",
        n=name,
    )
    assert len(stored) == case.stored, stored
    failures = rows(
        crawl.db_url,
        "SELECT stage, reason, url FROM fetch_failures WHERE source = :n",
        n=name,
    )
    assert len(failures) >= case.failures_at_least, failures
    if "max_failures" in case.extra:
        assert len(failures) <= case.extra["max_failures"]
    if case.failure is not None:
        stage, reason = case.failure
        assert any(f.stage == stage and reason in f.reason for f in failures), failures
        assert all(f.reason.strip() and "\n" not in f.reason for f in failures)
        assert crawl.sources[name]["failed_24h"] == len(failures)
    good = rows(
        crawl.db_url,
        "SELECT count(*) FROM articles a JOIN sources s ON s.id = a.source_id "
        "WHERE s.name = 'good'",
    )
    assert good[0][0] == 3


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("retry-after")])
def test_a_hostile_retry_after_is_clamped_and_the_source_scheduled(crawl: Crawl, name: str) -> None:
    ((next_poll, failures, error),) = rows(
        crawl.db_url,
        "SELECT next_poll, consecutive_failures, last_error FROM source_states WHERE source = :n",
        n=name,
    )
    if isinstance(next_poll, str):
        next_poll = datetime.fromisoformat(next_poll)
    next_poll = next_poll if next_poll.tzinfo else next_poll.replace(tzinfo=UTC)
    latest = datetime.now(UTC) + timedelta(seconds=MAX_RETRY_AFTER + 60)
    assert crawl.started < next_poll <= latest
    assert failures == 1 and "503" in error
