"""Tests of the mock wire server (tests/mockwire.py) and of its fixture site."""

from __future__ import annotations

import http.client
import json
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import pytest

from tests.mockwire import MAX_DELAY, MockWire, Route

SITE = Path(__file__).parent / "fixtures" / "mockwire"
REPO = Path(__file__).parent.parent
EXPECTED: dict[str, Any] = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
MANIFEST: dict[str, Any] = tomllib.loads((SITE / "site.toml").read_text(encoding="utf-8"))


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, Message, bytes, str]:
    """(status, headers, body, final URL) via urllib, which follows redirects."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read(), response.url
    except HTTPError as err:
        with err:
            return err.code, err.headers, err.read(), err.url


def raw(wire: MockWire, path: str, method: str = "GET") -> tuple[int, Message, bytes]:
    """(status, headers, body) of one request, redirects not followed."""
    conn = http.client.HTTPConnection("127.0.0.1", wire.port, timeout=10)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


@pytest.fixture
def wire() -> Iterator[MockWire]:
    with MockWire() as server:
        yield server


@pytest.fixture(scope="module")
def site() -> Iterator[MockWire]:
    with MockWire.from_directory(SITE) as server:
        yield server


# --- the server ---------------------------------------------------------------------------


def test_route_is_served_with_its_headers(wire: MockWire) -> None:
    wire.add("/a.html", Route(b"<p>hello</p>", headers={"X-Test": "1"}))
    status, headers, body, _ = fetch(wire.url("/a.html"))
    assert (status, body) == (200, b"<p>hello</p>")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Length"] == str(len(body))
    assert headers["X-Test"] == "1"
    assert wire.base_url.startswith("http://127.0.0.1:")


def test_unknown_path_is_404(wire: MockWire) -> None:
    status, _, body, _ = fetch(wire.url("/nowhere.html"))
    assert status == 404
    assert b"Not Found" in body


def test_redirect(wire: MockWire) -> None:
    wire.add("/old.html", Route.redirect("{base}/new.html"))
    wire.add("/new.html", Route(b"new"))
    status, headers, _ = raw(wire, "/old.html")
    assert status == 301
    assert headers["Location"] == wire.url("/new.html")
    status, _, body, final_url = fetch(wire.url("/old.html"))
    assert (status, body, final_url) == (200, b"new", wire.url("/new.html"))


def test_base_placeholder_in_body_and_headers(wire: MockWire) -> None:
    wire.add("/feed.xml", Route(b"<link>{base}/a.html</link>", headers={"Link": "<{base}/>"}))
    _, headers, body, _ = fetch(wire.url("/feed.xml"))
    assert body == f"<link>{wire.base_url}/a.html</link>".encode()
    assert headers["Link"] == f"<{wire.base_url}/>"
    assert headers["Content-Length"] == str(len(body))


def test_query_string_falls_back_to_bare_path(wire: MockWire) -> None:
    wire.add("/a.html", Route(b"bare"))
    wire.add("/a.html?page=2", Route(b"exact"))
    assert fetch(wire.url("/a.html?utm_source=rss"))[2] == b"bare"
    assert fetch(wire.url("/a.html?page=2"))[2] == b"exact"


def test_head_sends_the_get_headers_without_a_body(wire: MockWire) -> None:
    wire.add("/a.html", Route(b"x" * 1234, content_type="text/plain"))
    status, headers, body = raw(wire, "/a.html", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == "1234"
    assert headers["Content-Type"] == "text/plain"
    assert wire.requests[-1][:2] == ("HEAD", "/a.html")


def test_delay_is_honoured(wire: MockWire) -> None:
    wire.add("/slow.html", Route(b"late", delay=0.3))
    started = time.perf_counter()
    assert fetch(wire.url("/slow.html"))[2] == b"late"
    assert time.perf_counter() - started >= 0.3


@pytest.mark.parametrize(
    "kwargs", [{"delay": MAX_DELAY + 1}, {"delay": -1.0}, {"status": 99}, {"status": 600}]
)
def test_route_rejects_bad_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Route(b"", **kwargs)


def test_redirect_needs_a_redirect_status() -> None:
    with pytest.raises(ValueError):
        Route.redirect("/x", status=200)


def test_request_log(wire: MockWire) -> None:
    wire.add("/a.html", Route(b"a"))
    fetch(wire.url("/a.html?x=1"), headers={"User-Agent": "wirewatch-test/1.0"})
    fetch(wire.url("/missing"))
    method, path, headers = wire.requests[0]
    assert (method, path) == ("GET", "/a.html?x=1")
    assert headers["user-agent"] == "wirewatch-test/1.0"
    assert [p for _, p, _ in wire.requests] == ["/a.html?x=1", "/missing"]
    assert wire.requested("/missing") == 1
    assert wire.requested("/a.html") == 0
    first, second = wire.arrivals()
    assert first <= second <= time.monotonic()
    assert wire.arrivals("/miss") == [second]
    wire.clear_requests()
    assert wire.requests == []
    assert wire.arrivals() == []


def test_request_log_under_concurrent_clients(wire: MockWire) -> None:
    wire.add("/a.html", Route(b"a"))

    def client(n: int) -> None:
        for i in range(10):
            fetch(wire.url(f"/a.html?c={n}&i={i}"))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wire.requests) == 80
    assert len({p for _, p, _ in wire.requests}) == 80


def test_peak_in_flight_counts_requests_answered_at_once(wire: MockWire) -> None:
    wire.add("/slow.html", Route(b"late", delay=0.5))
    assert wire.peak_in_flight == 0
    threads = [
        threading.Thread(target=fetch, args=(wire.url(f"/slow.html?{i}"),)) for i in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wire.peak_in_flight == 3
    wire.clear_requests()
    assert wire.peak_in_flight == 0


def test_keep_alive_reuses_one_connection(wire: MockWire) -> None:
    wire.add("/a.html", Route(b"a"))
    conn = http.client.HTTPConnection("127.0.0.1", wire.port, timeout=10)
    try:
        sockets = []
        for _ in range(3):
            conn.request("GET", "/a.html")
            response = conn.getresponse()
            assert response.read() == b"a"
            assert response.headers["Connection"] is None
            sockets.append(conn.sock)
        assert sockets[0] is not None
        assert sockets.count(sockets[0]) == 3
    finally:
        conn.close()


def test_stop_is_prompt_with_a_slow_request_in_flight() -> None:
    outcome: list[object] = []

    def client(url: str) -> None:
        try:
            outcome.append(fetch(url)[0])
        except OSError as err:  # the server drops the connection: expected
            outcome.append(err)

    with MockWire({"/slow.html": Route(b"late", delay=20.0)}) as wire:
        thread = threading.Thread(target=client, args=(wire.url("/slow.html"),))
        thread.start()
        deadline = time.monotonic() + 5
        while wire.requested("/slow.html") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert wire.requested("/slow.html") == 1
        started = time.perf_counter()
    elapsed = time.perf_counter() - started
    thread.join(timeout=5)
    assert elapsed < 1.0, f"stop took {elapsed:.2f} s"
    assert not thread.is_alive()
    assert outcome and not isinstance(outcome[0], int)
    with pytest.raises(RuntimeError, match="not running"):
        _ = wire.base_url


def test_stop_is_prompt_with_an_idle_keep_alive_connection() -> None:
    with MockWire({"/a.html": Route(b"a")}) as wire:
        conn = http.client.HTTPConnection("127.0.0.1", wire.port, timeout=10)
        conn.request("GET", "/a.html")
        conn.getresponse().read()
        started = time.perf_counter()
    elapsed = time.perf_counter() - started
    conn.close()
    assert elapsed < 1.0, f"stop took {elapsed:.2f} s"


def test_latency_over_keep_alive(wire: MockWire) -> None:
    """Catches the Nagle/delayed-ACK stall (~40 ms a response) of headers and body sent apart."""
    wire.add("/a.html", Route(b"<p>" + b"x" * 4000 + b"</p>"))
    conn = http.client.HTTPConnection("127.0.0.1", wire.port, timeout=10)
    timings = []
    try:
        for _ in range(50):
            started = time.perf_counter()
            conn.request("GET", "/a.html")
            conn.getresponse().read()
            timings.append(time.perf_counter() - started)
    finally:
        conn.close()
    median_ms = statistics.median(timings) * 1000
    print(f"mockwire median response time over 50 keep-alive requests: {median_ms:.2f} ms")
    assert median_ms < 20


# --- the fixture site -----------------------------------------------------------------------


def test_manifest_routes_are_served(site: MockWire) -> None:
    for entry in MANIFEST["route"]:
        status, headers, body = raw(site, entry["path"])
        assert status == entry.get("status", 200), entry["path"]
        if "file" in entry and entry.get("delay", 0) == 0:
            expected = (
                (SITE / entry["file"]).read_bytes().replace(b"{base}", site.base_url.encode())
            )
            assert body == expected, entry["path"]
        assert headers["Content-Type"] == entry.get(
            "content_type", MANIFEST["defaults"]["content_type"]
        )


@pytest.mark.parametrize(
    ("path", "charset", "phrase"),
    [
        ("/ru/politika/mirnyi-dogovor-yaponiya.html", "windows-1251", "мирный договор с Японией"),
        ("/ja/seiji/nichiro-heiwa-joyaku.html", "Shift_JIS", "日露平和条約"),
    ],
)
def test_legacy_encodings_are_served_byte_exact(
    site: MockWire, path: str, charset: str, phrase: str
) -> None:
    entry = next(e for e in MANIFEST["route"] if e["path"] == path)
    status, headers, body, _ = fetch(site.url(path))
    assert status == 200
    assert headers["Content-Type"] == f"text/html; charset={charset}"
    on_disk = (SITE / entry["file"]).read_bytes()
    assert body == on_disk.replace(b"{base}", site.base_url.encode())
    with pytest.raises(UnicodeDecodeError):
        on_disk.decode("utf-8")
    text = body.decode(headers.get_content_charset() or "")
    assert phrase in text
    assert f"charset={charset}" in text


def test_redirect_and_404_of_the_site(site: MockWire) -> None:
    status, _, _, final_url = fetch(site.url("/old/story.html"))
    assert (status, final_url) == (200, site.url("/en/business/mekong-rice-harvest.html"))
    assert fetch(site.url("/en/world/ukraine-grain-corridor.html"))[0] == 404


def _feed_links(site: MockWire, path: str) -> set[str]:
    root = ET.fromstring(fetch(site.url(path))[2])
    atom = "{http://www.w3.org/2005/Atom}"
    if root.tag == "rss":
        urls = [link.text or "" for link in root.iter("link") if link.text]
        urls = [u for u in urls if u != f"{site.base_url}/"]  # the channel's own link
    elif root.tag == f"{atom}feed":
        urls = [link.get("href", "") for entry in root.iter(f"{atom}entry") for link in entry]
        urls = [u for u in urls if u]
    else:
        urls = [
            loc.text or "" for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
        ]
    assert all(u.startswith(site.base_url + "/") for u in urls), urls
    return {u.removeprefix(site.base_url) for u in urls}


def test_feeds_list_what_expected_json_says(site: MockWire) -> None:
    for feed in EXPECTED["feeds"]:
        if not feed["ok"]:
            with pytest.raises(ET.ParseError):
                ET.fromstring(fetch(site.url(feed["path"]))[2])
            continue
        listed = _feed_links(site, feed["path"])
        expected = {
            a["listed_in"][feed["path"]]
            for a in EXPECTED["articles"]
            if feed["path"] in a["listed_in"]
        }
        assert listed == expected, feed["path"]
        assert len(listed) == feed["entries"]


def test_robots_disallows_what_must_not_be_fetched(site: MockWire) -> None:
    robots = fetch(site.url("/robots.txt"))[2].decode()
    disallowed = re.findall(r"^Disallow: (\S+)", robots, flags=re.MULTILINE)
    for path in EXPECTED["must_not_fetch"]:
        assert any(path.startswith(prefix) for prefix in disallowed)
    assert f"Sitemap: {site.base_url}/news-sitemap.xml" in robots


def test_expected_json_is_consistent() -> None:
    served = {e["path"] for e in MANIFEST["route"]}
    stored = [a for a in EXPECTED["articles"] if a["store"]]
    assert len(stored) == EXPECTED["counts"]["stored"]
    for topic, count in EXPECTED["counts"]["topics"].items():
        assert sum(topic in a["topics"] for a in stored) == count
    for article in stored:
        assert article["path"] in served
        assert article["language"] in {"en", "ru", "ja"}
        assert set(article["topics"]) <= {"kuril", "peace_treaty"}
        assert article["published_origin"] in {"meta", "jsonld", "time", "feed"}
        published = datetime.fromisoformat(article["published"])
        offset = published.utcoffset()
        assert offset is not None and offset.total_seconds() == 0
    for article in EXPECTED["articles"]:
        assert article["store"] or article["failure"]["stage"] in {"download", "extract", "robots"}
    slow = [a for a in stored if a.get("delay")]
    assert [a["delay"] for a in slow] == [
        e["delay"] for e in MANIFEST["route"] if e["path"] == slow[0]["path"]
    ]


def test_main_serves_a_site_by_hand() -> None:
    command = [sys.executable, "-m", "tests.mockwire", "--port", "0", "--site", str(SITE)]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
        assert match, "no base URL printed"
        try:
            assert fetch(match.group(0) + "/robots.txt")[0] == 200
        finally:
            proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
