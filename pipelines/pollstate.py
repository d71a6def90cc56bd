"""The polling state a crawl leaves behind, kept apart from its articles until written.

Feed polls (validators, body hash, outcome), the feed links of stored articles (not
downloaded again) and finished backfill days are buffered by the store pipeline and
written after the articles of the same flush; at the end of the crawl every source's polls
are folded into its state and next poll time (``record_sources``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage import backfill, sources
from storage.backfill import BackfillStep
from storage.errors import one_line
from storage.sources import FeedPoll, IntervalPolicy
from wirecore.sources import SourceConfig

logger = logging.getLogger(__name__)

Link = tuple[str, str, datetime | None, datetime]
"""A stored article's feed link: (canonical url, source, entry updated, fetched at)."""


@dataclass(slots=True)
class PendingState:
    """Polling state not written yet, and every feed poll of the crawl so far."""

    polls: list[FeedPoll] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    steps: list[BackfillStep] = field(default_factory=list)
    all_polls: list[FeedPoll] = field(default_factory=list)

    def add_poll(self, poll: FeedPoll) -> None:
        """Keep a feed poll to write, and to fold into its source's state at the end."""
        self.polls.append(poll)
        self.all_polls.append(poll)

    def __bool__(self) -> bool:
        return bool(self.polls or self.links or self.steps)

    def write(self, session: Session) -> None:
        """Write what is pending in ``session`` (the caller commits, then ``clear``s)."""
        sources.record_feed_polls(session, self.polls)
        sources.mark_links_seen(session, self.links)
        backfill.save_steps(session, self.steps)

    def clear(self) -> None:
        """Forget what is pending: written, or refused by the database."""
        self.polls, self.links, self.steps = [], [], []


def source_policy(src: SourceConfig) -> IntervalPolicy:
    """A source's interval policy: its interval and the bounds it adapts within."""
    low, high = src.interval_bounds
    return IntervalPolicy(base=src.interval, minimum=low, maximum=high)


def record_sources(
    sessions: Any, polls: list[FeedPoll], configured: Mapping[str, SourceConfig]
) -> None:
    """Fold a crawl's feed polls into each source's state and next poll time.

    One transaction per source: one source's state never costs the others theirs. A
    source not configured (any more) gets the default policy.
    """
    by_source: dict[str, list[FeedPoll]] = defaultdict(list)
    for poll in polls:
        by_source[poll.source].append(poll)
    for name, its_polls in by_source.items():
        policy = source_policy(configured.get(name) or SourceConfig(name))
        try:
            with sessions.begin() as session:
                sources.record_source_poll(session, name, its_polls, policy)
        except Exception as err:
            logger.error("could not record polling state of %s: %s", name, one_line(err))
