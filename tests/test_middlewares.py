"""Retry waits: Retry-After parsing and bounded exponential backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler

from scrapers.middlewares import (
    META_REFRESH_HEAD_BYTES,
    HeadMetaRefreshMiddleware,
    backoff_delay,
    retry_after_seconds,
)


def test_retry_after_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Fri, 27 Nov 2026 10:01:30 GMT", now) == 90.0
    assert retry_after_seconds("Fri, 27 Nov 2026 09:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(1)
    for attempt, bound in [(1, 1.0), (2, 2.0), (3, 4.0), (10, 30.0)]:
        delays = [backoff_delay(attempt, 1.0, 30.0, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound * 0.8  # full jitter spans the range


def _page(head: str, size: int) -> bytes:
    body = "<p>" + "Курильские острова. " * (size // 30) + "</p>"
    return f"<html><head>{head}</head><body>{body}</body></html>".encode()


def meta_refresh() -> HeadMetaRefreshMiddleware:
    return HeadMetaRefreshMiddleware.from_crawler(get_crawler(settings_dict={}))


REFRESH = '<meta http-equiv="refresh" content="0; url=/moved/story-1">'


@pytest.mark.parametrize("size", [1_000, 4 * META_REFRESH_HEAD_BYTES])
def test_meta_refresh_in_the_head_is_followed_at_any_page_size(size: int) -> None:
    middleware = meta_refresh()
    request = Request("https://wire.example/news/1")
    response = HtmlResponse(request.url, body=_page(REFRESH, size), request=request)
    result = middleware.process_response(request, response)
    assert isinstance(result, Request)
    assert result.url == "https://wire.example/moved/story-1"


@pytest.mark.parametrize("size", [1_000, 4 * META_REFRESH_HEAD_BYTES])
def test_page_without_meta_refresh_is_passed_on_whole(size: int) -> None:
    middleware = meta_refresh()
    request = Request("https://wire.example/news/1")
    response = HtmlResponse(request.url, body=_page("<title>T</title>", size), request=request)
    result = middleware.process_response(request, response)
    assert result is response
    assert len(result.body) == len(response.body)


def test_refresh_past_the_first_4096_characters_is_ignored_as_scrapy_does() -> None:
    middleware = meta_refresh()
    request = Request("https://wire.example/news/1")
    late = "<!-- " + "x" * 5000 + " -->" + REFRESH
    response = HtmlResponse(request.url, body=_page(late, 100_000), request=request)
    assert middleware.process_response(request, response) is response


def test_non_html_responses_are_untouched() -> None:
    middleware = meta_refresh()
    request = Request("https://wire.example/feed.xml")
    for response in (
        TextResponse(request.url, body=b"x" * 50_000, request=request),
        Response(request.url, body=b"%PDF" + b"0" * 50_000, request=request),
    ):
        assert middleware.process_response(request, response) is response
