"""A long-lived crawl worker: one Scrapy process on the asyncio reactor, fed polls by a queue.

The worker keeps one ``AsyncCrawlerRunner`` and one warm extraction pool for its whole
life and runs each order (one poll of one source) as a short crawl of that source, up to
``[cluster] polls_per_worker`` at once, so Scrapy's per-source download slots keep every
source polite while hundreds are polled side by side, and a slow or hanging source holds
only its own poll. Before polling, the worker takes the source's lease in the database
(``storage.dispatch.claim``): a source is never polled by two workers at once, and an
order delivered twice is skipped. While a poll runs its lease and its queue entry are kept
alive; when it ends (stored, or failed and backed off) the lease is released and the
order acknowledged. A worker that dies leaves its leases to expire and its orders to be
taken over (``scheduler.queues``); the crawl run it had open is closed as failed by
whoever takes the source over.

Entry points: ``run_worker`` (``wirewatch worker`` and the service's local worker child).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from scrapy.settings import Settings
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from scheduler.queues import Consumer, Delivery, QueueError
from scheduler.settings import RunConfig
from storage import dispatch, writes
from storage.db import make_sessionmaker
from storage.errors import one_line
from storage.sources import IntervalPolicy
from wirecore.logcontext import CURRENT_RUN as RUN_ID
from wirecore.outcomes import FailureKind, RunFailure, RunStatus
from wirecore.sources import SourceConfig

logger = logging.getLogger(__name__)


CLAIM_RETRY = 2.0
"""Seconds between two tries to claim a source while the database is unreachable."""

TURN = 0.02
"""Seconds a worker waits after taking an order before it asks for the next."""


def worker_name() -> str:
    """``host:pid:random``, unique across hosts and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class WorkerStats:
    """What this worker did, for /healthz and /metrics."""

    polls: int = 0
    failed: int = 0
    skipped: int = 0
    dropped: int = 0
    queue_error: str | None = None
    database_error: str | None = None
    started: float = field(default_factory=time.time)
    last_poll: float | None = None


class CrawlWorker:
    """Takes orders from a queue and polls their sources, many at once, in this process."""

    def __init__(
        self,
        config: RunConfig,
        engine: Engine,
        consumer: Consumer,
        *,
        name: str,
        settings_for: Callable[[str], Settings],
        on_poll: Callable[[str, float, RunFailure | None], None] | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.sessions = make_sessionmaker(engine)
        self.consumer = consumer
        self.name = name
        self.on_poll = on_poll or (lambda source, seconds, failure: None)
        self.capacity = config.cluster.polls_per_worker
        self.lease = config.cluster.lease
        self.sources = {s.name: s for s in config.sources if s.enabled}
        self.active: dict[str, Delivery] = {}
        self.crawlers: dict[str, Any] = {}
        self.stats = WorkerStats()
        self.stopping = False
        self.unacked: list[str] = []
        self.slot = asyncio.Event()
        self.runner: Any = None
        self.settings_for = settings_for

    # -- life cycle
    async def run(self) -> None:
        """Poll until ``stop``; then let the running polls finish (bounded by the caller)."""
        from scrapy.crawler import AsyncCrawlerRunner

        # each poll's crawler brings all its settings; the runner would merge its own into
        # them as defaults (Scrapy 2.19 overrides equal priorities), so it gets only ours
        runner_settings = Settings()
        runner_settings.setmodule("scrapers.settings", priority="project")
        self.runner = AsyncCrawlerRunner(runner_settings)
        keepalive = asyncio.ensure_future(self._keepalive())
        tasks: set[asyncio.Task[None]] = set()
        last_reclaim = 0.0
        try:
            while not self.stopping:
                free = self.capacity - len(self.active)
                if free <= 0:
                    self.slot.clear()
                    await self.slot.wait()
                    continue
                reclaim = time.monotonic() - last_reclaim > self.lease / 3
                deliveries = await self._receive(free, reclaim)
                if reclaim:
                    last_reclaim = time.monotonic()
                for delivery in deliveries:
                    task = asyncio.ensure_future(self._poll(delivery))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if deliveries:
                    # let the other idle workers take the next order of a burst first:
                    # taking turns is what splits the load evenly between them
                    await asyncio.sleep(TURN)
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            keepalive.cancel()
            self._flush_acks()

    def stop(self) -> None:
        """Take no new orders; the running polls finish."""
        self.stopping = True
        self.slot.set()

    async def stop_crawls(self) -> None:
        """Close every running crawl now (its spider flushes what it fetched)."""
        for crawler in list(self.crawlers.values()):
            await crawler.stop_async()

    async def _receive(self, free: int, reclaim: bool) -> list[Delivery]:
        try:
            got: list[Delivery] = []
            if reclaim:
                got = await asyncio.to_thread(self.consumer.reclaim, free)
            if not got:
                # one at a time: idle workers are served in turn, so the load splits evenly
                got += await asyncio.to_thread(self.consumer.receive, 1, 1.0)
        except QueueError as err:
            if self.stats.queue_error is None:
                logger.warning("work queue unreachable, polling paused: %s", err)
            self.stats.queue_error = str(err)
            await asyncio.sleep(2.0)
            return []
        if self.stats.queue_error is not None:
            logger.info("work queue reachable again; polling resumes")
            self.stats.queue_error = None
        ended = getattr(self.consumer, "ended", None)
        if not got and ended is not None and ended.is_set():
            logger.info("end of orders; stopping")
            self.stop()
        return got

    # -- one order
    async def _poll(self, delivery: Delivery) -> None:
        order = delivery.order
        if order is None or order.source not in self.sources:
            why = delivery.error or f"unknown or disabled source {order.source!r}"  # type: ignore[union-attr]
            logger.warning("dropped an order on the queue: %s", why)
            self.stats.dropped += 1
            self._ack(delivery.ref)
            return
        name = order.source
        if name in self.active:
            self._ack(delivery.ref)  # the same source is being polled here already
            return
        self.active[name] = delivery
        try:
            await self._claimed_poll(name, delivery)
        finally:
            self.active.pop(name, None)
            self.slot.set()

    async def _claimed_poll(self, name: str, delivery: Delivery) -> None:
        while True:  # the order is kept until the database answers (a pipe cannot resend)
            started = datetime.now(UTC)
            try:
                run_id = await asyncio.to_thread(self._claim, name, started)
                break
            except SQLAlchemyError as err:
                self._database_down(err)
                if self.stopping:
                    return  # not acknowledged: a queue delivers it again
                await asyncio.sleep(CLAIM_RETRY)
        self._database_up()
        if run_id is None:
            self.stats.skipped += 1
            self._ack(delivery.ref)
            return
        src = self.sources[name]
        began = time.monotonic()
        failure = await self._crawl(src, run_id)
        seconds = time.monotonic() - began
        try:
            released = await asyncio.to_thread(self._release, src, started)
        except SQLAlchemyError as err:
            self._database_down(err)
            released = None
        if released is not None and released.backed_off and failure is None:
            failure = RunFailure(FailureKind.CRASH, "the poll ended without recording its state")
        if released is not None and released.failures >= 2 and released.next_poll:
            wait = (released.next_poll - datetime.now(UTC)).total_seconds()
            logger.warning(
                "%s failed %d times in a row; next attempt in about %.0fs",
                name, released.failures, max(0.0, wait),
            )  # fmt: skip
        self.stats.polls += 1
        self.stats.last_poll = time.time()
        if failure is not None:
            self.stats.failed += 1
        self.on_poll(name, seconds, failure)
        self._ack(delivery.ref)

    def _claim(self, name: str, now: datetime) -> int | None:
        """Take the lease and open the poll's crawl run (one transaction); None if not ours."""
        with self.sessions.begin() as session:
            interval = self.sources[name].interval
            got = dispatch.claim(session, name, self.name, now, self.lease, interval=interval)
            if got is None:
                return None
            if got.lost_run is not None:
                _close_lost_run(session, got.lost_run, got.lost_owner)
            run_id = writes.start_run(session, [name])
            dispatch.set_lease_run(session, name, self.name, run_id)
        return run_id

    def _release(self, src: SourceConfig, started: datetime) -> dispatch.Released | None:
        low, high = src.interval_bounds
        policy = IntervalPolicy(base=src.interval, minimum=low, maximum=high)
        with self.sessions.begin() as session:
            return dispatch.release(
                session, src.name, self.name, datetime.now(UTC), policy=policy,
                polled_since=started,
            )  # fmt: skip

    async def _crawl(self, src: SourceConfig, run_id: int) -> RunFailure | None:
        """One poll of ``src`` as a crawl of its own; why it failed, None if it did not."""
        from scrapy.crawler import Crawler

        from scrapers.spiders.wire import WireSpider

        settings = self.settings_for(src.name)
        settings.set("WIREWATCH_RUN_ID", run_id, priority="cmdline")
        crawler = Crawler(WireSpider, settings)
        self.crawlers[src.name] = crawler
        token = RUN_ID.set(run_id)
        timeout = self.config.service.timeout_for(src.interval)
        try:
            task = self.runner.crawl(crawler, sources=src.name)
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except TimeoutError:
                logger.error("poll of %s exceeded %.0fs; stopping it", src.name, timeout)
                await crawler.stop_async()
                await asyncio.wait_for(task, 60.0)
                reason = RunFailure(FailureKind.TIMEOUT, f"still running after {timeout:.0f}s")
                await asyncio.to_thread(_fail_run, self.sessions, run_id, reason)
                return reason
        except Exception as err:  # a crawl must never take the worker down
            logger.error("poll of %s failed: %s", src.name, one_line(err))
            reason = RunFailure(FailureKind.CRASH, one_line(err)[:290])
            await asyncio.to_thread(_fail_run, self.sessions, run_id, reason)
            return reason
        finally:
            RUN_ID.reset(token)
            self.crawlers.pop(src.name, None)
        stats = crawler.stats.get_stats() if crawler.stats is not None else {}
        if not stats.get(f"wirewatch/{src.name}/feeds_ok"):
            return RunFailure(
                FailureKind.FETCH, "no feed, sitemap or listing of the source answered"
            )
        return None

    # -- housekeeping
    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, self.lease / 3))
            names, refs = list(self.active), [d.ref for d in self.active.values()]
            try:
                await asyncio.to_thread(self._renew, names)
                self._database_up()
            except SQLAlchemyError as err:
                self._database_down(err)
            try:
                await asyncio.to_thread(self.consumer.keepalive, refs)
                self._flush_acks()
            except QueueError:
                pass  # _receive reports the queue's state

    def _renew(self, names: list[str]) -> None:
        with self.sessions.begin() as session:
            dispatch.renew(session, names, self.name, datetime.now(UTC), self.lease)

    def _ack(self, ref: str) -> None:
        self.unacked.append(ref)
        self._flush_acks()

    def _flush_acks(self) -> None:
        while self.unacked:
            try:
                self.consumer.ack(self.unacked[0])
            except QueueError:
                return  # kept; acknowledged when the queue is back
            self.unacked.pop(0)

    def _database_down(self, err: SQLAlchemyError) -> None:
        if self.stats.database_error is None:
            logger.warning("database unreachable, polls wait: %s", one_line(err))
        self.stats.database_error = one_line(err)

    def _database_up(self) -> None:
        if self.stats.database_error is not None:
            logger.info("database reachable again")
            self.stats.database_error = None


def _close_lost_run(session: Any, run_id: int, owner: str | None) -> None:
    """Close the run a vanished worker left open (its lease expired mid-poll)."""
    reason = RunFailure(FailureKind.LOST, f"worker {owner} stopped renewing its lease mid-poll")
    if writes.end_run(session, run_id, RunStatus.FAILED, reason):
        logger.warning("run %s of a vanished worker closed as failed (%s)", run_id, owner)


_ENDED_BY_SPIDER = (RunStatus.RUNNING, RunStatus.OK, RunStatus.PARTIAL, RunStatus.INTERRUPTED)
"""Statuses a timed-out or crashed poll's run may be in: its spider may have closed it."""


def _fail_run(sessions: Any, run_id: int, reason: RunFailure) -> None:
    """Record a poll that timed out or crashed as failed (over how its spider closed it)."""
    try:
        with sessions.begin() as session:
            writes.end_run(session, run_id, RunStatus.FAILED, reason, only_from=_ENDED_BY_SPIDER)
    except SQLAlchemyError as err:
        logger.error("could not record the end of run %s: %s", run_id, one_line(err))


def install_signal_handlers(on_first: Callable[[], None], on_second: Callable[[], None]) -> None:
    """SIGTERM/SIGINT: a graceful stop first, an immediate exit on the second signal."""
    seen = {"n": 0}

    def handle(signum: int, frame: FrameType | None) -> None:
        seen["n"] += 1
        (on_first if seen["n"] == 1 else on_second)()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handle)
