"""The wire spider: configured sources -> feeds and news sitemaps -> article pages.

Sources are data (``WIREWATCH_SOURCES``, filled from wirewatch's config), not subclasses.
Every request of a source goes through a download slot named after the source, so its
``delay`` applies to feeds and articles alike and one slow source never slows another.
Failures (dead links, broken feeds, timeouts) are yielded as ``FailureRecord`` items so
they are stored and counted, never silently dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from scrapers.feeds import FeedEntry, parse_feed, parse_sitemap
from scrapers.items import ArticlePage
from scrapers.urls import request_url
from storage.records import FailureRecord
from wirewatch.errors import FeedError

MAX_SITEMAP_DEPTH = 3


def describe_failure(failure: Failure, timeout: float | None = None) -> tuple[str, int | None]:
    """A one-line reason and the HTTP status (when there was one) for a failed request."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"HTTP {status}", status
    name = type(exc).__name__
    if "Timeout" in name:
        return (f"timed out after {timeout:g}s" if timeout else "timed out"), None
    if "DNSLookup" in name:
        return "DNS lookup failed", None
    if "ConnectionRefused" in name:
        return "connection refused", None
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (f"{name}: {text}"[:300] if text else name), None


class WireSpider(scrapy.Spider):
    """Reads every configured source's feeds and sitemaps and fetches the articles they list."""

    name = "wire"

    def __init__(self, *args: Any, sources: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.only = {s.strip() for s in sources.split(",") if s.strip()} if sources else set()
        self.sources: dict[str, dict[str, Any]] = {}
        self.followed: Counter[str] = Counter()
        self.max_age = timedelta(days=7)
        self.max_articles = 500
        self.timeout: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> WireSpider:
        """Build the spider from the crawler's settings."""
        spider: WireSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        configured = settings.getlist("WIREWATCH_SOURCES")
        spider.sources = {
            s["name"]: s
            for s in configured
            if s.get("enabled", True) and (not spider.only or s["name"] in spider.only)
        }
        unknown = spider.only - {s["name"] for s in configured}
        if unknown:
            spider.logger.error("unknown source(s): %s", ", ".join(sorted(unknown)))
        spider.max_age = timedelta(days=settings.getfloat("WIREWATCH_MAX_AGE_DAYS", 7.0))
        spider.max_articles = settings.getint("WIREWATCH_MAX_ARTICLES_PER_SOURCE", 500)
        spider.timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Request every feed and sitemap of every selected source."""
        for src in self.sources.values():
            for url in src.get("feeds", ()):
                yield self._request(src["name"], url, self.parse_feed, "feed", dont_filter=True)
            for url in src.get("sitemaps", ()):
                yield self._request(
                    src["name"], url, self.parse_sitemap, "sitemap", dont_filter=True
                )

    def _request(
        self, source: str, url: str, callback: Any, stage: str, **kwargs: Any
    ) -> scrapy.Request:
        meta = {"wirewatch_source": source, "wirewatch_stage": stage, "download_slot": source}
        meta.update(kwargs.pop("meta", {}))
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        """Turn an RSS/Atom/RDF feed into article requests."""
        source = response.meta["wirewatch_source"]
        try:
            entries = parse_feed(response.body, response.url, _content_type(response))
        except FeedError as err:
            yield self._failure(source, response.url, "feed", str(err), response.status)
            return
        self._inc(source, "feeds_ok")
        yield from self._follow(source, entries)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """Turn a (news) sitemap or sitemap index into article and sitemap requests."""
        source = response.meta["wirewatch_source"]
        try:
            result = parse_sitemap(response.body, response.url)
        except FeedError as err:
            yield self._failure(source, response.url, "sitemap", str(err), response.status)
            return
        self._inc(source, "feeds_ok")
        depth = response.meta.get("wirewatch_depth", 0)
        if depth < MAX_SITEMAP_DEPTH:
            for url in result.sitemaps:
                yield self._request(
                    source, url, self.parse_sitemap, "sitemap", meta={"wirewatch_depth": depth + 1}
                )
        yield from self._follow(source, result.entries)

    def _follow(self, source: str, entries: Iterable[FeedEntry]) -> Iterator[scrapy.Request]:
        cutoff = datetime.now(UTC) - self.max_age
        for entry in entries:
            when = entry.published or entry.updated
            if when is not None and when < cutoff:
                self._inc(source, "too_old")
                continue
            if self.followed[source] >= self.max_articles:
                self._inc(source, "over_cap")
                continue
            self.followed[source] += 1
            yield self._request(
                source,
                request_url(entry.url),
                self.parse_article,
                "download",
                meta={"feed_title": entry.title, "feed_published": entry.published},
            )

    def parse_article(self, response: Response) -> Iterator[ArticlePage]:
        """Hand a fetched article page to the pipelines."""
        source = response.meta["wirewatch_source"]
        self._inc(source, "fetched")
        src = self.sources.get(source, {})
        yield ArticlePage(
            source=source,
            url=response.url,
            body=response.body,
            content_type=_content_type(response),
            language_hint=src.get("language"),
            source_tz=src.get("timezone"),
            feed_title=response.meta.get("feed_title"),
            feed_published=response.meta.get("feed_published"),
            fetched_at=datetime.now(UTC),
        )

    def on_error(self, failure: Failure) -> Iterator[FailureRecord]:
        """Record a request that failed (HTTP error, timeout, refused, too large)."""
        request = failure.request  # type: ignore[attr-defined]
        source = request.meta.get("wirewatch_source", "?")
        if isinstance(failure.value, IgnoreRequest) and "robots.txt" in str(failure.value):
            self._inc(source, "robots_forbidden")
            self.logger.info("robots.txt forbids %s", request.url)
            return
        reason, status = describe_failure(failure, self.timeout)
        stage = request.meta.get("wirewatch_stage", "download")
        yield self._failure(source, request.url, stage, reason, status)

    def _failure(
        self, source: str, url: str, stage: str, reason: str, status: int | None
    ) -> FailureRecord:
        self.logger.warning("%s: %s failed: %s (%s)", source, stage, url, reason)
        return FailureRecord(
            source=source,
            url=url,
            stage=stage,
            reason=reason,
            http_status=status,
            occurred_at=datetime.now(UTC),
        )

    def _inc(self, source: str, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"wirewatch/{source}/{key}")


def _content_type(response: Response) -> str | None:
    value = response.headers.get(b"Content-Type")
    return value.decode("latin-1") if value else None
