"""The leader's dispatcher: due sources to the work queue, oldest due first; the backlog.

Every ``[cluster] dispatch_every`` seconds the leader reads which enabled sources are due
(their ``next_poll`` has passed: adaptive interval, backoff and ``Retry-After`` are all
folded into it by ``storage.sources``), hands them to the queue in the order they fell
due and marks them dispatched, so each is handed out once until a worker has polled it.
When more is due than the workers can poll, the oldest due go first (none starves), and
the service says so: ``wirewatch_due_sources`` / ``wirewatch_oldest_due_seconds`` and a
log line at most once a minute while the backlog lasts.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from scheduler.queues import Order, Publisher, QueueError
from scheduler.settings import RunConfig
from storage import dispatch, runs
from storage.db import make_sessionmaker

logger = logging.getLogger(__name__)

MAX_PER_TICK = 2000
"""Most orders handed out in one tick (the rest go in the next, a second later)."""

LOST_CHECK_EVERY = 60.0
"""Seconds between two looks for runs whose process is gone."""

PRUNE_EVERY = 3600.0
"""Seconds between two deletions of old polls that found nothing."""

OVERLOAD_LOG_EVERY = 60.0
"""Seconds between two log lines about the same backlog."""


@dataclass(slots=True)
class BacklogView:
    """The backlog as last measured (for /healthz and /metrics)."""

    due: int = 0
    queued: int = 0
    oldest_seconds: float = 0.0
    dispatched: int = 0
    measured: float = 0.0


class Dispatcher:
    """Hands due sources out through a ``Publisher`` and measures the backlog."""

    def __init__(self, config: RunConfig, engine: Engine, publisher: Publisher) -> None:
        self.sessions = make_sessionmaker(engine)
        self.publisher = publisher
        enabled = [s for s in config.sources if s.enabled]
        self.names = [s.name for s in enabled]
        self.intervals = {s.name: s.interval for s in enabled}
        shortest = min((s.interval_bounds[0] for s in enabled), default=60.0)
        self.late_after = max(5.0, min(30.0, shortest / 2))
        longest = max((config.service.timeout_for(s.interval) for s in enabled), default=600.0)
        self.stale_after = longest + 2 * config.cluster.lease
        self.keep_empty = config.cluster.keep_empty_polls
        self.next_prune = 0.0
        self.next_lost_check = 0.0
        self.view = BacklogView()
        self.last_warning = 0.0
        self.overloaded = False

    def lead(self) -> None:
        """On becoming leader: every enabled source gets a schedule row (new ones due now),
        and hand-outs no worker has claimed are forgotten (they may have been lost with the
        last leader or an outage; one delivered twice is skipped by its claim)."""
        with self.sessions.begin() as session:
            dispatch.ensure_states(session, self.intervals, datetime.now(UTC))
            dispatch.forget_dispatched(session, self.names)

    def tick(self) -> int:
        """Hand out what is due; the number handed out. Raises QueueError, SQLAlchemyError."""
        now = datetime.now(UTC)
        if self.publisher.lost():
            with self.sessions.begin() as session:
                n = dispatch.forget_dispatched(session, self.names)
            if n:
                logger.warning("the work queue lost %d orders; handing them out again", n)
        # marked before they are published: a worker may poll and release a source before a
        # mark written after the publish would land, leaving it "dispatched" until stale
        with self.sessions.begin() as session:
            due = dispatch.due_sources(
                session,
                self.names,
                now,
                stale_before=now - timedelta(seconds=self.stale_after),
                limit=MAX_PER_TICK,
            )
            dispatch.mark_dispatched(session, [name for name, _ in due], now)
        if due:
            sent = time.time()
            orders = [Order(name, when.timestamp(), sent) for name, when in due]
            try:
                self.publisher.publish(orders)
            except QueueError:
                with self.sessions.begin() as session:
                    dispatch.forget_dispatched(session, [name for name, _ in due])
                raise
        self._measure(now, len(due))
        if time.monotonic() >= self.next_prune:
            self.prune(now)
        if time.monotonic() >= self.next_lost_check:
            self.close_lost(now)
        return len(due)

    def close_lost(self, now: datetime) -> int:
        """Close the runs whose process is gone (a killed `wirewatch crawl`, a lost host)."""
        self.next_lost_check = time.monotonic() + LOST_CHECK_EVERY
        with self.sessions.begin() as session:
            lost = runs.close_lost_runs(session, now)
        for run_id, reason in lost:
            logger.warning("run %s closed as failed: %s", run_id, reason)
        return len(lost)

    def prune(self, now: datetime) -> int:
        """Delete polls that found nothing, older than ``keep_empty_polls`` (hourly)."""
        self.next_prune = time.monotonic() + PRUNE_EVERY
        before = now - timedelta(seconds=self.keep_empty)
        total = 0
        while True:  # short transactions: a few thousand rows each
            with self.sessions.begin() as session:
                n = dispatch.prune_empty_runs(session, before)
            total += n
            if n == 0:
                break
        if total:
            logger.info("deleted %d runs older than %s that found nothing", total, before)
        return total

    def _measure(self, now: datetime, handed: int) -> None:
        with self.sessions() as session:
            backlog = dispatch.backlog(session, self.names, now)
        oldest = (now - backlog.oldest_due).total_seconds() if backlog.oldest_due else 0.0
        self.view = BacklogView(
            backlog.due, backlog.queued, max(0.0, oldest), self.view.dispatched + handed,
            time.time(),
        )  # fmt: skip
        late = oldest > self.late_after
        if late and time.monotonic() - self.last_warning > OVERLOAD_LOG_EVERY:
            logger.warning(
                "backlog: %d sources due (%d handed to workers), the oldest due for %.0fs; "
                "polled oldest first; add workers or lengthen intervals if this lasts",
                backlog.due, backlog.queued, oldest,
            )  # fmt: skip
            self.last_warning = time.monotonic()
        elif not late and self.overloaded:
            logger.info(
                "backlog cleared: %d sources due, the oldest for %.0fs", backlog.due, oldest
            )
        self.overloaded = late
