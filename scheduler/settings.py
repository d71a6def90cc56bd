"""What the service and its crawl workers are given by the composition root (`wirewatch`).

``scheduler`` never imports `wirewatch`: it owns the settings it consumes (``ServiceConfig``
for ``[service]``, ``ClusterConfig`` for ``[cluster]``; parsed and validated by
``wirewatch/config_service.py`` and ``wirewatch/config_cluster.py``), names what it reads
of the rest of the configuration as protocols (``RunConfig``, which `wirewatch.config.Config`
satisfies), and receives as values what only the root can make: how a poll's Scrapy
settings are built (``CrawlSetup``), how a child process of the one CLI is started
(``ChildCommand``) and the web site to run beside the service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any, Protocol

from wirecore.sources import SourceConfig


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Settings of the long-lived service (`wirewatch run`)."""

    health_host: str = "127.0.0.1"
    health_port: int = 0
    max_concurrent_crawls: int = 2
    crawl_timeout: float | None = None
    memory_limit: int = 2048
    stop_grace: float = 60.0
    leader_poll: float = 5.0
    max_backoff: float = 3600.0

    def timeout_for(self, interval: float) -> float:
        """Wall-clock limit of one crawl of a source polled every ``interval`` seconds."""
        if self.crawl_timeout is not None:
            return self.crawl_timeout
        return max(600.0, 3 * interval)


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Settings of the crawl workers and the queue that feeds them."""

    queue_url: str = ""
    queue_name: str = "wirewatch"
    workers: int = 1
    polls_per_worker: int = 32
    extract_workers: int = 1
    lease: float = 30.0
    dispatch_every: float = 1.0
    keep_empty_polls: float = 2 * 86400.0
    health_port: int = 0

    @property
    def queued(self) -> bool:
        """True when orders travel through a queue server (several nodes)."""
        return bool(self.queue_url)


class ReportSchedule(Protocol):
    """When the daily report falls due: a local time of day in a time zone."""

    @property
    def time(self) -> time:
        """Local time of day the report is made."""

    @property
    def timezone(self) -> str:
        """IANA time zone of that time (and of the report's day)."""


class RunConfig(Protocol):
    """What the service and its workers read of the configuration (`Config` is one)."""

    @property
    def database_url(self) -> str:
        """The database every process of the service shares."""

    @property
    def sources(self) -> Sequence[SourceConfig]:
        """Every configured source (disabled ones too)."""

    @property
    def topics(self) -> Mapping[str, Mapping[str, Any]]:
        """The topic rules the extraction pool flags articles with."""

    @property
    def service(self) -> ServiceConfig:
        """The ``[service]`` table."""

    @property
    def cluster(self) -> ClusterConfig:
        """The ``[cluster]`` table."""

    @property
    def report(self) -> ReportSchedule:
        """When the daily report is made."""

    def source(self, name: str) -> SourceConfig:
        """The source called ``name`` (an error when there is none)."""


class CrawlSetup(Protocol):
    """How the composition root turns its configuration into Scrapy settings for a poll."""

    def scrapy_settings(self, extra: dict[str, Any]) -> Any:
        """``scrapers.settings`` plus the configuration's overrides plus ``extra``."""

    def download_slot(self, source: SourceConfig) -> dict[str, float]:
        """The download slot of one source (delay, jitter, concurrency)."""


class Stoppable(Protocol):
    """Something running in the background that the service stops as it shuts down."""

    def stop(self) -> None:
        """Stop it and release what it holds."""


WebStarter = Callable[[], Stoppable | None]
"""Starts the read-only web site in a thread of the service (None: not enabled)."""


@dataclass(frozen=True, slots=True)
class ChildCommand:
    """How the service starts a child: a command of the one CLI, with its global options.

    ``program`` is the CLI itself (``python -m wirewatch``); the children are its commands
    ``worker`` (with the hidden ``--name``, ``--report`` and ``--stdin``), ``db upgrade``
    and ``report``.
    """

    program: tuple[str, ...]
    config_path: str | None = None
    log_format: str = "text"
    verbose: bool = False

    def args(self, *command: str) -> list[str]:
        """The argv of ``command`` with every global option the service was started with."""
        args = [*self.program, "--log-format", self.log_format]
        if self.config_path:
            args += ["--config", self.config_path]
        if self.verbose:
            args.append("--verbose")
        return [*args, *command]

    def plain(self, *command: str) -> list[str]:
        """The argv of ``command`` with ``--config`` only (the report logs the default way)."""
        args = [*self.program]
        if self.config_path:
            args += ["--config", self.config_path]
        return [*args, *command]

    def worker(self, name: str, *, stdin: bool) -> list[str]:
        """A crawl worker that reports each poll on stdout (and takes orders on stdin)."""
        return self.args("worker", "--name", name, "--report", *(["--stdin"] if stdin else []))

    def upgrade(self) -> list[str]:
        """``db upgrade``: the schema migration, in a child so Alembic never loads here."""
        return self.args("db", "upgrade")

    def report(self, day: str) -> list[str]:
        """The daily report of ``day`` (YYYY-MM-DD), made and sent."""
        return self.plain("report", "--date", day, "--send")
