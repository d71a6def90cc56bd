"""The wire spider: configured sources -> feeds and news sitemaps -> article pages.

Sources are data (``WIREWATCH_SOURCES``: the ``SourceConfig`` values of wirewatch's config),
not subclasses.
Every request of a source goes through a download slot named after the source, so its
``delay`` applies to feeds and articles alike and one slow source never slows another.
Failures (dead links, broken feeds, timeouts) are yielded as ``FailureRecord`` items so
they are stored and counted, never silently dropped.

Every feed, sitemap and listing response also yields a ``FeedPoll`` (its validators,
body hash, status), which the store pipeline keeps as polling state. With
``WIREWATCH_INCREMENTAL`` a feed is requested conditionally (ETag, Last-Modified); a 304
or a body identical to the last one is not parsed again, and an article already stored is
not downloaded again unless its entry carries a newer ``updated``/``lastmod`` than our
last fetch. Without it (a full crawl) every listed article is downloaded and re-checked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from scrapers.discovery import UNRESOLVED_REASON, publisher_hosts, resolve_entries
from scrapers.failures import describe_failure
from scrapers.feeds import MAX_FEED_ITEMS, FeedEntry, parse_feed, parse_sitemap
from scrapers.items import ArticlePage
from scrapers.listings import parse_listing
from scrapers.middlewares import retry_after_seconds
from scrapers.polling import PollingState, conditional_headers, feed_poll, header
from scrapers.urls import canonicalize_url, request_url
from storage.db import SharedEngine
from storage.records import FailureRecord
from storage.sources import FeedPoll
from wirecore.errors import FeedError
from wirecore.outcomes import PollOutcome
from wirecore.sources import SourceConfig

MAX_SITEMAP_DEPTH = 3
MAX_CHILD_SITEMAPS = 1000
"""Most child sitemaps followed from one sitemap index."""
MAX_PROBLEMS_RECORDED = 20
"""Failure rows one feed or sitemap may add for its skipped parts (then one summing up)."""


class WireSpider(scrapy.Spider):
    """Reads every configured source's feeds and sitemaps and fetches the articles they list."""

    name = "wire"

    def __init__(self, *args: Any, sources: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.only = {s.strip() for s in sources.split(",") if s.strip()} if sources else set()
        self.sources: dict[str, SourceConfig] = {}
        self.followed: Counter[str] = Counter()
        self.max_age = timedelta(days=7)
        self.max_articles = 500
        self.timeout: float | None = None
        self.incremental = False
        self.max_retry_after = 86400.0
        self.polling: PollingState | None = None
        self.listed: dict[str, set[str]] = {}
        self.publishers: dict[str, str] = {}
        self.configured: dict[str, SourceConfig] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> WireSpider:
        """Build the spider from the crawler's settings."""
        spider: WireSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        configured: list[SourceConfig] = settings.getlist("WIREWATCH_SOURCES")
        selected = (s for s in configured if not spider.only or s.name in spider.only)
        spider.sources = {s.name: s for s in selected if s.enabled}
        spider.publishers = publisher_hosts(configured)
        spider.configured = {s.name: s for s in configured}
        unknown = spider.only - set(spider.configured)
        if unknown:
            spider.logger.error("unknown source(s): %s", ", ".join(sorted(unknown)))
        spider.max_age = timedelta(days=settings.getfloat("WIREWATCH_MAX_AGE_DAYS", 7.0))
        spider.max_articles = settings.getint("WIREWATCH_MAX_ARTICLES_PER_SOURCE", 500)
        spider.timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        spider.incremental = settings.getbool("WIREWATCH_INCREMENTAL", False)
        spider.max_retry_after = settings.getfloat("WIREWATCH_MAX_RETRY_AFTER", 86400.0)
        if settings.get("WIREWATCH_DATABASE_URL"):
            shared = settings.get("WIREWATCH_DB_ENGINE")
            engine = shared.engine if isinstance(shared, SharedEngine) else None
            spider.polling = PollingState(settings.get("WIREWATCH_DATABASE_URL"), engine)
        return spider

    def closed(self, reason: str) -> None:
        """Release the polling-state connections."""
        if self.polling is not None:
            self.polling.close()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Request every feed, sitemap and listing page of every selected source."""
        if self.store_unavailable():
            return
        starts = [(s.name, *start) for s in self.sources.values() for start in self._starts(s)]
        urls = [url for _, url, _, _ in starts]
        known = self.polling.validators(urls) if self.polling and self.incremental else {}
        for name, url, callback, stage in starts:
            yield self._feed_request(name, url, callback, stage, known.get(url))

    def _starts(self, src: SourceConfig) -> Iterator[tuple[str, Any, str]]:
        """A source's feeds, sitemaps and listing pages: (url, callback, stage) of each."""
        yield from ((url, self.parse_feed, "feed") for url in src.feeds)
        yield from ((url, self.parse_sitemap, "sitemap") for url in src.sitemaps)
        yield from ((url, self.parse_listing, "listing") for url in src.listings)

    def store_unavailable(self) -> bool:
        """True when the store could not start the crawl run: then nothing is requested."""
        stats = self.crawler.stats
        if stats is None or not (error := stats.get_value("wirewatch/store_error")):
            return False
        self.logger.error("nothing crawled: the crawl run could not be started (%s)", error)
        return True

    def _feed_request(
        self, source: str, url: str, callback: Any, stage: str, validators: Any, **meta: Any
    ) -> scrapy.Request:
        return self._request(
            source,
            url,
            callback,
            stage,
            dont_filter=True,
            headers=conditional_headers(validators),
            meta={"handle_httpstatus_list": [304], "wirewatch_feed_url": url, **meta},
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
        if (skip := self._unchanged(response, source)) is not None:
            yield skip
            return
        problems: list[str] = []
        try:
            entries = parse_feed(response.body, response.url, _content_type(response), problems)
        except FeedError as err:
            yield from self._feed_failed(response, source, "feed", str(err))
            return
        yield from self._skipped(response, source, "feed", problems)
        if (src := self.sources.get(source)) is not None and src.discovery:
            yield from self._discovered(response, source, entries)
            return
        yield from self._parsed(response, source, entries)

    def _discovered(
        self, response: Response, source: str, entries: list[FeedEntry]
    ) -> Iterator[Any]:
        """Follow a search feed's items at their publishers; record the ones that stay stubs."""
        resolved, stubs = resolve_entries(entries, response.url, self.publishers)
        for stub in stubs:
            self._inc(source, "unresolved")
            yield self._failure(source, stub.url, "discover", UNRESOLVED_REASON, None)
        publishers = {r.entry.url: r.publisher for r in resolved}
        yield from self._parsed(response, source, [r.entry for r in resolved], publishers)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """Turn a (news) sitemap or sitemap index into article and sitemap requests."""
        source = response.meta["wirewatch_source"]
        if (skip := self._unchanged(response, source)) is not None:
            yield skip
            return
        problems: list[str] = []
        try:
            result = parse_sitemap(response.body, response.url, problems)
        except FeedError as err:
            yield from self._feed_failed(response, source, "sitemap", str(err))
            return
        depth = response.meta.get("wirewatch_depth", 0)
        if depth >= MAX_SITEMAP_DEPTH and result.sitemaps:
            problems.append(
                f"sitemap index nested deeper than {MAX_SITEMAP_DEPTH} levels: "
                f"{len(result.sitemaps)} child sitemap(s) not followed"
            )
        if len(result.sitemaps) > MAX_CHILD_SITEMAPS:
            problems.append(
                f"sitemap index lists {len(result.sitemaps)} sitemaps; "
                f"only the first {MAX_CHILD_SITEMAPS} are followed"
            )
        yield from self._skipped(response, source, "sitemap", problems)
        if depth < MAX_SITEMAP_DEPTH and result.sitemaps:
            known = (
                self.polling.validators(result.sitemaps)
                if self.polling is not None and self.incremental
                else {}
            )
            for url in result.sitemaps[:MAX_CHILD_SITEMAPS]:
                yield self._feed_request(
                    source, url, self.parse_sitemap, "sitemap", known.get(url),
                    wirewatch_depth=depth + 1,
                )  # fmt: skip
        yield from self._parsed(response, source, result.entries)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """Turn a section listing page into article requests by the source's link rule."""
        source = response.meta["wirewatch_source"]
        if (skip := self._unchanged(response, source)) is not None:
            yield skip
            return
        src = self.sources.get(source)
        pattern = (src.link_pattern if src is not None else None) or "."
        entries = parse_listing(response.body, response.url, pattern)
        if not entries:
            yield from self._feed_failed(response, source, "listing", "no article links found")
            return
        yield from self._parsed(response, source, entries)

    def _conditional(self) -> bool:
        return self.polling is not None and self.incremental

    def _unchanged(self, response: Response, source: str) -> FeedPoll | None:
        """A FeedPoll when the feed did not change (304, or the same body in incremental mode)."""
        now = datetime.now(UTC)
        if response.status == 304:
            self._inc(source, "feeds_ok")
            self._inc(source, "feeds_not_modified")
            return feed_poll(response, source, PollOutcome.NOT_MODIFIED, now)
        if self._conditional():
            url = response.meta.get("wirewatch_feed_url", response.url)
            assert self.polling is not None
            before = self.polling.validators([url]).get(url)
            poll = feed_poll(response, source, PollOutcome.SAME_BODY, now)
            if before is not None and before.body_hash == poll.body_hash:
                self._inc(source, "feeds_ok")
                self._inc(source, "feeds_same_body")
                return poll
        return None

    def _feed_failed(
        self, response: Response, source: str, stage: str, reason: str
    ) -> Iterator[Any]:
        yield feed_poll(response, source, PollOutcome.FAILED, datetime.now(UTC), error=reason)
        yield self._failure(source, response.url, stage, reason, response.status)

    def _skipped(
        self, response: Response, source: str, stage: str, problems: list[str]
    ) -> Iterator[FailureRecord]:
        """A failure row for each part of a feed or sitemap that was not read, with why."""
        for problem in problems[:MAX_PROBLEMS_RECORDED]:
            yield self._failure(source, response.url, stage, problem, response.status)
        if len(problems) > MAX_PROBLEMS_RECORDED:
            rest = len(problems) - MAX_PROBLEMS_RECORDED
            yield self._failure(
                source, response.url, stage, f"{rest} more part(s) skipped", response.status
            )

    def _parsed(
        self,
        response: Response,
        source: str,
        entries: list[FeedEntry],
        publishers: dict[str, str] | None = None,
    ) -> Iterator[Any]:
        if len(entries) > MAX_FEED_ITEMS:
            reason = f"{len(entries)} entries listed; only the first {MAX_FEED_ITEMS} are read"
            yield self._failure(source, response.url, "feed", reason, response.status)
            entries = entries[:MAX_FEED_ITEMS]
        self._inc(source, "feeds_ok")
        requests = list(self._follow(source, entries, publishers))
        new_items = sum(1 for r in requests if not r.meta.get("wirewatch_known"))
        yield feed_poll(
            response, source, PollOutcome.CHANGED, datetime.now(UTC), new_items=new_items
        )
        yield from requests

    def _follow(
        self, source: str, entries: Iterable[FeedEntry], publishers: dict[str, str] | None = None
    ) -> Iterator[scrapy.Request]:
        publishers = publishers or {}
        cutoff = datetime.now(UTC) - self.max_age
        fresh = []
        for entry in entries:
            when = entry.published or entry.updated
            if when is not None and when < cutoff:
                self._inc(source, "too_old")
                continue
            fresh.append(entry)
        known = self.polling.known(e.url for e in fresh) if self.polling else {}
        listed = self.listed.setdefault(source, set())
        for entry in fresh:
            key = canonicalize_url(entry.url)
            if key in listed:
                continue
            listed.add(key)
            last_fetch = known.get(key)
            changed = last_fetch is not None and entry.updated is not None
            changed = changed and entry.updated > last_fetch  # type: ignore[operator]
            if self.incremental and last_fetch is not None and not changed:
                self._inc(source, "known_unchanged")
                continue
            if self.followed[source] >= self.max_articles:
                if not self.crawler.stats.get_value(f"wirewatch/{source}/over_cap"):
                    self.logger.info(
                        "%s: more than max_articles_per_source (%d) listed; "
                        "the rest are left for the next crawl",
                        source,
                        self.max_articles,
                    )
                self._inc(source, "over_cap")
                continue
            self.followed[source] += 1
            yield self._request(
                source,
                request_url(entry.url),
                self.parse_article,
                "download",
                meta={
                    "feed_title": entry.title,
                    "feed_published": entry.published,
                    "wirewatch_listed": key,
                    "wirewatch_entry_updated": entry.updated,
                    "wirewatch_known": last_fetch is not None,
                    "wirewatch_publisher": publishers.get(entry.url),
                },
            )

    def parse_article(self, response: Response) -> Iterator[ArticlePage]:
        """Hand a fetched article page to the pipelines."""
        source = response.meta["wirewatch_source"]
        self._inc(source, "fetched")
        src = self.sources.get(source)
        language, timezone = (src.language, src.timezone) if src is not None else (None, None)
        publisher = response.meta.get("wirewatch_publisher")
        feed_published = response.meta.get("feed_published")
        if publisher:  # found through a discovery feed: filed under who published it
            known = self.configured.get(publisher)
            language = (known.language if known is not None else None) or language
            timezone = known.timezone if known is not None else None
            source = publisher
            # the search engine's date is not the publisher's declaration: left out, it
            # cannot decide the zone of a time the page writes without an offset
            feed_published = None
        yield ArticlePage(
            source=source,
            url=response.url,
            body=response.body,
            content_type=_content_type(response),
            language_hint=language,
            source_tz=timezone,
            feed_title=response.meta.get("feed_title"),
            feed_published=feed_published,
            fetched_at=datetime.now(UTC),
        )

    def on_error(self, failure: Failure) -> Iterator[FailureRecord | FeedPoll]:
        """Record a request that failed (HTTP error, timeout, refused, too large)."""
        request = failure.request  # type: ignore[attr-defined]
        source = request.meta.get("wirewatch_source", "?")
        stage = request.meta.get("wirewatch_stage", "download")
        if isinstance(failure.value, IgnoreRequest) and "robots.txt" in str(failure.value):
            self._inc(source, "robots_forbidden")
            self.logger.info("robots.txt forbids %s", request.url)
            if stage in {"feed", "sitemap", "listing"}:  # a source that cannot be read says so
                reason = "forbidden by robots.txt"
                yield self._failed_poll(request, source, reason, None, failure)
                yield self._failure(source, request.url, stage, reason, None)
            return
        reason, status = describe_failure(failure, self.timeout)
        if stage in {"feed", "sitemap", "listing"}:
            yield self._failed_poll(request, source, reason, status, failure)
        yield self._failure(source, request.url, stage, reason, status)

    def _failed_poll(
        self, request: Any, source: str, reason: str, status: int | None, failure: Failure
    ) -> FeedPoll:
        response = getattr(failure.value, "response", None)
        retry_after = retry_after_seconds(header(response, "Retry-After")) if response else None
        if retry_after is not None and retry_after > self.max_retry_after:
            self.logger.warning(
                "%s: %s asks to retry after %.0fs; taken as max_retry_after (%.0fs)",
                source,
                request.url,
                retry_after,
                self.max_retry_after,
            )
            retry_after = self.max_retry_after
        return FeedPoll(
            url=request.meta.get("wirewatch_feed_url", request.url),
            source=source,
            polled_at=datetime.now(UTC),
            outcome=PollOutcome.FAILED,
            status=status,
            error=reason,
            retry_after=retry_after,
        )

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
