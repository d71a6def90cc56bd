"""Canonical article URLs and same-site checks."""

from __future__ import annotations

import pytest

from scrapers.urls import TRACKING_PARAMS, canonicalize_url, same_site

CASES = [
    # scheme and host case, default ports, fragments
    ("HTTP://Wire.Example.COM/News/A.html", "http://wire.example.com/News/A.html"),
    ("http://wire.example.com:80/a", "http://wire.example.com/a"),
    ("https://wire.example.com:443/a", "https://wire.example.com/a"),
    ("https://wire.example.com:8443/a", "https://wire.example.com:8443/a"),
    ("http://wire.example.com:443/a", "http://wire.example.com:443/a"),
    ("https://wire.example.com/a#comments", "https://wire.example.com/a"),
    ("https://wire.example.com/a?x=1#frag?y=2", "https://wire.example.com/a?x=1"),
    # trailing slashes: only on paths other than "/"
    ("https://wire.example.com", "https://wire.example.com/"),
    ("https://wire.example.com/", "https://wire.example.com/"),
    ("https://wire.example.com/news/", "https://wire.example.com/news"),
    ("https://wire.example.com/news//", "https://wire.example.com/news"),
    # tracking parameters, sorted remainder
    (
        "https://wire.example.com/a?utm_source=rss&utm_medium=feed&id=7&fbclid=X",
        "https://wire.example.com/a?id=7",
    ),
    ("https://wire.example.com/a?b=2&a=1&gclid=z&yclid=1", "https://wire.example.com/a?a=1&b=2"),
    ("https://wire.example.com/a?UTM_Campaign=x&_openstat=abc", "https://wire.example.com/a"),
    ("http://www.asahi.example/articles/A1.html?ref=rss", "http://www.asahi.example/articles/A1.html"),
    ("https://www.heise.example/m/1.html?wt_mc=rss.beitrag.atom", "https://www.heise.example/m/1.html"),
    ("https://wire.example.com/a?from=main&rss=1&ito=1&cmpid=x", "https://wire.example.com/a"),
    ("https://wire.example.com/a?page=2&ref=tw", "https://wire.example.com/a?page=2"),
    ("https://wire.example.com/a?", "https://wire.example.com/a"),
    # encoding is normalised, path case is kept
    ("https://wire.example.com/Путь/Статья?q=ё", "https://wire.example.com/%D0%9F%D1%83%D1%82%D1%8C/%D0%A1%D1%82%D0%B0%D1%82%D1%8C%D1%8F?q=%D1%91"),
    ("https://wire.example.com/a%7eb", "https://wire.example.com/a~b"),
    ("  https://wire.example.com/a  ", "https://wire.example.com/a"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize("url", [url for url, _ in CASES] + [expected for _, expected in CASES])
def test_canonicalize_url_is_idempotent(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_tracking_list_is_lower_case() -> None:
    assert all(name == name.lower() for name in TRACKING_PARAMS)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("https://www.wire.example.com/a", "https://wire.example.com/b", True),
        ("https://m.wire.example.com/a", "http://www.wire.example.com/b", True),
        ("https://WIRE.example.com:8443/a", "https://wire.example.com/b", True),
        ("https://news.liga.net/a", "https://www.liga.net/b", True),
        ("https://www.bbc.co.uk/news", "https://m.bbc.co.uk/sport", True),
        ("https://www.bbc.co.uk/news", "https://www.itv.co.uk/news", False),
        ("https://a.example.com/", "https://a.example.org/", False),
        ("http://127.0.0.1:8000/feed", "http://127.0.0.1:8001/a", True),
        ("http://127.0.0.1/feed", "http://127.0.0.2/a", False),
        ("http://localhost/feed", "http://www.localhost/a", True),
        ("https://пример.рф/a", "https://www.xn--e1afmkfd.xn--p1ai/b", True),
        ("not a url", "not a url", False),
        ("", "", False),
    ],
)
def test_same_site(a: str, b: str, expected: bool) -> None:
    assert same_site(a, b) is expected


def test_request_url_drops_tracking_but_keeps_the_path() -> None:
    from scrapers.urls import request_url

    assert request_url("https://Ex.com/a/b/?utm_source=rss&id=3#top") == "https://Ex.com/a/b/?id=3"
    assert request_url("https://ex.com/section/") == "https://ex.com/section/"
    assert request_url("https://ex.com/a?ref=rss") == "https://ex.com/a"
