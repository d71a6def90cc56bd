"""ExtractPipeline: turns fetched pages into flagged article records, off the reactor.

trafilatura takes 20-50 ms of CPU per real page; run inline it would stall downloads.
So pages go to a process pool (``forkserver``: forking a process whose reactor runs
breaks the child) sized by ``WIREWATCH_EXTRACT_WORKERS`` (0 = one per core), awaited
from ``async def process_item``; ``WIREWATCH_EXTRACT_INLINE`` extracts in the Scrapy
process instead, for measurements and debugging. ``wirewatch crawl`` starts the pool
before Scrapy (``start_pool``, handed over as ``WIREWATCH_EXTRACT_POOL``). Pages with no
article, and pages whose extraction hangs or kills its worker, are dropped with their
reason; the store pipeline records those drops as failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from typing import Any

from scrapy.exceptions import DropItem

from pipelines import worker
from pipelines.extraction import DEFAULT_MIN_CHARS
from scrapers.items import ArticlePage
from wirecore.errors import ExtractionError

logger = logging.getLogger(__name__)

EXTRACT_TIMEOUT = 120.0
"""Seconds one page may take in a worker; the worker is then killed and replaced."""


class SharedPool:
    """An extraction pool started before the crawler, handed over in its settings.

    Scrapy deep-copies settings; a pool is shared, not copied. Every crawl that shares it
    sees a replacement (after a worker was killed or crashed) at once; its owner (whoever
    started it) shuts it down, not the crawls.
    """

    def __init__(self, pool: Executor) -> None:
        self.pool = pool

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedPool:
        return self


def start_fork_server() -> BaseContext:
    """Start the fork server extraction workers are forked from, without waiting for it.

    It imports ``pipelines.preload`` (trafilatura, the language model, the Russian
    dictionary: ~1 s) on its own core while the caller goes on; calling this again is cheap.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["pipelines.preload"])
    forkserver.ensure_running()
    return ctx


def start_pool(topics: Mapping[str, Mapping[str, Any]], workers: int = 0) -> ProcessPoolExecutor:
    """Start the extraction workers (``workers`` 0: one per core) and return at once.

    Forking a worker waits for the fork server to finish loading, so the workers are
    started from a thread; pages submitted meanwhile queue until a worker is up.
    """
    ctx = start_fork_server()
    workers = workers if workers > 0 else default_workers()
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=worker.init_worker,
        initargs=(dict(topics),),
    )

    def spawn() -> None:
        with contextlib.suppress(RuntimeError):  # shut down before it was up
            for _ in range(workers):
                pool.submit(worker.warm_up)

    threading.Thread(target=spawn, name="extract-pool-start", daemon=True).start()
    return pool


def _kill_workers(pool: Executor) -> None:
    """Stop a pool now, killing workers that are still running a task."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    # before 3.14 there is no public way; the pool's process table is the only handle
    processes = dict(getattr(pool, "_processes", None) or {})
    for process in processes.values():
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def default_workers() -> int:
    """One extraction process per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class ExtractPipeline:
    """Extract text, metadata and topic flags from each ArticlePage in worker processes."""

    def __init__(
        self,
        stats: Any,
        topics: Mapping[str, Mapping[str, Any]],
        *,
        workers: int,
        fast: bool,
        min_chars: int,
        inline: bool = False,
        shared: SharedPool | None = None,
        timeout: float = EXTRACT_TIMEOUT,
    ) -> None:
        self.stats = stats
        self.topics = topics
        self.workers = workers
        self.fast = fast
        self.min_chars = min_chars
        self.inline = inline
        self.shared = None if inline else shared
        self.owned = False  # True when this pipeline started the pool (and stops it)
        self.timeout = timeout
        self._alone = asyncio.Semaphore(max(1, workers))  # pages retried in a worker each
        self.work: Callable[..., Any] = worker.process_page
        """What a worker runs for one page (a module-level function, so it pickles)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        """Read ``WIREWATCH_TOPICS`` and ``WIREWATCH_EXTRACT_*`` settings."""
        settings = crawler.settings
        workers = settings.getint("WIREWATCH_EXTRACT_WORKERS", 0)
        shared = settings.get("WIREWATCH_EXTRACT_POOL")
        return cls(
            crawler.stats,
            settings.getdict("WIREWATCH_TOPICS"),
            workers=workers if workers > 0 else default_workers(),
            fast=settings.getbool("WIREWATCH_EXTRACT_FAST", False),
            min_chars=settings.getint("WIREWATCH_EXTRACT_MIN_CHARS", DEFAULT_MIN_CHARS),
            inline=settings.getbool("WIREWATCH_EXTRACT_INLINE", False),
            shared=shared if isinstance(shared, SharedPool) else None,
            timeout=settings.getfloat("WIREWATCH_EXTRACT_TIMEOUT", EXTRACT_TIMEOUT),
        )

    @property
    def pool(self) -> Executor | None:
        """The pool pages go to now (None: inline)."""
        return self.shared.pool if self.shared is not None else None

    def open_spider(self) -> None:
        """Start the worker processes (or extract inline, for measurements and debugging)."""
        if self.inline:
            worker.init_worker(self.topics)
        elif self.shared is None:
            self.shared = SharedPool(start_pool(self.topics, self.workers))
            self.owned = True

    async def process_item(self, item: Any) -> Any:
        """Replace an ArticlePage by its ArticleRecord; pass anything else through.

        A page that takes longer than the timeout gets its worker killed: a running task
        cannot be cancelled, and a stuck worker would hold a core and the crawl's end.
        Killing or losing a worker breaks the whole pool, and the pages in flight on it
        cannot tell whose fault it was: each is tried once more in a worker of its own, so
        a page that kills workers costs only itself.
        """
        if not isinstance(item, ArticlePage):
            return item
        call = partial(self.work, item, fast=self.fast, min_chars=self.min_chars)
        try:
            if self.pool is None:
                return call()
            pool = self.pool
            try:
                return await self._extract(pool, call, item.url)
            except BrokenProcessPool:
                self._replace_pool(pool)
            async with self._alone:
                alone = start_pool(self.topics, 1)
                try:
                    return await self._extract(alone, call, item.url)
                except BrokenProcessPool:
                    logger.error("an extraction worker died on %s", item.url)
                    raise DropItem(
                        "no article: the extraction worker crashed on this page"
                    ) from None
                finally:
                    _kill_workers(alone)
        except ExtractionError as err:
            self.stats.inc_value(f"wirewatch/{item.source}/not_article")
            raise DropItem(f"no article: {err.reason}") from None

    async def _extract(self, pool: Executor, call: Callable[[], Any], url: str) -> Any:
        try:
            return await asyncio.wait_for(asyncio.wrap_future(pool.submit(call)), self.timeout)
        except TimeoutError:
            logger.error("extraction of %s took over %gs; killing its worker", url, self.timeout)
            self._replace_pool(pool)
            raise DropItem(f"no article: extraction took over {self.timeout:g}s") from None

    def _replace_pool(self, broken: Executor) -> None:
        """Kill the shared pool's workers and start a new pool, unless that was done already."""
        if self.shared is None or self.shared.pool is not broken:
            return
        _kill_workers(broken)
        self.shared.pool = start_pool(self.topics, self.workers)

    def close_spider(self) -> None:
        """Stop the worker processes, if this pipeline started them."""
        if self.owned and self.shared is not None:
            self.shared.pool.shutdown(wait=True, cancel_futures=True)
            self.shared = None
