"""How crawls end and what storing an article did: the typed values for strings in the database.

Each enum's values are the exact text stored in the database and printed in JSON, so a
member compares equal to (and is) the stored string; Python code uses the members.

- ``RunStatus``: ``crawl_runs.status``.
- ``RunFailure`` (a ``FailureKind`` and a detail): why a run failed, stored in
  ``crawl_runs.error`` as ``"<kind>: <detail>"`` (``lost: process h:1:2 is gone``).
- ``StoreOutcome``: what storing one article did (new, updated, unchanged).
- ``PollOutcome``: what one request for a feed, sitemap or listing page found
  (``source_feeds.last_outcome``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RunStatus(StrEnum):
    """The state of a crawl run: running until it ends as one of the others."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class FailureKind(StrEnum):
    """Why a run failed without its crawl saying so: the first word of its stored error."""

    LOST = "lost"
    """Its process or worker is gone (killed, its host lost, its lease expired)."""
    TIMEOUT = "timeout"
    """It ran longer than it may and was stopped."""
    CRASH = "crash"
    """The crawl raised an error or ended without recording its state."""
    FETCH = "fetch"
    """No feed, sitemap or listing page of the source answered."""


@dataclass(frozen=True, slots=True)
class RunFailure:
    """A kind of failure and what happened, stored as ``"<kind>: <detail>"``."""

    kind: FailureKind
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


class StoreOutcome(StrEnum):
    """What storing one article did."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class PollOutcome(StrEnum):
    """What one request for a feed, sitemap or listing page found."""

    CHANGED = "changed"
    NOT_MODIFIED = "not-modified"
    SAME_BODY = "same-body"
    FAILED = "failed"
