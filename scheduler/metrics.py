"""Prometheus metrics of the service, on a registry built in ``main()``.

Article and run counts come from the database at scrape time (``crawl_run_sources``,
``topic_matches``, ``service_reports``), so crawl children push nothing and the numbers
survive restarts and leader changes. Crawl durations and failure reasons are observed by
the process that ran the crawls.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from storage.models import Article, CrawlRun, CrawlRunSource, Source, TopicMatch
from storage.models_service import ServiceReport
from storage.writes import COUNT_FIELDS
from wirecore.outcomes import RunFailure

DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
"""Histogram buckets of crawl durations, in seconds."""


class DatabaseCollector(Collector):
    """Counts read from the database on every scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """Yield the database-backed metrics (only ``wirewatch_database_up 0`` when down)."""
        up = GaugeMetricFamily("wirewatch_database_up", "1 when the database answered")
        try:
            families = self._families()
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> list[Metric]:
        counts = {
            name: CounterMetricFamily(
                f"wirewatch_articles_{name}", f"Articles {name} by crawls", labels=["source"]
            )
            for name in COUNT_FIELDS
        }
        runs = CounterMetricFamily(
            "wirewatch_crawl_runs", "Crawl runs by how they ended", labels=["source", "status"]
        )
        last = GaugeMetricFamily(
            "wirewatch_last_success_timestamp_seconds",
            "When the last ok or partial crawl of a source finished",
            labels=["source"],
        )
        topics = GaugeMetricFamily(
            "wirewatch_flagged_articles",
            "Stored articles flagged for a topic",
            labels=["source", "topic"],
        )
        reports = CounterMetricFamily(
            "wirewatch_report_deliveries", "Daily reports by outcome", labels=["status"]
        )
        crs, run = CrawlRunSource, CrawlRun
        with self.engine.connect() as conn:
            sums = [func.coalesce(func.sum(getattr(crs, f)), 0) for f in COUNT_FIELDS]
            for source, *values in conn.execute(select(crs.source, *sums).group_by(crs.source)):
                for name, value in zip(COUNT_FIELDS, values, strict=True):
                    counts[name].add_metric([source], int(value))
            stmt = (
                select(crs.source, run.status, func.count(), func.max(run.finished_at))
                .join(run, run.id == crs.run_id)
                .group_by(crs.source, run.status)
            )
            best: dict[str, datetime] = {}
            for source, status, n, finished in conn.execute(stmt):
                runs.add_metric([source, status], n)
                if status in ("ok", "partial") and finished is not None:
                    best[source] = max(best.get(source, finished), finished)
            for source, finished in best.items():
                last.add_metric([source], _epoch(finished))
            topic_stmt = (
                select(Source.name, TopicMatch.topic, func.count())
                .join(Article, Article.id == TopicMatch.article_id)
                .join(Source, Source.id == Article.source_id)
                .group_by(Source.name, TopicMatch.topic)
            )
            for source, topic, n in conn.execute(topic_stmt):
                topics.add_metric([source, topic], n)
            stmt2 = select(ServiceReport.status, func.count()).group_by(ServiceReport.status)
            for status, n in conn.execute(stmt2):
                reports.add_metric([status], n)
        return [*counts.values(), runs, last, topics, reports]


class ServiceMetrics:
    """The registry served on /metrics and the metrics this process observes itself.

    Polls are run by the service's worker children, which report each one on their stdout
    (``observe_poll``); the backlog gauges read what the dispatcher last measured.
    """

    def __init__(self, engine: Engine, dispatcher: Any = None) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(DatabaseCollector(engine))
        self.durations = Histogram(
            "wirewatch_crawl_duration_seconds",
            "Wall-clock time of polls run by this service's workers",
            ["source"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.failures = Counter(
            "wirewatch_crawl_failures",
            "Polls run by this service's workers that failed, by reason",
            ["source", "reason"],
            registry=self.registry,
        )
        self.polls = Counter(
            "wirewatch_worker_polls", "Polls run by each of this service's workers",
            ["worker", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.leader = Gauge(
            "wirewatch_leader", "1 while this process leads the schedule", registry=self.registry
        )
        self.restarts = Counter(
            "wirewatch_worker_restarts", "Crawl workers that died and were restarted",
            registry=self.registry,
        )  # fmt: skip
        if dispatcher is not None:
            view = lambda: dispatcher.view  # noqa: E731
            Gauge(
                "wirewatch_due_sources", "Sources due and not polled yet (leader only)",
                registry=self.registry,
            ).set_function(lambda: view().due)  # fmt: skip
            Gauge(
                "wirewatch_oldest_due_seconds",
                "How long the longest-waiting due source has waited (leader only)",
                registry=self.registry,
            ).set_function(lambda: view().oldest_seconds)
            self.dispatcher = dispatcher

    def observe_poll(
        self, worker: str, source: str, seconds: float, failure: RunFailure | None
    ) -> None:
        """Count one poll a worker finished (``failure``: None when it went well)."""
        self.durations.labels(source).observe(seconds)
        self.polls.labels(worker, "ok" if failure is None else "failed").inc()
        if failure is not None:
            self.failures.labels(source, str(failure.kind)).inc()


def _epoch(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


class WorkerMetrics:
    """The registry of a crawl worker's /metrics: its polls, labelled with its name."""

    def __init__(self, worker: Any) -> None:
        self.registry = CollectorRegistry()
        self.worker = worker
        labels = ["worker"]
        self.polls = Counter(
            "wirewatch_worker_polls", "Polls run by this worker", [*labels, "outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.durations = Histogram(
            "wirewatch_poll_duration_seconds", "Wall-clock time of one poll of one source",
            labels, buckets=DURATION_BUCKETS, registry=self.registry,
        )  # fmt: skip
        in_flight = Gauge(
            "wirewatch_worker_polls_in_flight", "Polls running now", labels, registry=self.registry
        )
        in_flight.labels(worker.name).set_function(lambda: len(worker.active))
        up = Gauge(
            "wirewatch_worker_queue_up", "1 while the work queue answers", labels,
            registry=self.registry,
        )  # fmt: skip
        up.labels(worker.name).set_function(lambda: worker.stats.queue_error is None)

    def observe(self, source: str, seconds: float, failure: RunFailure | None) -> None:
        """Count one finished poll (the worker's ``on_poll``; ``failure`` None if it went well)."""
        self.polls.labels(self.worker.name, "ok" if failure is None else "failed").inc()
        self.durations.labels(self.worker.name).observe(seconds)
