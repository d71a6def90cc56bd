"""The crawl worker process: asyncio reactor, warm extraction pool, health endpoint, signals.

``run_worker`` is what ``wirewatch worker`` runs (orders from the ``[cluster]`` queue) and
what ``wirewatch run`` starts as its local worker child (orders on stdin). It refuses to
start on a database whose schema is newer than this code. SIGTERM/SIGINT: take no new
orders, let running polls finish for up to ``[service] stop_grace``, then close their
spiders (they flush what they fetched) and exit 0; a second signal exits 1 at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from scheduler.queues import Consumer, RedisStreams, StdinConsumer
from scheduler.settings import CrawlSetup, RunConfig
from wirecore.outcomes import FailureKind, RunFailure

logger = logging.getLogger(__name__)

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def make_consumer(config: RunConfig, name: str, *, stdin: bool) -> Consumer:
    """The orders this worker takes: stdin (the service's child) or the configured queue."""
    if stdin:
        import sys

        return StdinConsumer(sys.stdin.buffer)
    cluster = config.cluster
    return RedisStreams(cluster.queue_url, cluster.queue_name, name, claim_idle=cluster.lease)


class SharedDict(dict[str, Any]):
    """A read-only setting every poll's crawler shares instead of deep-copying (Scrapy copies
    settings twice per crawler; the topic rules alone made that ~20 ms per poll)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedDict:
        return self


def _poll_settings_class() -> type:
    """``Settings`` whose (deep) copy is one level deep.

    Scrapy copies a crawler's settings twice as it is made, deep-copying ~250 attribute
    objects each time: ~10 ms of CPU per poll on a quiet machine, more than the poll
    itself. Settings values are never changed in place by Scrapy or our components, so a
    copy of each value one level deep is as safe and a fraction of the cost.
    """
    import copy

    from scrapy.settings import BaseSettings, Settings, SettingsAttribute

    def fast_copy(src: Any) -> Any:
        new = src.__class__.__new__(src.__class__)
        new.__dict__.update(src.__dict__)
        new.frozen = False
        new.attributes = {}
        for name, attr in src.attributes.items():
            value = attr.value
            if isinstance(value, BaseSettings):
                value = fast_copy(value)
            elif isinstance(value, dict | list | set) and not isinstance(value, SharedDict):
                value = copy.copy(value)
            new.attributes[name] = SettingsAttribute(value, attr.priority)
        return new

    class PollSettings(Settings):
        def __deepcopy__(self, memo: dict[int, Any]) -> Any:
            return fast_copy(self)

    return PollSettings


def base_settings(
    config: RunConfig, crawl: CrawlSetup, pool_holder: Any, engine: Any = None
) -> Any:
    """Scrapy settings every poll starts from (sources are set per poll)."""
    fast = _poll_settings_class()()
    settings = crawl.scrapy_settings(
        {
            "WIREWATCH_TOPICS": SharedDict(config.topics),
            "WIREWATCH_INCREMENTAL": True,
            "WIREWATCH_EXTRACT_POOL": pool_holder,
            "WIREWATCH_DB_ENGINE": engine,
            "WIREWATCH_EXTRACT_WORKERS": config.cluster.extract_workers,
            "WIREWATCH_SOURCES": [],
            "DOWNLOAD_SLOTS": {},
            "MEMUSAGE_ENABLED": False,
            "LOGSTATS_INTERVAL": 0.0,
        },
    )
    fast.update(settings)
    return fast


def poll_settings(config: RunConfig, crawl: CrawlSetup, base: Any, name: str) -> Any:
    """``base`` with the one source a poll crawls."""
    src = config.source(name)
    settings = base.copy()
    # a discovery source's articles are filed under the configured publisher they come from
    entries = (src, *(s for s in config.sources if s.name != name)) if src.discovery else (src,)
    settings.set("WIREWATCH_SOURCES", entries, priority="cmdline")
    settings.set("DOWNLOAD_SLOTS", {name: crawl.download_slot(src)}, priority="cmdline")
    return settings


IDLE_CHECK = 0.2
"""Seconds between a crawl's checks whether it is done (Scrapy's default is 5 s)."""


def run_worker(
    config: RunConfig,
    crawl: CrawlSetup,
    *,
    stdin: bool = False,
    name: str | None = None,
    report: bool = False,
) -> int:
    """Run a crawl worker until stopped; the process exit code.

    ``crawl`` (from the composition root) makes each poll's Scrapy settings.
    """
    from scrapy.utils.reactor import install_reactor

    install_reactor(REACTOR)
    from scrapy.core.engine import ExecutionEngine

    # A poll is mostly one conditional request; Scrapy notices a crawl has nothing left to
    # do on a 5 s heartbeat, which would hold each poll's slot for seconds after its work.
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = IDLE_CHECK
    from twisted.internet import reactor as _reactor

    reactor: Any = _reactor

    from pipelines.extract import SharedPool, start_pool
    from scheduler import state
    from scheduler.worker import CrawlWorker, install_signal_handlers, worker_name

    name = name or worker_name()
    wait_for_schema(config.database_url)
    consumer = make_consumer(config, name, stdin=stdin)
    engine = state.service_engine(config.database_url)
    holder = SharedPool(start_pool(config.topics, config.cluster.extract_workers))
    from storage.db import SharedEngine, make_engine

    polls_engine = make_engine(config.database_url)  # every poll's pipelines and spider
    settings = base_settings(config, crawl, holder, SharedEngine(polls_engine))
    worker = CrawlWorker(
        config,
        engine,
        consumer,
        name=name,
        settings_for=lambda n: poll_settings(config, crawl, settings, n),
    )
    health = _health(config, worker) if not report else None
    if report:
        worker.on_poll = _report_to_stdout
    done = {"code": 0}
    closing: list[asyncio.Future[None]] = []

    async def main() -> None:
        try:
            await worker.run()
        finally:
            reactor.callLater(0, reactor.stop)

    def first() -> None:
        logger.info("stopping: no new polls; running ones get %.0fs", config.service.stop_grace)
        worker.stop()

        def late() -> None:
            if worker.active:
                logger.warning("polls still running after the grace time; closing them")
                closing.append(asyncio.ensure_future(worker.stop_crawls()))

        reactor.callLater(config.service.stop_grace, late)

    def second() -> None:
        logger.warning("second signal: exiting now")
        os._exit(1)

    install_signal_handlers(
        lambda: reactor.callFromThread(first),
        second,
    )
    if health is not None:
        health.start()
    logger.info("crawl worker %s started (%d polls at once)", name, worker.capacity)
    reactor.callLater(0, lambda: asyncio.ensure_future(main()))
    reactor.run(installSignalHandlers=False)
    holder.pool.shutdown(wait=False, cancel_futures=True)
    consumer.close()
    if health is not None:
        health.stop()
    engine.dispose()
    polls_engine.dispose()
    logger.info("crawl worker %s stopped", name)
    return done["code"]


def _health(config: RunConfig, worker: Any) -> Any:
    """/healthz and /metrics of a standalone worker (``[cluster] health_port``)."""
    from scheduler.health import HealthServer, worker_health
    from scheduler.metrics import WorkerMetrics

    port = config.cluster.health_port
    if not port:
        return None
    metrics = WorkerMetrics(worker)
    worker.on_poll = metrics.observe
    return HealthServer(
        config.service.health_host, port, lambda: worker_health(worker), metrics.registry
    )


def wait_for_schema(url: str) -> None:
    """Return once the database schema is the one this code knows; raise if it is newer.

    A schema not yet upgraded (the leader upgrades it as it starts) is waited for.
    """
    from storage.db import make_engine
    from storage.errors import StorageError
    from storage.migrate import current, head, is_known

    engine = make_engine(url)
    try:
        warned = False
        while True:
            at, newest = current(engine), head()
            if at == newest:
                return
            if at is not None and not is_known(at):
                raise StorageError(
                    f"the database schema is at revision {at}, newer than this wirewatch "
                    f"knows (its newest is {newest}): upgrade wirewatch on this host"
                )
            if not warned:
                logger.warning(
                    "database schema at %s, not %s yet; waiting for the leader", at, newest
                )
                warned = True
            time.sleep(2.0)
    finally:
        engine.dispose()


def _report_to_stdout(source: str, seconds: float, failure: RunFailure | None) -> None:
    """One JSON line per finished poll, read by the service that started this worker:
    its source, seconds, and the failure's kind and detail (null when it went well)."""
    import json
    import sys

    report = {"source": source, "seconds": round(seconds, 3), "kind": None, "detail": None}
    if failure is not None:
        report |= {"kind": str(failure.kind), "detail": failure.detail}
    line = json.dumps(report)
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass  # the service is gone; the poll itself is stored


def read_poll_report(line: bytes | str) -> tuple[str, float, RunFailure | None]:
    """A worker's poll report read back: (source, seconds, failure or None).

    Raises ``ValueError``, ``KeyError`` or ``TypeError`` on a line that is not one."""
    import json

    data = json.loads(line)
    kind = data["kind"]
    failure = None if kind is None else RunFailure(FailureKind(kind), str(data["detail"]))
    return str(data["source"]), float(data["seconds"]), failure
