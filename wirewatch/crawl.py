"""Runs one crawl now: config -> Scrapy settings -> WireSpider -> per-source summary."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy.exc import SQLAlchemyError

from pipelines.extract import SharedPool, start_pool
from scrapers.downloader import slot_delay
from storage import queries, runs
from storage.db import make_engine, make_sessionmaker
from storage.errors import StorageError
from storage.migrate import upgrade
from storage.records import SourceCounts
from wirecore.errors import CrawlError
from wirewatch.config import Config
from wirewatch.logs import quiet_libraries

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CrawlSummary:
    """What one crawl did, per source, and whether anything could be crawled at all."""

    run_id: int | None
    counts: list[SourceCounts]
    feeds_ok: int
    finish_reason: str
    status: str = "unknown"
    unwritten: int = 0
    problem: str | None = None
    """Why the crawl's results are not all stored (records unwritten, run not finished)."""
    undated: int = 0
    """New articles stored without a publication time (no usable date on their page)."""

    @property
    def nothing_crawled(self) -> bool:
        """True when no feed, sitemap or article could be fetched."""
        return self.feeds_ok == 0 and sum(c.fetched for c in self.counts) == 0


def scrapy_overrides(config: Config) -> dict[str, Any]:
    """The Scrapy settings that wirewatch's configuration decides."""
    crawl = config.crawl
    return {
        "WIREWATCH_CONFIGURED": True,
        "WIREWATCH_DATABASE_URL": config.database_url,
        "WIREWATCH_SOURCES": tuple(config.sources),
        "WIREWATCH_TOPICS": {k: dict(v) for k, v in config.topics.items()},
        "WIREWATCH_MAX_AGE_DAYS": crawl.max_age_days,
        "WIREWATCH_MAX_ARTICLES_PER_SOURCE": crawl.max_articles_per_source,
        "WIREWATCH_EXTRACT_WORKERS": crawl.extract_workers,
        "WIREWATCH_EXTRACT_FAST": crawl.fast_extraction,
        "WIREWATCH_EXTRACT_INLINE": crawl.extract_in_process,
        "WIREWATCH_EXTRACT_MIN_CHARS": crawl.min_article_chars,
        "WIREWATCH_STORE_BATCH_SIZE": crawl.store_batch_size,
        "WIREWATCH_MAX_CRAWL_DELAY": crawl.max_crawl_delay,
        "WIREWATCH_MAX_RETRY_AFTER": crawl.max_retry_after,
        "WIREWATCH_SPOOL_DIR": str(config.data_dir / "spool"),
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_response_bytes,
        "DOWNLOAD_WARNSIZE": min(crawl.max_response_bytes, 2 * 1024 * 1024),
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_source,
        "RETRY_TIMES": crawl.retries,
        "DOWNLOAD_SLOTS": {
            s.name: slot_settings(s.delay, crawl.concurrency_per_source) for s in config.sources
        },
        "LOG_LEVEL": config.log_level,
    }


SLOT_JITTER = 0.2
"""Random spread of a source's request spacing (Scrapy's per-slot ``jitter``)."""


def slot_settings(delay: float, concurrency: int) -> dict[str, float]:
    """A source's download slot: at least ``delay`` seconds between its requests.

    Scrapy spaces a slot's requests by its delay times 1 +- jitter, so a ``delay`` of 1 s
    with its default jitter of 0.5 allows 0.5 s; the slot's delay is raised so that the
    shortest spacing is ``delay`` (1.0-1.5x ``delay``, 1.25x on average).
    """
    return {
        "delay": slot_delay(delay, SLOT_JITTER),
        "jitter": SLOT_JITTER,
        "concurrency": concurrency,
    }


def scrapy_settings(config: Config, extra: dict[str, Any] | None = None) -> Settings:
    """Scrapy settings for a crawl: ``scrapers.settings`` plus the config's overrides."""
    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    settings.update(scrapy_overrides(config), priority="cmdline")
    if extra:
        settings.update(extra, priority="cmdline")
    return settings


def prepare_database(url: str) -> None:
    """Bring the database schema up to date (Alembic owns it)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def run_crawl(
    config: Config,
    sources: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    verbose: bool = False,
    *,
    incremental: bool = False,
    spider: str | type[Spider] = "wire",
    spider_args: dict[str, Any] | None = None,
) -> CrawlSummary:
    """Crawl the given sources (all enabled ones by default) once, in this process.

    ``incremental`` polls politely: conditional feed requests, unchanged feeds not parsed,
    stored articles not downloaded again unless their feed entry says they changed.
    """
    for name in sources or ():
        config.source(name)
    if not any(s.enabled for s in config.sources if not sources or s.name in sources):
        raise CrawlError("no enabled source to crawl")
    extra = {"WIREWATCH_INCREMENTAL": incremental, **(extra or {})}
    pool = None
    if not extra.get("WIREWATCH_EXTRACT_INLINE", config.crawl.extract_in_process):
        # the workers load trafilatura and the models on the other cores meanwhile
        pool = SharedPool(start_pool(config.topics, config.crawl.extract_workers))
        extra["WIREWATCH_EXTRACT_POOL"] = pool
    try:
        prepare_database(config.database_url)
        close_lost_runs(config.database_url)
        process = CrawlerProcess(scrapy_settings(config, extra))
        quiet_libraries(config.log_level, verbose)
        crawler = process.create_crawler(spider)
        process.crawl(
            crawler, sources=",".join(sources) if sources else None, **(spider_args or {})
        )
        process.start()
    finally:
        if pool is not None:  # the pool now in use: a crashed one was replaced
            pool.pool.shutdown(wait=True, cancel_futures=True)
    stats = crawler.stats
    assert stats is not None
    return summarize(config.database_url, stats.get_stats())


def summarize(url: str, stats: dict[str, Any]) -> CrawlSummary:
    """The summary of a finished crawl from its Scrapy stats (and its run row when readable)."""
    run_id = stats.get("wirewatch/run_id")
    if run_id is None and stats.get("wirewatch/store_error"):
        raise CrawlError(f"could not start the crawl run: {stats['wirewatch/store_error']}")
    feeds_ok = sum(v for k, v in stats.items() if k.endswith("/feeds_ok"))
    counts: list[SourceCounts] = list(stats.get("wirewatch/counts") or [])
    problem = stats.get("wirewatch/run_error") if stats.get("wirewatch/unwritten") else None
    if stats.get("wirewatch/finish_error"):
        problem = "; ".join(
            filter(None, [problem, f"run not recorded: {stats['wirewatch/finish_error']}"])
        )
    else:
        try:
            counts = _run_counts(url, run_id) or counts
        except (SQLAlchemyError, StorageError) as err:
            logger.warning("could not read the counts of run %s back: %s", run_id, err)
    return CrawlSummary(
        run_id=run_id,
        counts=counts,
        feeds_ok=int(feeds_ok),
        finish_reason=str(stats.get("finish_reason", "unknown")),
        status=str(stats.get("wirewatch/run_status", "unknown")),
        unwritten=int(stats.get("wirewatch/unwritten") or 0),
        problem=problem,
        undated=int(stats.get("wirewatch/undated") or 0),
    )


def close_lost_runs(url: str) -> None:
    """Close the crawl runs whose process is gone (``storage.runs.close_lost_runs``)."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine).begin() as session:
            for lost in runs.close_lost_runs(session, datetime.now(UTC)):
                logger.warning("crawl run %s closed as failed: %s", lost.run_id, lost.failure)
    finally:
        engine.dispose()


def _run_counts(url: str, run_id: int | None) -> list[SourceCounts]:
    if run_id is None:
        return []
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return queries.run_counts(session, run_id)
    finally:
        engine.dispose()
