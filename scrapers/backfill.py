"""The backfill spider: one source's dated archives, day after day, resumable.

Kept outside ``scrapers.spiders`` (so ``scrapy list`` shows only ``wire``): it is run by
``wirewatch backfill``, which hands Scrapy the class.

A source's ``archive`` is a URL template with a ``{date:FORMAT}`` placeholder (a daily
sitemap, or a dated archive page read with the source's ``link_pattern``). Days are
walked in order, one at a time, under the source's download slot (its ``delay``).
A day is finished when every article it lists has been stored, dropped or failed; then a
``BackfillStep`` goes through the pipelines behind that day's articles, and the store
pipeline records it in the same transaction as (or after) them. Interrupted, a backfill
starts again at the first unfinished day. Articles already stored are not downloaded
again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure

from scrapers.failures import describe_failure
from scrapers.feeds import FeedEntry, parse_sitemap
from scrapers.listings import parse_listing
from scrapers.spiders.wire import WireSpider
from storage import backfill
from storage.backfill import BackfillStep
from wirecore.errors import FeedError
from wirecore.sources import SourceConfig


class BackfillSpider(WireSpider):
    """Walks the dated archive of one source from ``since`` to ``until``."""

    name = "backfill"

    def __init__(self, *args: Any, since: str = "", until: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.since = date.fromisoformat(since) if since else date.today()
        self.until = date.fromisoformat(until) if until else self.since
        self.pending: Counter[date] = Counter()
        self.listed_days: set[date] = set()
        self.links: Counter[date] = Counter()
        self.stopped: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> BackfillSpider:
        """Build the spider; archive days are never too old, articles never re-downloaded."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, BackfillSpider)
        spider.max_age = timedelta(days=365 * 100)
        spider.max_articles = 10**9
        spider.incremental = True
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider.item_done, signal=signal)
        return spider

    @property
    def source(self) -> SourceConfig:
        """The one source being backfilled."""
        return next(iter(self.sources.values()))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Request the first unfinished day's archive."""
        if self.store_unavailable():
            return
        if len(self.sources) != 1 or not self.source.archive or self.polling is None:
            self.logger.error("backfill needs exactly one source with an archive and a database")
            return
        with self.polling.sessions() as session:
            first = backfill.next_day(session, self.source.name, self.since, self.until)
        if first > self.until:
            self.logger.info("backfill of %s is already complete", self.source.name)
            return
        if first > self.since:
            self.logger.info("resuming backfill of %s at %s", self.source.name, first)
        yield self._archive(first)

    def _archive(self, day: date) -> scrapy.Request:
        archive = self.source.archive
        assert archive is not None  # start() checked it
        url = archive.format(date=day)
        return self._request(
            self.source.name,
            url,
            self.parse_archive,
            "archive",
            dont_filter=True,
            meta={"wirewatch_day": day},
        )

    def parse_archive(self, response: Response) -> Iterator[Any]:
        """Request the articles a day's archive (sitemap or listing page) lists."""
        day: date = response.meta["wirewatch_day"]
        problems: list[str] = []
        entries = self._entries(response, problems)
        for problem in problems:
            yield self._failure(self.source.name, response.url, "archive", problem, None)
        if problems and not entries:  # an archive that cannot be read is not a day done
            self.stopped = f"{day}: {problems[0]}"
            self.logger.error(
                "backfill stopped at %s: %s; run it again to resume", day, problems[0]
            )
            return
        for request in self._follow(self.source.name, entries):
            request.meta["wirewatch_day"] = day
            self.pending[day] += 1
            self.links[day] += 1
            yield request.replace(dont_filter=True)
        self.listed_days.add(day)
        self._maybe_finished(day)

    def _entries(self, response: Response, problems: list[str]) -> list[FeedEntry]:
        head = response.body.lstrip()[:200].lower()
        if head.startswith(b"<?xml") or b"<urlset" in head or b"<sitemapindex" in head:
            try:
                return parse_sitemap(response.body, response.url, problems).entries
            except FeedError as err:
                problems.append(str(err))
                return []
        pattern = self.source.link_pattern or "."
        return parse_listing(response.body, response.url, pattern)

    def on_error(self, failure: Failure) -> Iterator[Any]:
        """Record the failure; a day whose archive cannot be read stops the backfill there."""
        request = failure.request  # type: ignore[attr-defined]
        day = request.meta.get("wirewatch_day")
        yield from super().on_error(failure)
        if day is None:
            return
        if request.meta.get("wirewatch_stage") != "archive":
            self.pending[day] -= 1
            self._maybe_finished(day)
            return
        reason, status = describe_failure(failure, self.timeout)
        if status == 404:
            self.logger.info("no archive for %s (HTTP 404); skipping the day", day)
            self.listed_days.add(day)
            self._maybe_finished(day)
        else:
            self.stopped = f"{day}: {reason}"
            self.logger.error("backfill stopped at %s: %s; run it again to resume", day, reason)

    def item_done(self, item: Any, response: Any, spider: Any, **kwargs: Any) -> None:
        """An article of some day was stored, dropped or failed in the pipelines."""
        meta = getattr(response, "meta", None) or {}
        day = meta.get("wirewatch_day")
        if day is not None and meta.get("wirewatch_stage") == "download":
            self.pending[day] -= 1
            self._maybe_finished(day)

    def _maybe_finished(self, day: date) -> None:
        if day not in self.listed_days or self.pending[day] > 0:
            return
        self.listed_days.discard(day)
        request = scrapy.Request(
            "data:,",
            callback=self.finish_day,
            dont_filter=True,
            meta={"wirewatch_day": day, "wirewatch_stage": "step"},
        )
        assert self.crawler.engine is not None
        self.crawler.engine.crawl(request)

    def finish_day(self, response: Response) -> Iterator[Any]:
        """Emit the finished day's step (behind its articles) and request the next day."""
        day: date = response.meta["wirewatch_day"]
        name = self.source.name
        done = (day - self.since).days + 1
        total = (self.until - self.since).days + 1
        self.logger.info(
            "backfill %s: %s done (%d/%d days, %d links)", name, day, done, total, self.links[day]
        )
        yield BackfillStep(name, self.since, self.until, day, self.links[day], datetime.now(UTC))
        if day < self.until:
            yield self._archive(day + timedelta(days=1))
