"""What the spider hands to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True, repr=False)
class ArticlePage:
    """A fetched article page, not yet extracted, with what its feed entry said about it."""

    source: str
    url: str
    body: bytes
    content_type: str | None
    fetched_at: datetime
    language_hint: str | None = None
    source_tz: str | None = None
    feed_title: str | None = None
    feed_published: datetime | None = None

    def __repr__(self) -> str:
        return f"ArticlePage(source={self.source!r}, url={self.url!r}, bytes={len(self.body)})"
