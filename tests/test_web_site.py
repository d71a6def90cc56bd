"""The web site over HTTP, served by a real `wirewatch serve` process, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import feedparser
import httpx
import pytest

from tests.webdata import WebData
from tests.webserver import site_for

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, WebData]]:
    """A client of a running site over the hand-written data."""
    tmp = tmp_path_factory.mktemp(f"web-{request.param}")
    with (
        site_for(request.param, request, tmp) as (base, data),
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client, data


def test_home_lists_topics_with_counts_and_names_silent_sources(site) -> None:
    client, _ = site
    page = client.get("/")
    assert page.status_code == 200
    assert "Kuril Islands dispute" in page.text
    assert 'href="/topics/kuril"' in page.text
    today = client.get(re.search(r'href="(/topics/kuril\?since=[0-9-]+)"', page.text)[1])
    assert "Russia deploys missile systems on the Kuril Islands" in today.text
    topics = {t["id"]: t for t in client.get("/api/topics").json()["topics"]}
    assert topics["kuril"]["today"] >= 1  # the wire story of an hour ago
    assert topics["kuril"]["week"] >= topics["kuril"]["today"]
    assert len(topics["kuril"]["trend"]) == 30
    assert sum(topics["kuril"]["trend"]) == 50  # every stored kuril article is in 30 days
    assert "Silent for 24 hours" in page.text  # built-in sources without articles are named
    assert "<strong>meduza-ru</strong>" in page.text


def test_security_headers_on_every_page(site) -> None:
    client, data = site
    for path in ("/", "/topics/kuril", f"/articles/{data.xss}", "/api/topics", "/nope"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert "server-timing" in headers


def test_topic_page_pages_through_with_keyset_cursors(site) -> None:
    client, _ = site
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params = {"topic": "kuril", "limit": "20", **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/articles", params=params).json()
        seen += [a["id"] for a in body["articles"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 50
    published = [
        a["published"] for a in client.get("/api/articles?topic=kuril&limit=500").json()["articles"]
    ]
    assert published == sorted(published, reverse=True)
    html = client.get("/topics/kuril").text
    assert 'rel="next"' in html and "Older articles" in html
    assert "also in kyodo-en" in html  # the wire story, marked where it is listed


def test_filters_by_source_language_and_dates(site) -> None:
    client, data = site
    ru = client.get("/api/articles", params={"lang": "ru"}).json()["articles"]
    assert [a["id"] for a in ru] == [data.ru]
    kyodo = client.get("/api/articles", params={"source": "kyodo-en"}).json()["articles"]
    assert [a["id"] for a in kyodo] == [data.wire_kyodo]
    old = client.get("/api/articles", params={"until": "2001-01-01"}).json()["articles"]
    assert old == []


def test_filter_by_relevance_splits_a_topic(site) -> None:
    client, _ = site

    def ids(**params: str) -> set[int]:
        got = client.get("/api/articles", params={"topic": "kuril", "limit": "500", **params})
        assert got.status_code == 200, got.text
        return {a["id"] for a in got.json()["articles"]}

    every, about, mentions = ids(), ids(relevance="about"), ids(relevance="mentions")
    assert about and about | mentions == every and not about & mentions
    page = client.get("/topics/kuril", params={"relevance": "about"})
    assert page.status_code == 200 and 'value="about" selected' in page.text
    assert client.get("/api/articles", params={"relevance": "most"}).status_code == 400


@pytest.mark.parametrize(
    ("query", "expected"),
    [("Кунашир", "ru"), ("Курилах", "ru"), ("国後", "ja"), ("北方領土", "ja"), ("択捉島", "ja")],
)
def test_search_finds_inflected_and_cjk_words(site, query: str, expected: str) -> None:
    client, data = site
    found = [a["id"] for a in client.get("/api/articles", params={"q": query}).json()["articles"]]
    assert found == [getattr(data, expected)]


def test_article_page_marks_hits_and_links_the_story_in_other_outlets(site) -> None:
    client, data = site
    page = client.get(f"/articles/{data.wire_tass}").text
    assert '<mark title="Kuril{,e} Island{,s}">Kuril Islands</mark>' in page
    assert "Why it matched" in page
    assert f'href="/articles/{data.wire_kyodo}"' in page  # the same story from Kyodo
    assert "words added" in page  # version 2 and what changed
    listed = client.get("/api/articles", params={"source": "tass-en", "limit": "1"}).json()
    # the copy from Kyodo (simhash), and the same event told in Japanese and Russian (keys)
    assert listed["articles"][0]["also_in"] == ["kyodo-en", "nhk-ja", "tass-ru"]
    detail = client.get(f"/api/articles/{data.wire_tass}").json()
    assert [c["id"] for c in detail["cluster"]] == [data.ja, data.ru, data.wire_kyodo]
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["versions"][1]["added"] == 5


def test_scraped_markup_is_escaped_and_javascript_links_are_not_links(site) -> None:
    client, data = site
    page = client.get(f"/articles/{data.xss}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    for path in ("/topics/kuril", "/search?q=Kuril"):
        listing = client.get(path).text
        assert "<script>alert" not in listing and "onerror=alert(1)>" not in listing


def test_atom_feed_is_valid(site) -> None:
    client, data = site
    response = client.get("/topics/kuril.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # strict: raises on any malformed XML
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 50
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{required}") or "").strip()
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    titles = [e.title for e in parsed.entries]
    assert any("<script>" in t for t in titles)  # a title, as text, not markup
    related = [link.href for e in parsed.entries for link in e.links if link.rel == "related"]
    assert related and all(h.startswith(("http://", "https://")) for h in related)
    assert f"/articles/{data.xss}" in response.text
    ru = client.get("/topics/kuril.atom", params={"q": "Кунашире"})
    assert len(feedparser.parse(ru.content).entries) == 1


def test_csv_export_of_a_filtered_list(site) -> None:
    client, data = site
    response = client.get("/articles.csv", params={"topic": "kuril", "lang": "en"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 48  # two wire copies, the XSS article, 45 digests
    assert {r["language"] for r in rows} == {"en"}
    xss = next(r for r in rows if r["id"] == str(data.xss))
    assert xss["title"].startswith("<script>")  # data stays data; CSV is not HTML
    assert all(not r["title"].startswith(("=", "+", "-", "@")) for r in rows)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/topics/no-such-topic", 404),
        ("/topics/no-such-topic.atom", 404),
        ("/articles/987654", 404),
        ("/articles/99999999999999999999999", 404),
        ("/api/articles/987654", 404),
        ("/reports/2026-13-45", 404),
        ("/reports/../../etc/passwd", 404),
        ("/topics/%FF", 404),
        ("/topics/%ED%A0%80.atom", 404),
        ("/reports/%FF", 404),
        ("/static/..%2F..%2Fweb%2Fapp.py", 404),
        ("/search?since=yesterday", 400),
        ("/search?until=2026-02-30", 400),
        ("/search?until=9999-12-31", 400),
        ("/api/articles?since=2026-11-27T10:00:00%2B99:00", 400),
        ("/articles.csv?until=9999-12-31", 400),
        ("/api/articles?limit=-1", 400),
        ("/api/articles?limit=0", 400),
        ("/api/articles?limit=abc", 400),
        ("/api/articles?limit=100000", 400),
        ("/api/articles?cursor=bm90LWEtY3Vyc29y", 400),
        ("/api/articles?cursor=%%%", 400),
        ("/api/articles?topic=nope", 400),
        ("/search?q=%FF%FE", 400),
        ("/search?q=a%00b", 400),
        ("/search?q=" + "x" * 10_000, 400),
        ("/search?q=a&q=b", 400),
    ],
)
def test_bad_input_is_a_clean_client_error(site, path: str, status: int) -> None:
    client, _ = site
    response = client.get(path)
    assert response.status_code == status
    assert "Traceback" not in response.text and 'File "' not in response.text
    if path.startswith("/api/") and status == 400:
        message = response.json()["error"]
        assert message and "\n" not in message


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "NEAR(a b)",
        "kuril*",
        "a OR",
        "-kuril",
        "title:kuril",
        "(((",
        "AND",
        "'; DROP TABLE articles; --",
        "日",
    ],
)
def test_search_syntax_is_never_an_error(site, query: str) -> None:
    client, _ = site
    response = client.get("/api/articles", params={"q": query})
    assert response.status_code == 200, response.text
    assert client.get("/api/articles").json()["articles"]  # nothing was dropped


def test_reports_archive_serves_written_reports(site) -> None:
    client, _ = site
    page = client.get("/reports")
    assert page.status_code == 200
    assert 'href="/reports/2026-11-27"' in page.text
    report = client.get("/reports/2026-11-27")
    assert report.status_code == 200
    assert "Kuril report" in report.text
    csp = report.headers["content-security-policy"]
    assert "script" not in csp.replace("default-src 'none'", "")  # no script source at all
    assert "default-src 'none'" in csp
    assert client.get("/reports/2026-11-28").status_code == 404
