"""StorePipeline: writes articles and failures in batches of short transactions.

One crawl is one ``crawl_runs`` row: a new one, or the one ``WIREWATCH_RUN_ID`` names (the
service writes it before starting the crawl child, so it can finish it if the child dies).
Items are buffered and written every ``WIREWATCH_STORE_BATCH_SIZE`` items or
``WIREWATCH_STORE_FLUSH_SECONDS``, each batch in its own transaction (the articles and
failures, then the polling state they were listed under: ``pipelines.pollstate``), so
killing a crawl loses at most the batch in flight. Pages the extract pipeline dropped are
recorded as failures with the drop's reason. When the database is unreachable the batch
stays buffered and is retried at the next flush.

The run row names its owning process and gets a heartbeat every minute, so a crawl that
is killed can be told apart from one that runs (``storage.runs.close_lost_runs``).
Records still unwritten when the crawl ends (database gone, disk full) are spooled to
``WIREWATCH_SPOOL_DIR`` and written by the next crawl (``pipelines.spool``); the run's
status, error and the crawl stats say how many and where. An error in another pipeline
is a recorded failure of its page, never a silent loss.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from twisted.internet import task

from pipelines import spool
from pipelines.pollstate import PendingState, record_sources
from pipelines.runstate import RunTally, failure_of, run_status
from pipelines.storykeys import LINKER, story_print
from scrapers.items import ArticlePage
from scrapers.urls import identity_key
from storage import identity, runs, writes
from storage.backfill import BackfillStep
from storage.db import SharedEngine, make_engine, make_sessionmaker
from storage.errors import one_line
from storage.records import ArticleRecord, FailureRecord
from storage.sources import FeedPoll
from wirecore.outcomes import StoreOutcome
from wirecore.sources import SourceConfig

logger = logging.getLogger(__name__)


class StorePipeline:
    """Persist ArticleRecords and FailureRecords; keep the crawl run's per-source counts."""

    def __init__(
        self,
        crawler: Any,
        url: str,
        *,
        batch_size: int,
        flush_seconds: float,
        spool_dir: Path | None = None,
    ) -> None:
        self.crawler = crawler
        self.spool_dir = spool_dir
        self.replayed: list[Path] = []
        self.last_beat = monotonic()
        self.last_error: str | None = None
        self.url = url
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.articles: list[ArticleRecord] = []
        self.failures: list[FailureRecord] = []
        self.tally = RunTally()
        self.state = PendingState()
        self.configured: dict[str, SourceConfig] = {}
        self.run_id: int | None = None
        self.loop: task.LoopingCall | None = None
        self.write_errors = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        """Read ``WIREWATCH_DATABASE_URL`` and ``WIREWATCH_STORE_*``; connect signals."""
        settings = crawler.settings
        url = settings.get("WIREWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("WIREWATCH_DATABASE_URL is not set")
        pipeline = cls(
            crawler,
            url,
            batch_size=settings.getint("WIREWATCH_STORE_BATCH_SIZE", 100),
            flush_seconds=settings.getfloat("WIREWATCH_STORE_FLUSH_SECONDS", 2.0),
            spool_dir=Path(d) if (d := settings.get("WIREWATCH_SPOOL_DIR")) else None,
        )
        crawler.signals.connect(pipeline.item_error, signal=signals.item_error)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        """Open the database and start this crawl's run row."""
        spider = self.crawler.spider
        shared = self.crawler.settings.get("WIREWATCH_DB_ENGINE")
        self.owns_engine = not isinstance(shared, SharedEngine)
        self.engine = make_engine(self.url) if self.owns_engine else shared.engine
        self.sessions = make_sessionmaker(self.engine)
        self.configured = dict(getattr(spider, "sources", {}))
        sources = {name: src.language for name, src in self.configured.items()}
        self.tally = RunTally(sources)
        given = self.crawler.settings.getint("WIREWATCH_RUN_ID", 0)  # set by the service
        try:
            with self.sessions.begin() as session:
                writes.ensure_sources(session, sources)
                if given:
                    runs.claim_run(session, given, datetime.now(UTC))
                self.run_id = given or writes.start_run(session, sorted(sources))
        except SQLAlchemyError as err:
            # the spider sees this and requests nothing; the CLI says it in one line
            self.crawler.stats.set_value("wirewatch/store_error", one_line(err))
            logger.error("cannot start the crawl run: %s", one_line(err))
            self._release_engine()
            return
        self.crawler.stats.set_value("wirewatch/run_id", self.run_id)
        self._replay()
        logger.info("crawl run %s started: %s", self.run_id, ", ".join(sorted(sources)))
        self.loop = task.LoopingCall(self.flush)
        self.loop.start(self.flush_seconds, now=False)

    def process_item(self, item: Any) -> Any:
        """Buffer a record; write the buffer when it is full."""
        if isinstance(item, ArticleRecord):
            self.articles.append(item)
        elif isinstance(item, FailureRecord):
            self.failures.append(item)
        elif isinstance(item, FeedPoll):
            self.state.add_poll(item)
        elif isinstance(item, BackfillStep):
            self.state.steps.append(item)
        if len(self.articles) + len(self.failures) >= self.batch_size:
            self.flush()
        return item

    def item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        """Remember the feed link a stored article was listed under (not downloaded again)."""
        meta = getattr(response, "meta", None) or {}
        if isinstance(item, ArticleRecord) and meta.get("wirewatch_listed"):
            entry_updated = meta.get("wirewatch_entry_updated")
            self.state.links.append(
                (meta["wirewatch_listed"], item.source, entry_updated, item.fetched_at)
            )

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any) -> None:
        """Record a page the extract pipeline dropped, with the reason it gave."""
        if isinstance(item, ArticlePage):
            reason = str(exception).removeprefix("no article: ") or type(exception).__name__
            self.failures.append(
                FailureRecord(
                    source=item.source,
                    url=item.url,
                    stage="extract",
                    reason=reason,
                    http_status=None,
                    occurred_at=datetime.now(UTC),
                )
            )

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        """Record a page or article another pipeline failed on, with the error."""
        if (record := failure_of(item, failure.value)) is not None:
            self.failures.append(record)

    def _replay(self) -> None:
        """Queue the records earlier crawls spooled, to be written first."""
        if self.spool_dir is None:
            return
        try:
            self.replayed = spool.claim(self.spool_dir)
        except OSError as err:
            logger.error("cannot read the spool %s: %s", self.spool_dir, err.strerror or err)
            return
        records = spool.load(self.replayed)
        if records:
            logger.info("writing %d records spooled by earlier crawls", len(records))
        self.articles[:0] = [r for r in records if isinstance(r, ArticleRecord)]
        self.failures[:0] = [r for r in records if isinstance(r, FailureRecord)]

    def _beat(self) -> None:
        if self.run_id is None or monotonic() - self.last_beat < runs.HEARTBEAT_EVERY:
            return
        self.last_beat = monotonic()
        try:
            with self.sessions.begin() as session:
                runs.heartbeat(session, self.run_id, datetime.now(UTC))
        except SQLAlchemyError as err:
            logger.debug("heartbeat of run %s not written: %s", self.run_id, one_line(err))

    def flush(self) -> None:
        """Write buffered records, then the polling state, in one short transaction.

        A database that is unreachable keeps everything for the next flush. A batch the
        database refuses (a value it cannot store) is retried one record at a time, and
        the records it still refuses are recorded as ``store`` failures, so one bad
        record never blocks the rest; polling state it refuses is dropped with a log line
        (its feeds are simply polled again).
        """
        self._beat()
        if not (self.articles or self.failures or self.state):
            return
        articles, failures = self.articles, self.failures
        self.articles, self.failures = [], []
        try:
            with self.sessions.begin() as session:
                outcomes = self._store_articles(session, articles)
                writes.record_failures(session, self.run_id, failures)
                self.state.write(session)
            self.state.clear()
        except (OperationalError, InterfaceError) as err:
            self.write_errors += 1
            self.last_error = one_line(err)
            self.articles, self.failures = articles + self.articles, failures + self.failures
            logger.error(
                "database write failed, %d records kept for retry: %s",
                len(self.articles) + len(self.failures),
                one_line(err),
            )
            return
        except Exception as err:  # a value the database or our code refuses
            logger.warning("batch refused (%s); writing its records one by one", one_line(err))
            articles, outcomes, refused = self._write_one_by_one(articles)
            failures = self._write_failures(failures + refused)
            self._write_state()
        spool.release(self.replayed)
        self.replayed = []
        self._count(articles, outcomes, failures)

    def _store_articles(
        self, session: Session, articles: list[ArticleRecord]
    ) -> list[StoreOutcome]:
        """Store articles (variants resolved, fingerprints clustered); what each write did."""
        if not articles:
            return []
        resolved = identity.resolve_variants(session, articles, identity_key)
        outcomes = writes.store_articles(session, self.run_id, resolved)
        identity.remember_keys(session, {r.url for r in resolved}, identity_key)
        changed = [
            story_print(r)
            for r, outcome in zip(resolved, outcomes, strict=True)
            if outcome is not StoreOutcome.UNCHANGED
        ]
        identity.assign_clusters(session, changed, linker=LINKER)
        return outcomes

    def _write_one_by_one(
        self, articles: list[ArticleRecord]
    ) -> tuple[list[ArticleRecord], list[StoreOutcome], list[FailureRecord]]:
        stored: list[ArticleRecord] = []
        outcomes: list[StoreOutcome] = []
        refused: list[FailureRecord] = []
        for record in articles:
            try:
                with self.sessions.begin() as session:
                    outcomes += self._store_articles(session, [record])
                stored.append(record)
            except Exception as err:
                refused.append(
                    FailureRecord(
                        source=record.source,
                        url=record.url,
                        stage="store",
                        reason=f"database refused the article: {one_line(err)}"[:300],
                        http_status=None,
                        occurred_at=datetime.now(UTC),
                    )
                )
        return stored, outcomes, refused

    def _write_failures(self, failures: list[FailureRecord]) -> list[FailureRecord]:
        """Write failures after a refused batch; returns them, or [] when kept for retry."""
        try:
            with self.sessions.begin() as session:
                writes.record_failures(session, self.run_id, failures)
            return failures
        except SQLAlchemyError as err:
            self.last_error = one_line(err)
        self.failures = failures + self.failures
        logger.error("%d failure records kept for retry: %s", len(failures), self.last_error)
        return []

    def _write_state(self) -> None:
        """Write the polling state after a refused batch: kept while the database is
        unreachable, dropped when it refuses it."""
        try:
            with self.sessions.begin() as session:
                self.state.write(session)
        except (OperationalError, InterfaceError) as err:
            self.last_error = one_line(err)
            return
        except Exception as err:
            logger.error("polling state of this batch not recorded: %s", one_line(err))
        self.state.clear()

    def _count(
        self,
        articles: list[ArticleRecord],
        outcomes: list[StoreOutcome],
        failures: list[FailureRecord],
    ) -> None:
        if undated := self.tally.stored(articles, outcomes):
            self.crawler.stats.inc_value("wirewatch/undated", undated)
        self.tally.failed(failures)
        logger.info(
            "stored: %(new)d new, %(updated)d updated, %(unchanged)d unchanged, "
            "%(flagged)d flagged, %(failed)d failed",
            self.tally.totals(),
            extra={"run_id": self.run_id},  # flushes run from reactor timers
        )

    def close_spider(self) -> None:
        """Write what is left in the buffer."""
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.run_id is not None:
            self.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Finish the run row: status from the close reason and what was stored."""
        if self.run_id is None:
            return
        stats = self.crawler.stats
        counts = self.tally.finish(stats)
        record_sources(self.sessions, self.state.all_polls, self.configured)
        lost = len(self.articles) + len(self.failures)
        error = self._spool_unwritten() if lost else None
        status = run_status(reason, counts, lost)
        stats.set_value("wirewatch/run_status", status)
        stats.set_value("wirewatch/unwritten", lost)
        stats.set_value("wirewatch/run_error", error)
        stats.set_value("wirewatch/counts", [replace(c) for c in counts])
        try:
            with self.sessions.begin() as session:
                writes.finish_run(session, self.run_id, status=status, counts=counts, error=error)
        except Exception as err:
            stats.set_value("wirewatch/finish_error", one_line(err))
            logger.error("could not finish crawl run %s: %s", self.run_id, one_line(err))
        finally:
            self._release_engine()
        logger.info("crawl run %s finished: %s (%s)", self.run_id, status, reason)

    def _release_engine(self) -> None:
        """Dispose of the engine unless it is a long-lived process's, shared by its crawls."""
        if self.owns_engine:
            self.engine.dispose()

    def _spool_unwritten(self) -> str:
        """Spool what could not be written; the run's error message says where it went."""
        records: list[ArticleRecord | FailureRecord] = [*self.articles, *self.failures]
        message, path = spool.keep(
            self.spool_dir, f"run-{self.run_id}-{os.getpid()}", records, self.last_error
        )
        if path is not None:
            spool.release(self.replayed)  # their records are in the new file
            self.crawler.stats.set_value("wirewatch/spooled", str(path))
        return message
