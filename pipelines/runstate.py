"""How a crawl run ends, and what a pipeline error leaves behind: small pure helpers of
the store pipeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapers.items import ArticlePage
from storage.errors import one_line
from storage.records import ArticleRecord, FailureRecord, SourceCounts
from storage.sources import IntervalPolicy


def failure_of(item: Any, error: BaseException) -> FailureRecord | None:
    """The failure to record for a page or article a pipeline raised ``error`` on."""
    if not isinstance(item, ArticlePage | ArticleRecord):
        return None
    return FailureRecord(
        source=item.source,
        url=item.url,
        stage="extract" if isinstance(item, ArticlePage) else "store",
        reason=f"internal error: {one_line(error)}"[:300],
        http_status=None,
        occurred_at=datetime.now(UTC),
    )


def source_policy(src: dict[str, Any]) -> IntervalPolicy:
    """A source's interval policy from its settings dict (interval, interval_bounds)."""
    base = float(src.get("interval", 900.0))
    low, high = src.get("interval_bounds") or (base / 4, base * 8)
    return IntervalPolicy(base=base, minimum=float(low), maximum=float(high))


def run_status(reason: str, counts: list[SourceCounts], lost: int) -> str:
    """How a crawl run ended: ok, partial, failed or interrupted."""
    if reason in {"shutdown", "cancelled"}:
        return "interrupted"
    fetched = sum(c.fetched for c in counts)
    failed = sum(c.failed for c in counts)
    if lost or (failed and not fetched):
        return "failed" if not fetched else "partial"
    return "partial" if failed else "ok"
