"""End to end: a real `wirewatch crawl` subprocess against the mock wire site on 127.0.0.1.

The site (tests/fixtures/mockwire, ground truth in expected.json) has an RSS feed, an
Atom feed, a Google News sitemap, a broken feed, robots.txt, articles in en/ru/ja (one
windows-1251, one Shift_JIS), sidebars that mention topics the article is not about, a
404, a redirect, a slow page, a section page and a PDF. The same crawl runs on SQLite and
on PostgreSQL; then `wirewatch query` and `wirewatch report` are checked against the
ground truth.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import postgres_schema_url
from tests.mockwire import MockWire, Route

pytestmark = pytest.mark.e2e

SITE = Path(__file__).parent / "fixtures" / "mockwire"
EXPECTED = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
STORED = [a for a in EXPECTED["articles"] if a["store"]]
FAILED = [a for a in EXPECTED["articles"] if not a["store"]]
SLOW = next(p for p in STORED if "singapore" in p["path"])


def collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def run_cli(config: Path, *args: str, check: bool = True, timeout: float = 180) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    proc = subprocess.run(
        [sys.executable, "-m", "wirewatch", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"wirewatch {' '.join(args)} exited {proc.returncode}:\n"
            f"{proc.stdout}\n{proc.stderr[-4000:]}"
        )
    return proc


def write_config(path: Path, base: str, db_url: str, *, timeout: float = 2.0) -> Path:
    src = EXPECTED["source"]
    path.write_text(
        f"""builtin_sources = false
data_dir = "{path.parent / "data"}"
[database]
url = "{db_url}"
[crawl]
timeout = {timeout}
retries = 0
max_age_days = 100000
extract_workers = 2
[report]
timezone = "UTC"
[[sources]]
name = "mockwire"
feeds = {json.dumps([base + f for f in src["feeds"]])}
sitemaps = {json.dumps([base + s for s in src["sitemaps"]])}
delay = 0
""",
        encoding="utf-8",
    )
    return path


class Crawled:
    """A crawled mock site: its server, config and database."""

    def __init__(self, wire: MockWire, config: Path, db_url: str, first: Any) -> None:
        self.wire = wire
        self.config = config
        self.db_url = db_url
        self.first = first

    def rows(self, sql: str, **params: Any) -> list[Any]:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()

    def query(self, *args: str) -> list[dict[str, Any]]:
        out = run_cli(self.config, "query", "--format", "json", "--limit", "1000", *args)
        return json.loads(out.stdout)


@pytest.fixture(scope="module")
def crawled(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Crawled]:
    backend = request.param
    tmp = tmp_path_factory.mktemp(f"e2e-{backend}")
    with ExitStack() as stack:
        if backend == "sqlite":
            db_url = f"sqlite:///{tmp / 'wire.db'}"
        else:
            db_url = stack.enter_context(postgres_schema_url(request))
        wire = stack.enter_context(MockWire.from_directory(SITE))
        config = write_config(tmp / "wirewatch.toml", wire.base_url, db_url)
        first = run_cli(config, "crawl")
        yield Crawled(wire, config, db_url, first)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "crawled" in metafunc.fixturenames:
        metafunc.parametrize(
            "crawled",
            ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
            indirect=True,
            scope="module",
        )


def test_each_article_is_stored_once_with_title_time_and_language(crawled: Crawled) -> None:
    base = crawled.wire.base_url
    rows = crawled.rows("select url, title, published_at, language from articles")
    by_url = {r.url: r for r in rows}
    expected = [a for a in STORED if a is not SLOW]
    assert sorted(by_url) == sorted(base + a["path"].rstrip("/") for a in expected)
    for art in expected:
        row = by_url[base + art["path"]]
        assert collapse(row.title) == collapse(art["title"]), art["id"]
        published = row.published_at
        if isinstance(published, str):
            published = datetime.fromisoformat(published)
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        want = datetime.fromisoformat(art["published"].replace("Z", "+00:00"))
        assert published.astimezone(UTC).replace(second=0, microsecond=0) == want, art["id"]
        assert row.language == art["language"], art["id"]


@pytest.mark.parametrize("topic", ["kuril", "peace_treaty"])
def test_query_by_topic_returns_exactly_the_articles_about_it(crawled: Crawled, topic: str) -> None:
    base = crawled.wire.base_url
    got = crawled.query("--topic", topic)
    want = {base + a["path"] for a in STORED if topic in a["topics"] and a is not SLOW}
    assert {r["url"] for r in got} == want
    assert len(got) == len(want)  # each once
    for row in got:
        assert topic in row["topics"]
        assert row["snippet"]
        assert datetime.fromisoformat(row["published"]).utcoffset() is not None
        assert set(row) >= {"url", "title", "source", "published", "language", "topics", "snippet"}


def test_failures_are_recorded_with_their_stage(crawled: Crawled) -> None:
    base = crawled.wire.base_url
    rows = crawled.rows("select url, stage, reason, http_status from fetch_failures")
    by_url = {r.url.rstrip("/"): r for r in rows}
    for art in FAILED:
        url = (base + art["path"]).rstrip("/")
        if art["failure"]["stage"] == "robots":
            assert url not in by_url
            continue
        assert url in by_url, f"no failure recorded for {art['id']}"
        assert by_url[url].stage == art["failure"]["stage"], art["id"]
        if art["failure"]["stage"] == "download":
            assert by_url[url].http_status == art["failure"]["http_status"]
    broken = base + "/broken.xml"
    assert by_url[broken].stage == "feed"
    slow = by_url[base + SLOW["path"]]
    assert slow.stage == "download" and "timed out" in slow.reason


def test_crawl_is_polite_and_identifies_itself(crawled: Crawled) -> None:
    wire = crawled.wire
    for path in EXPECTED["must_not_fetch"]:
        assert wire.requested(path) == 0, f"{path} is disallowed by robots.txt"
    assert wire.requested("/robots.txt") >= 1
    agents = {headers.get("user-agent", "") for _, _, headers in wire.requests}
    assert agents and all(a.startswith("wirewatch/") for a in agents)


def test_summary_counts_per_source(crawled: Crawled) -> None:
    out = crawled.first.stdout
    line = next(x for x in out.splitlines() if x.startswith("mockwire"))
    fetched, new, updated, unchanged, flagged, failed = map(int, line.split()[1:7])
    stored = len(STORED) - 1  # the slow page times out
    assert new == stored and updated == 0 and unchanged == 0
    flagged_expected = sum(1 for a in STORED if a["topics"] and a is not SLOW)
    assert flagged == flagged_expected
    assert failed == 5  # 404, timeout, section page, PDF, broken feed
    assert fetched >= stored + 2  # the section page and the PDF were fetched too


def test_recrawl_adds_nothing_and_a_changed_article_is_updated(crawled: Crawled) -> None:
    before = crawled.rows("select count(*) as n from articles")[0].n
    second = run_cli(crawled.config, "crawl")
    line = next(x for x in second.stdout.splitlines() if x.startswith("mockwire"))
    _, new, updated, unchanged = map(int, line.split()[1:5])
    assert (new, updated) == (0, 0) and unchanged == before
    assert crawled.rows("select count(*) as n from articles")[0].n == before

    art = next(a for a in STORED if a["id"] == "a")
    route = crawled.wire.routes[art["path"]]
    original = route.body
    crawled.wire.add(
        art["path"],
        Route(
            body=original.replace(b"</p>", b" Officials later added a correction.</p>", 1),
            content_type=route.content_type,
            headers=route.headers,
        ),
    )
    try:
        third = run_cli(crawled.config, "crawl")
    finally:
        crawled.wire.add(art["path"], route)
    line = next(x for x in third.stdout.splitlines() if x.startswith("mockwire"))
    assert int(line.split()[3]) == 1  # updated
    url = crawled.wire.base_url + art["path"]
    row = crawled.rows("select id, version from articles where url = :u", u=url)[0]
    assert row.version == 2
    versions = crawled.rows(
        "select version from article_versions where article_id = :i order by version", i=row.id
    )
    assert [v.version for v in versions] == [1, 2]
    assert crawled.rows("select count(*) as n from articles")[0].n == before


def test_query_filters_and_formats(crawled: Crawled) -> None:
    base = crawled.wire.base_url
    ja = crawled.query("--lang", "ja")
    assert {r["url"] for r in ja} == {
        base + a["path"] for a in STORED if a["language"] == "ja" and a is not SLOW
    }
    hits = crawled.query("--search", "Kunashir")
    assert base + "/en/world/kuril-islands-drills.html" in {r["url"] for r in hits}
    assert crawled.query("--search", "北方領土")
    window = crawled.query("--since", "2025-03-27", "--until", "2025-03-27")
    assert {r["url"] for r in window} == {
        base + a["path"] for a in STORED if a["published"].startswith("2025-03-27")
    }
    csv_out = run_cli(crawled.config, "query", "--topic", "kuril", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("url,title,source,published")
    nd = run_cli(crawled.config, "query", "--topic", "kuril", "--format", "ndjson").stdout
    assert len(nd.splitlines()) == len(crawled.query("--topic", "kuril"))


def test_report_lists_the_days_matches(crawled: Crawled) -> None:
    out = run_cli(crawled.config, "report", "--date", "2025-03-27", "--format", "json").stdout
    data = json.loads(out)
    topics = {t["id"]: t for t in data["topics"]}
    base = crawled.wire.base_url
    for topic in ("kuril", "peace_treaty"):
        want = {
            base + a["path"]
            for a in STORED
            if topic in a["topics"] and a["published"].startswith("2025-03-27")
        }
        assert {a["url"] for a in topics[topic]["articles"]} == want
        assert topics[topic]["count"] == len(want)
    md = run_cli(crawled.config, "report", "--date", "2025-03-27").stdout
    assert "## kuril" in md and "## peace_treaty" in md


def test_bad_input_gives_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[crawl]\ntimout = 3\n", encoding="utf-8")
    proc = run_cli(bad, "crawl", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "crawl.timout: unknown key" in proc.stderr

    unreachable = write_config(
        tmp_path / "pg.toml", "http://127.0.0.1:9", "postgresql+psycopg://nobody@127.0.0.1:9/none"
    )
    proc = run_cli(unreachable, "query", check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0

    good = write_config(
        tmp_path / "ok.toml", "http://127.0.0.1:9", f"sqlite:///{tmp_path / 'ok.db'}"
    )
    proc = run_cli(good, "query", "--topic", "nope", check=False)
    assert proc.returncode == 2 and "unknown topic 'nope'" in proc.stderr
    proc = run_cli(good, "report", "--date", "2025-13-45", check=False)
    assert proc.returncode == 2 and "not a date" in proc.stderr


def test_nothing_crawlable_exits_non_zero(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "dead.toml", "http://127.0.0.1:9", f"sqlite:///{tmp_path / 'dead.db'}", timeout=2
    )
    proc = run_cli(config, "crawl", check=False)
    assert proc.returncode == 1
    assert "nothing could be crawled" in proc.stderr
    con = sqlite3.connect(tmp_path / "dead.db")
    (status,) = con.execute("select status from crawl_runs").fetchone()
    con.close()
    assert status == "failed"


def test_huge_and_binary_responses_are_recorded_failures(tmp_path: Path) -> None:
    page = (SITE / "pages/en/world/kuril-islands-drills.html").read_bytes()
    huge = b"<html><body><p>" + b"x" * 300_000 + b"</p></body></html>"
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><link>{base}/ok.html</link></item>"
        b"<item><link>{base}/huge.html</link></item>"
        b"<item><link>{base}/image.html</link></item>"
        b"</channel></rss>"
    )
    routes = {
        "/rss.xml": Route(body=feed, content_type="application/rss+xml"),
        "/ok.html": Route(body=page),
        "/huge.html": Route(body=huge),
        "/image.html": Route(body=b"\x89PNG\r\n\x1a\n" + bytes(2000), content_type="image/png"),
    }
    db = tmp_path / "huge.db"
    with MockWire(routes) as wire:
        config = tmp_path / "huge.toml"
        config.write_text(
            f"""builtin_sources = false
[database]
url = "sqlite:///{db}"
[crawl]
max_response_bytes = 100000
retries = 0
max_age_days = 100000
[[sources]]
name = "tiny"
feeds = ["{wire.base_url}/rss.xml"]
delay = 0
""",
            encoding="utf-8",
        )
        run_cli(config, "crawl")
        base = wire.base_url
    con = sqlite3.connect(db)
    stored = [r[0] for r in con.execute("select url from articles")]
    failures = dict(con.execute("select url, stage from fetch_failures").fetchall())
    con.close()
    # the page names its canonical URL (same site), which is where it is stored
    assert stored == [base + "/en/world/kuril-islands-drills.html"]
    assert failures == {base + "/huge.html": "download", base + "/image.html": "extract"}
