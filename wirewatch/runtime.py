"""The composition root of the long-lived processes: what `wirewatch run` and `worker` hand down.

``scheduler`` imports nothing of `wirewatch`. What it needs from here it is given: the
validated configuration (it reads it through ``scheduler.settings.RunConfig``), how a
child process is started (``ChildCommand``: a command of this one CLI), the web site to
run beside the service, and, in a crawl worker, how a poll's Scrapy settings are made
(``ConfiguredCrawls``, a ``scheduler.settings.CrawlSetup``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from scheduler.settings import ChildCommand, Stoppable, WebStarter
from wirecore.sources import SourceConfig
from wirewatch.config import Config

PROGRAM = (sys.executable, "-m", "wirewatch")
"""The one CLI, as the service starts its children (the same interpreter and install)."""


@dataclass(frozen=True, slots=True)
class ConfiguredCrawls:
    """Scrapy settings and download slots of the polls of one configuration."""

    config: Config

    def scrapy_settings(self, extra: dict[str, Any]) -> Any:
        """``scrapers.settings`` plus the configuration's overrides plus ``extra``."""
        from wirewatch.crawl import scrapy_settings  # Scrapy loads in the worker only

        return scrapy_settings(self.config, extra)

    def download_slot(self, source: SourceConfig) -> dict[str, float]:
        """The download slot of one source: its delay, with the crawl's concurrency."""
        from wirewatch.crawl import slot_settings

        return slot_settings(source.delay, self.config.crawl.concurrency_per_source)


def web_starter(config: Config) -> WebStarter | None:
    """Starts the site in the service's process when ``[web] enabled`` (None otherwise)."""
    if not config.web.enabled:
        return None

    def start() -> Stoppable | None:
        from wirewatch.cli_web import start_web

        return start_web(config)

    return start


def run_service(config: Config, config_path: str | None, log_format: str, verbose: bool) -> int:
    """`wirewatch run`: the service until it is stopped; the process exit code."""
    from scheduler.service import Service

    command = ChildCommand(PROGRAM, config_path, log_format, verbose)
    return Service(config, command, web_starter(config)).run()


def run_worker(config: Config, *, stdin: bool, name: str | None, report: bool) -> int:
    """`wirewatch worker`: a crawl worker until it is stopped; the process exit code."""
    from scheduler.workerproc import run_worker as run

    return run(config, ConfiguredCrawls(config), stdin=stdin, name=name, report=report)
