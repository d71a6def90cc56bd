"""Downloader middlewares: retries that back off instead of hammering a struggling site,
meta-refresh redirects that do not decode whole pages to find them, and robots.txt with its
Crawl-delay."""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.httpobj import urlparse_cached

from scrapers.downloader import slot_delay

logger = logging.getLogger(__name__)


RETRY_AFTER_CEILING = 10 * 365 * 86400.0
"""Longest wait a ``Retry-After`` can express here; callers clamp it further to their
configured limits (``max_retry_after``), so an absurd value never overflows a date."""

_DELTA_SECONDS_RE = re.compile(r"[0-9]+")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks us to wait (delta-seconds or an HTTP date).

    None when the value is neither; at most ``RETRY_AFTER_CEILING``; never raises.
    """
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS_RE.fullmatch(value):
        return float(value) if len(value) < 12 else RETRY_AFTER_CEILING
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(RETRY_AFTER_CEILING, max(0.0, seconds))


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter for retry number ``attempt`` (1-based)."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not security
    return rng.uniform(0, min(cap, base * 2 ** max(0, attempt - 1)))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, plus a wait before each retry and respect for Retry-After.

    A ``Retry-After`` longer than ``WIREWATCH_RETRY_AFTER_MAX`` is not waited out inside
    the crawl (that would hold a request slot other sources need): the response is passed
    on as a failure, and the source's next poll is scheduled after the time asked.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("WIREWATCH_RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("WIREWATCH_RETRY_BACKOFF_MAX", 60.0)
        self.max_retry_after = settings.getfloat("WIREWATCH_RETRY_AFTER_MAX", 10.0)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        """Retry like Scrapy does, waiting first (Retry-After when the server sent one)."""
        header = response.headers.get(b"Retry-After")
        asked = retry_after_seconds(header.decode("latin-1") if header else None)
        if asked is not None and asked > self.max_retry_after:
            logger.info("%s asks to retry after %.0fs; not retrying now", request.url, asked)
            return response
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result, asked)
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        """Retry transient network errors after a backoff wait."""
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result, None)
        return result

    async def _wait(self, retry: Request, asked: float | None) -> None:
        attempt = int(retry.meta.get("retry_times", 1))
        delay = (
            min(self.cap, asked)
            if asked is not None
            else backoff_delay(attempt, self.base, self.cap)
        )
        if delay > 0:
            logger.debug("waiting %.1fs before retry %d of %s", delay, attempt, retry.url)
            await asyncio.sleep(delay)


META_REFRESH_HEAD_BYTES = 16 * 1024
"""Bytes of a page handed to the meta-refresh check: at least the 4,096 characters Scrapy's
own check reads, in any encoding (UTF-8 takes up to 4 bytes per character)."""


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware``, shown only the head of a large page.

    Scrapy's check reads the first 4,096 characters of ``response.text``, which decodes the
    whole body first: on real 200 kB news pages that was ~5 % of the crawl process's CPU, for
    text the extraction workers decode again anyway. Same rule, same redirects.
    """

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        """Follow a ``<meta http-equiv=refresh>`` found in the page's first 16 kB."""
        if not isinstance(response, HtmlResponse) or len(response.body) <= META_REFRESH_HEAD_BYTES:
            return super().process_response(request, response)
        head = response.replace(body=response.body[:META_REFRESH_HEAD_BYTES])
        result = super().process_response(request, head)
        return response if result is head else result


class CrawlDelayRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware that also keeps to the file's ``Crawl-delay``.

    Scrapy parses ``Crawl-delay`` (``RobotParser.crawl_delay``, 2.18+) but does not apply
    it. Here the longest Crawl-delay for our user agent among the hosts a download slot
    (a source) has requested becomes the least spacing of that slot's requests, when it
    is longer than the source's own ``delay``. The slot's delay is raised when a request
    reaches the downloader, which is before its queue is processed.
    """

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.agent: str = settings.get("ROBOTSTXT_USER_AGENT") or settings["USER_AGENT"]
        self.max_delay = settings.getfloat("WIREWATCH_MAX_CRAWL_DELAY", 60.0)
        self.clamped: set[str] = set()
        self.floors: dict[str, float] = {}
        """Download slot -> the longest Crawl-delay its hosts ask for, in seconds."""
        crawler.signals.connect(self.keep_floor, signal=signals.request_reached_downloader)

    def process_request_2(self, rp: Any, request: Request) -> None:
        """Refuse what robots.txt forbids; remember what it says about spacing."""
        super().process_request_2(rp, request)
        if rp is None:
            return
        delay = self._delay(rp, request)
        if delay is None:
            return
        key = self.crawler.engine.downloader.get_slot_key(request)
        if delay > self.floors.get(key, 0.0):
            self.floors[key] = float(delay)
            logger.info(
                "robots.txt of %s asks for Crawl-delay %gs: %s's requests keep at least that apart",
                urlparse_cached(request).netloc,
                delay,
                key,
            )

    def _delay(self, rp: Any, request: Request) -> float | None:
        """The file's Crawl-delay for us, at most ``max_crawl_delay``; None if it sets none."""
        try:
            delay = float(rp.crawl_delay(self.agent) or 0.0)
        except (TypeError, ValueError, OverflowError):
            return None
        if math.isnan(delay) or delay <= 0:
            return None
        if delay > self.max_delay:
            netloc = urlparse_cached(request).netloc
            if netloc not in self.clamped:
                self.clamped.add(netloc)
                logger.warning(
                    "robots.txt of %s asks for Crawl-delay %gs; keeping to max_crawl_delay %gs",
                    netloc,
                    delay,
                    self.max_delay,
                )
            return self.max_delay
        return delay

    def keep_floor(self, request: Request, spider: Any = None) -> None:
        """Raise the delay of the request's slot to its Crawl-delay floor, if it is lower."""
        key = request.meta.get("download_slot")
        if not isinstance(key, str) or key not in self.floors:
            return
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None and slot.delay < (least := slot_delay(self.floors[key], slot.jitter)):
            slot.delay = least
