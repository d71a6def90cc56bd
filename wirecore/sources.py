"""A wire service as declared in config: the typed value passed from config to spider to store.

It is frozen and built once by `wirewatch.config`; Scrapy components receive the object
itself (through crawler settings), never a dict copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One wire service: where its feeds and sitemaps are and how politely to poll it."""

    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    language: str | None = None
    timezone: str | None = None
    delay: float = 1.0
    interval: float = 900.0
    enabled: bool = True
    homepage: str | None = None
    notes: str | None = None
    min_interval: float | None = None
    max_interval: float | None = None
    listings: tuple[str, ...] = ()
    link_pattern: str | None = None
    archive: str | None = None
    discovery: bool = False

    def __copy__(self) -> SourceConfig:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> SourceConfig:
        # frozen and made of immutable values: Scrapy deep-copies settings twice per crawler
        return self

    @property
    def interval_bounds(self) -> tuple[float, float]:
        """(shortest, longest) polling interval in seconds; default interval/4 and interval*8."""
        low = self.min_interval if self.min_interval is not None else self.interval / 4
        high = self.max_interval if self.max_interval is not None else self.interval * 8
        return min(low, self.interval), max(high, self.interval)
