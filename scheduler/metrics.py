"""Prometheus metrics of the service, on a registry built in ``main()``.

Article and run counts come from the database at scrape time (``crawl_run_sources``,
``topic_matches``, ``service_reports``), so crawl children push nothing and the numbers
survive restarts and leader changes. Crawl durations and failure reasons are observed by
the process that ran the crawls.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from storage.models import Article, CrawlRun, CrawlRunSource, Source, TopicMatch
from storage.models_service import ServiceReport
from storage.writes import COUNT_FIELDS

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
    """The registry served on /metrics and the metrics this process observes itself."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(DatabaseCollector(engine))
        self.durations = Histogram(
            "wirewatch_crawl_duration_seconds",
            "Wall-clock time of crawls run by this process",
            ["source"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.failures = Counter(
            "wirewatch_crawl_failures",
            "Crawls run by this process that failed, by reason",
            ["source", "reason"],
            registry=self.registry,
        )
        self.leader = Gauge(
            "wirewatch_leader", "1 while this process leads the schedule", registry=self.registry
        )


def _epoch(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
