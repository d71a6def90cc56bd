"""Plain records that cross from the pipelines into storage.

They carry no SQLAlchemy state, so pipelines can build them in worker processes and
storage can persist them without importing anything from the other packages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wirecore.outcomes import StoreOutcome


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """Why one article belongs to one topic: score, terms, hit offsets and a snippet."""

    topic: str
    score: float
    terms: dict[str, int]
    hits: list[dict[str, Any]]
    snippet: str
    snippet_hits: list[tuple[int, int]] = field(default_factory=list)
    relevance: str = "about"  # "about" (the story is about the topic) or "mentions"


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """One extracted article, ready to be stored under its canonical URL."""

    url: str
    source: str
    title: str
    author: str | None
    published: datetime | None
    published_origin: str | None
    language: str | None
    sitename: str | None
    text: str
    content_hash: str
    fetched_at: datetime
    matches: tuple[MatchRecord, ...] = ()
    simhash: int | None = None  # signed 64-bit fingerprint of the text, for story clusters
    published_note: str | None = None  # which publication-time candidate won, and why


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """A page, feed or sitemap that could not be fetched or extracted, and why."""

    source: str
    url: str
    stage: str
    reason: str
    http_status: int | None
    occurred_at: datetime


@dataclass(slots=True)
class SourceCounts:
    """Per-source tallies of one crawl run."""

    source: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: int = 0
    failed: int = 0

    def add(self, outcome: StoreOutcome) -> None:
        """Count one stored article under what storing it did."""
        match outcome:
            case StoreOutcome.NEW:
                self.new += 1
            case StoreOutcome.UPDATED:
                self.updated += 1
            case StoreOutcome.UNCHANGED:
                self.unchanged += 1
