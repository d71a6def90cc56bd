"""How a crawl run ends, what it counted, and what a pipeline error leaves behind: small
helpers of the store pipeline."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from scrapers.items import ArticlePage
from storage.errors import one_line
from storage.records import ArticleRecord, FailureRecord, SourceCounts
from wirecore.outcomes import RunStatus, StoreOutcome


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


def run_status(reason: str, counts: Iterable[SourceCounts], lost: int) -> RunStatus:
    """How a crawl run ended: ok, partial, failed or interrupted."""
    if reason in {"shutdown", "cancelled"}:
        return RunStatus.INTERRUPTED
    counts = list(counts)
    fetched = sum(c.fetched for c in counts)
    failed = sum(c.failed for c in counts)
    if lost or (failed and not fetched):
        return RunStatus.FAILED if not fetched else RunStatus.PARTIAL
    return RunStatus.PARTIAL if failed else RunStatus.OK


class RunTally:
    """The per-source counts of one crawl run, kept as its records are stored."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.by_source = {name: SourceCounts(source=name) for name in names}

    def of(self, source: str) -> SourceCounts:
        """The counts of ``source`` (started at zero for a source seen first now)."""
        return self.by_source.setdefault(source, SourceCounts(source=source))

    def stored(self, articles: Sequence[ArticleRecord], outcomes: Sequence[StoreOutcome]) -> int:
        """Count stored articles by what storing each did; how many new ones have no date."""
        undated = 0
        for record, outcome in zip(articles, outcomes, strict=True):
            counts = self.of(record.source)
            counts.add(outcome)
            if record.matches:
                counts.flagged += 1
            if record.published is None and outcome is StoreOutcome.NEW:
                undated += 1  # no usable date on the page
        return undated

    def failed(self, failures: Iterable[FailureRecord]) -> None:
        """Count stored failure records."""
        for failure in failures:
            self.of(failure.source).failed += 1

    def totals(self) -> dict[str, int]:
        """The run's new, updated, unchanged, flagged and failed counts over all sources."""
        counts = self.by_source.values()
        return {
            "new": sum(c.new for c in counts),
            "updated": sum(c.updated for c in counts),
            "unchanged": sum(c.unchanged for c in counts),
            "flagged": sum(c.flagged for c in counts),
            "failed": sum(c.failed for c in counts),
        }

    def finish(self, stats: Any) -> list[SourceCounts]:
        """Every source's final counts: fetched pages and known links from the crawl stats."""
        for name, counts in self.by_source.items():
            counts.fetched = int(stats.get_value(f"wirewatch/{name}/fetched", 0))
            counts.unchanged += int(stats.get_value(f"wirewatch/{name}/known_unchanged", 0))
        return list(self.by_source.values())
