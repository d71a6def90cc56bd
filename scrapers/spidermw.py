"""Spider middleware: a callback that raises is a recorded failure of its URL, never a loss.

Scrapy logs an exception raised by a spider callback (while parsing a feed, a sitemap, a
listing or an article) and drops the response's remaining output: without this, a feed
that crashes its parser vanishes with no ``fetch_failures`` row and no failed poll, and
`sources` shows nothing wrong. Here the exception becomes a ``FailureRecord`` of that URL
with the stage and a one-line reason (and a failed ``FeedPoll`` for feeds, sitemaps and
listings, so the source's state shows it); whatever the callback yielded before it
raised is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from scrapy.http import Response

from scrapers.polling import feed_poll
from storage.records import FailureRecord
from storage.sources import FeedPoll
from wirecore.outcomes import PollOutcome

logger = logging.getLogger(__name__)

FEED_STAGES = frozenset({"feed", "sitemap", "listing"})


def one_line_reason(err: BaseException) -> str:
    """``Type: message`` on one line, at most 300 characters."""
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}"[:300] if text else type(err).__name__


class CallbackFailureMiddleware:
    """Turns an exception from a spider callback into a stored failure of its URL."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> CallbackFailureMiddleware:
        """Build the middleware (it keeps a count of handled exceptions in the stats)."""
        return cls(crawler)

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    def process_spider_exception(
        self, response: Response, exception: Exception
    ) -> Iterator[FailureRecord | FeedPoll] | None:
        """Record the failure of ``response``'s URL at its stage; None if not ours."""
        source = response.meta.get("wirewatch_source")
        if not source:
            return None
        stage = response.meta.get("wirewatch_stage", "download")
        stage = stage if stage in FEED_STAGES else "parse"
        reason = f"parse error: {one_line_reason(exception)}"
        logger.warning("%s: %s failed: %s (%s)", source, stage, response.url, reason)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"wirewatch/{source}/callback_errors")
        return self._records(response, source, stage, reason)

    def _records(
        self, response: Response, source: str, stage: str, reason: str
    ) -> Iterator[FailureRecord | FeedPoll]:
        now = datetime.now(UTC)
        if stage in FEED_STAGES:
            yield feed_poll(response, source, PollOutcome.FAILED, now, error=reason)
        yield FailureRecord(
            source=source,
            url=response.url,
            stage=stage,
            reason=reason,
            http_status=response.status,
            occurred_at=now,
        )
