"""`wirewatch run`: the long-lived service that decides when crawls and reports happen.

Lifecycle (``Service.run``): take the SQLite lock file (a second instance refuses to
start), migrate, start the health endpoint, start the scheduler paused, then loop: a
standby tries the PostgreSQL advisory lock every ``leader_poll`` seconds; the leader
checks it holds the lock as often, pauses the scheduler when it does not and reschedules
from the database when it leads again. SIGTERM/SIGINT stop scheduling, SIGTERM the crawl
children (Scrapy closes the spider and flushes), SIGKILL what is left after
``stop_grace``, record how each run ended and exit 0; a second signal kills the children
and exits 1 at once. SIGHUP is ignored: configuration changes take effect on restart.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from scheduler import state
from scheduler.health import HealthServer, service_health
from scheduler.jobs import Children, CrawlJob, Outcome, base_crawl_args, signal_group
from scheduler.leader import Election, make_election, upgrade_schema
from scheduler.metrics import ServiceMetrics
from scheduler.report_job import ReportJob
from storage.errors import one_line
from wirewatch.config import Config
from wirewatch.errors import ConfigError

logger = logging.getLogger(__name__)

JOB_RECORD_GRACE = 15.0
"""After the children are gone, how long job threads get to record how runs ended."""


class Service:
    """One `wirewatch run` process: election, scheduler, children, health, signals."""

    def __init__(
        self,
        config: Config,
        config_path: str | None = None,
        log_format: str = "text",
        verbose: bool = False,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.log_format = log_format
        self.verbose = verbose
        self.stopping = threading.Event()
        self.leading = False
        self.children = Children()
        self.active = 0
        self.active_lock = threading.Condition()

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; return the process exit code."""
        election = make_election(self.config.database_url)
        election.acquire()  # SQLite: raises AlreadyRunning; PostgreSQL: decided in the loop
        upgrade_schema(self.config.database_url)
        self.engine = state.service_engine(self.config.database_url)
        self.metrics = ServiceMetrics(self.engine)
        health = self._health_server()
        self.scheduler = self._build_scheduler(election)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        signal.signal(signal.SIGHUP, self._on_hup)
        if health:
            health.start()
        self.scheduler.start(paused=True)
        logger.info("wirewatch service started (pid %d)", os.getpid())
        try:
            self._loop(election)
        finally:
            self._shutdown(election, health)
        return 0

    def _health_server(self) -> HealthServer | None:
        svc = self.config.service
        if not svc.health_port:
            return None
        try:
            return HealthServer(
                svc.health_host, svc.health_port, self.status, self.metrics.registry
            )
        except OSError as err:
            where = f"{svc.health_host}:{svc.health_port}"
            raise ConfigError(
                f"service.health_port: cannot listen on {where}: {err.strerror}"
            ) from None

    def _build_scheduler(self, election: Election) -> BackgroundScheduler:
        base = [sys.executable, "-m", "wirewatch"]
        if self.config_path:
            base += ["--config", self.config_path]

        def may_start() -> bool:
            return self.leading and not self.stopping.is_set() and election.holds()

        self.crawl_job = CrawlJob(
            self.config,
            self.engine,
            self.children,
            base_crawl_args(self.config_path, self.log_format, self.verbose),
            may_start,
            self._observe,
        )
        self.report_job = ReportJob(
            self.config, self.engine, self.children, base, may_start, lambda code: None
        )
        scheduler = BackgroundScheduler(
            executors={
                "crawls": ThreadPoolExecutor(self.config.service.max_concurrent_crawls),
                "reports": ThreadPoolExecutor(1),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        scheduler.add_listener(self._still_running, EVENT_JOB_MAX_INSTANCES)
        logging.getLogger("apscheduler.scheduler").addFilter(_DropMaxInstances())
        return scheduler

    def _still_running(self, event: JobEvent) -> None:
        logger.debug("%s is still running; this slot is skipped, not overlapped", event.job_id)

    def _loop(self, election: Election) -> None:
        announced = False
        while not self.stopping.is_set():
            if self.leading and not election.holds():
                self._step_down()
            if not self.leading and election.acquire():
                self._lead()
            elif not self.leading and not announced:
                logger.info(
                    "another service leads this database; standing by (retry every %.0fs)",
                    self.config.service.leader_poll,
                )
                announced = True
            self.stopping.wait(self.config.service.leader_poll)

    def _lead(self) -> None:
        try:
            first_led = state.first_leader_at(self.engine)
            starts = state.last_starts(self.engine)
            catch_up = self.report_job.catch_up_day(first_led)
        except SQLAlchemyError as err:
            logger.warning("cannot read the schedule state yet: %s", one_line(err))
            return
        self._schedule(starts)
        if catch_up is not None:
            logger.info("the report for %s fell due while no service ran; making it", catch_up)
            self.scheduler.add_job(
                self._report,
                "date",
                args=[catch_up.isoformat()],
                id="report:catch-up",
                executor="reports",
                replace_existing=True,
            )
        self.crawl_job.reset_backoff()
        self.leading = True
        self.metrics.leader.set(1)
        self.scheduler.resume()
        jobs = ", ".join(job.id for job in self.scheduler.get_jobs())
        logger.info("leading the schedule; jobs: %s", jobs)

    def _step_down(self) -> None:
        self.leading = False
        self.metrics.leader.set(0)
        self.scheduler.pause()
        logger.warning("lost the database lock; no new jobs until it is held again")

    def _schedule(self, starts: dict[str, datetime]) -> None:
        """(Re)create the jobs; a source's next crawl follows its last one in the database."""
        now = datetime.now(UTC)
        for i, src in enumerate(s for s in self.config.sources if s.enabled):
            first = now + timedelta(seconds=1 + 2 * i)
            if src.name in starts:
                first = max(first, starts[src.name] + timedelta(seconds=src.interval))
            # tick at the shortest allowed interval; the job itself skips a source that is
            # not due yet by its adaptive polling state (storage.sources.next_due)
            tick = src.interval_bounds[0]
            self.scheduler.add_job(
                self._crawl,
                IntervalTrigger(seconds=tick, jitter=min(60.0, tick / 10)),
                args=[src.name],
                id=f"crawl:{src.name}",
                name=f"crawl {src.name}",
                executor="crawls",
                replace_existing=True,
                next_run_time=first,
            )
        rep = self.config.report
        self.scheduler.add_job(
            self._report,
            CronTrigger(
                hour=rep.time.hour,
                minute=rep.time.minute,
                second=rep.time.second,
                timezone=rep.timezone,
            ),
            id="report:daily",
            name="daily report",
            executor="reports",
            replace_existing=True,
            misfire_grace_time=6 * 3600,
        )

    @contextmanager
    def _tracked(self) -> Iterator[None]:
        with self.active_lock:
            self.active += 1
        try:
            yield
        finally:
            with self.active_lock:
                self.active -= 1
                self.active_lock.notify_all()

    def _crawl(self, source: str) -> None:
        with self._tracked():
            self.crawl_job(source)

    def _report(self, day: str | None = None) -> None:
        with self._tracked():
            self.report_job(day)

    def _observe(self, out: Outcome) -> None:
        self.metrics.durations.labels(out.source).observe(out.seconds)
        if out.reason and out.reason != "interrupted":
            self.metrics.failures.labels(out.source, out.reason.split(":", 1)[0]).inc()

    def status(self) -> tuple[bool, dict[str, Any]]:
        """Health for /healthz: scheduler alive, database reachable, last success per source."""
        alive = self.scheduler.running and not self.stopping.is_set()
        failures = {name: off.failures for name, off in self.crawl_job.backoff.items()}
        return service_health(self.config, self.engine, alive, self.leading, failures)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping.is_set():
            logger.warning("second signal: killing running crawls and exiting now")
            for child in self.children.snapshot():
                signal_group(child, signal.SIGKILL)
            os._exit(1)
        logger.info(
            "%s: stopping; running crawls get %.0fs to finish (signal again to exit at once)",
            signal.Signals(signum).name,
            self.config.service.stop_grace,
        )
        self.stopping.set()

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        logger.warning("SIGHUP ignored: restart the service to apply configuration changes")

    def _shutdown(self, election: Election, health: HealthServer | None) -> None:
        self.crawl_job.stopping.set()
        self.report_job.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        running = self.children.snapshot()
        for child in running:
            signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + self.config.service.stop_grace
        for child in running:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("child %d did not stop within the grace time; killing it", child.pid)
                signal_group(child, signal.SIGKILL)
                child.wait()
        with self.active_lock:
            self.active_lock.wait_for(lambda: self.active == 0, timeout=JOB_RECORD_GRACE)
        election.release()
        if health:
            health.stop()
        self.engine.dispose()
        logger.info("wirewatch service stopped")


class _DropMaxInstances(logging.Filter):
    """APScheduler warns each time a slot is skipped because the crawl still runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the "maximum number of running instances" warning."""
        return "maximum number of running instances" not in record.getMessage()
