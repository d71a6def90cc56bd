"""`wirewatch run`: the long-lived service that decides when polls and reports happen.

Lifecycle (``Service.run``): take the SQLite lock file (a second instance refuses to
start), migrate, start the health endpoint, start the scheduler paused, then loop once a
second: keep the crawl workers running (``scheduler.children``), and every
``leader_poll`` seconds take or check leadership (the PostgreSQL advisory lock). The
leader's scheduler runs the dispatcher (``scheduler.dispatch``: due sources to the work
queue every ``[cluster] dispatch_every``) and the daily report. Without a queue the one
local worker gets its orders on stdin; with ``[cluster] queue_url`` every worker of every
node (``wirewatch worker``, and this service's own ``[cluster] workers``) reads the queue.

SIGTERM/SIGINT stop dispatching, SIGTERM the workers (running polls finish, spiders
flush), SIGKILL what is left after ``stop_grace``, record how each run ended and exit 0;
a second signal kills the children and exits 1 at once. SIGHUP is ignored: configuration
changes take effect on restart.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from scheduler import state
from scheduler.children import Children, WorkerChildren, signal_group, stop_child
from scheduler.dispatch import Dispatcher
from scheduler.health import HealthServer, service_health
from scheduler.leader import Election, make_election, upgrade_schema
from scheduler.metrics import ServiceMetrics
from scheduler.queues import NoWorker, PipePublisher, Publisher, QueueError, RedisStreams
from scheduler.report_job import ReportJob
from scheduler.settings import ChildCommand, RunConfig, Stoppable, WebStarter
from scheduler.workerproc import read_poll_report
from storage.errors import StorageError, one_line
from wirecore.errors import ConfigError

logger = logging.getLogger(__name__)


class Service:
    """One `wirewatch run` process: election, dispatcher, workers, reports, health, signals.

    The composition root hands it the configuration, how to start its children (commands
    of the one CLI) and, when the site is enabled, how to start the web site.
    """

    def __init__(
        self, config: RunConfig, command: ChildCommand, start_web: WebStarter | None = None
    ) -> None:
        self.config = config
        self.command = command
        self.start_web = start_web
        self.stopping = threading.Event()
        self.leading = False
        self.children = Children()
        self.queue_error: str | None = None
        self.db_error: str | None = None

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; return the process exit code."""
        election = make_election(self.config.database_url)
        election.acquire()  # SQLite: raises AlreadyRunning; PostgreSQL: decided in the loop
        upgrade_schema(self.config.database_url, self._migrate)
        self.engine = state.service_engine(self.config.database_url)
        cluster = self.config.cluster
        self.pipe = None if cluster.queued else PipePublisher()
        self.queue: Publisher = self.pipe or RedisStreams(cluster.queue_url, cluster.queue_name)
        self.dispatcher = Dispatcher(self.config, self.engine, self.queue)
        self.metrics = ServiceMetrics(self.engine, self.dispatcher)
        self.workers = WorkerChildren(
            cluster.workers,
            self.command,
            self.children,
            self.engine,
            memory_limit=self.config.service.memory_limit,
            publisher=self.pipe,
            on_restart=lambda reason: self.metrics.restarts.inc(),
            on_report=self._poll_report,
        )
        health = self._health_server()
        self.web = self._web_site()
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

    def _migrate(self) -> None:
        """`wirewatch db upgrade` in a child: Alembic's ~30 MB never stay in this process."""
        done = subprocess.run(
            self.command.upgrade(),
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=3600,
        )  # fmt: skip
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            last = lines[-1] if lines else f"exit code {done.returncode}"
            raise StorageError(last.removeprefix("wirewatch: error: "))

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

    def _web_site(self) -> Stoppable | None:
        """The read-only web site in a thread of this process, when ``[web] enabled``."""
        if self.start_web is None:
            return None
        try:
            return self.start_web()
        except (RuntimeError, OSError) as err:
            raise ConfigError(f"web: cannot serve the site: {err}") from None

    def _build_scheduler(self, election: Election) -> BackgroundScheduler:
        def may_start() -> bool:
            return self.leading and not self.stopping.is_set() and election.holds()

        self.may_start = may_start
        self.report_job = ReportJob(
            self.config, self.engine, self.children, self.command, may_start, lambda code: None
        )
        scheduler = BackgroundScheduler(
            executors={"dispatch": ThreadPoolExecutor(1), "reports": ThreadPoolExecutor(1)},
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
        next_check = 0.0
        while not self.stopping.is_set():
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + self.config.service.leader_poll
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
            if self.leading or self.config.cluster.queued:
                self.workers.ensure()
            self.stopping.wait(1.0)

    def _lead(self) -> None:
        try:
            first_led = state.first_leader_at(self.engine)
            catch_up = self.report_job.catch_up_day(first_led)
            self.dispatcher.lead()
        except SQLAlchemyError as err:
            logger.warning("cannot read the schedule state yet: %s", one_line(err))
            return
        self._schedule()
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

    def _schedule(self) -> None:
        """(Re)create the jobs: the dispatcher and the daily report."""
        self.scheduler.add_job(
            self._dispatch,
            IntervalTrigger(seconds=self.config.cluster.dispatch_every),
            id="dispatch",
            name="hand due sources to the workers",
            executor="dispatch",
            replace_existing=True,
            next_run_time=datetime.now(UTC),
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

    def _dispatch(self) -> None:
        if not self.may_start():
            return
        try:
            self.dispatcher.tick()
        except NoWorker:
            return  # the local worker is starting; its sources are handed out once it runs
        except QueueError as err:
            if self.queue_error is None:
                logger.warning("work queue unreachable; dispatch paused, retrying: %s", err)
            self.queue_error = str(err)
            return
        except SQLAlchemyError as err:
            if self.db_error is None:
                logger.warning("dispatch paused: database unreachable: %s", one_line(err))
            self.db_error = one_line(err)
            return
        if self.queue_error is not None:
            logger.info("work queue reachable again; dispatch resumes")
        if self.db_error is not None:
            logger.info("database reachable again; dispatch resumes")
        self.queue_error = self.db_error = None

    def _report(self, day: str | None = None) -> None:
        self.report_job(day)

    def _poll_report(self, worker: str, line: bytes) -> None:
        """A worker child's report of one finished poll (a JSON line on its stdout)."""
        try:
            self.metrics.observe_poll(worker, *read_poll_report(line))
        except (ValueError, KeyError, TypeError):
            logger.debug("unreadable poll report from %s: %r", worker, line[:200])

    def status(self) -> tuple[bool, dict[str, Any]]:
        """Health for /healthz: scheduler alive, database and queue reachable, the backlog."""
        alive = self.scheduler.running and not self.stopping.is_set()
        healthy, details = service_health(self.config, self.engine, alive, self.leading)
        view = self.dispatcher.view
        details["queue"] = (
            "local" if self.pipe is not None and self.queue_error is None
            else "ok" if self.queue_error is None else f"unreachable: {self.queue_error}"
        )  # fmt: skip
        details["workers"] = self.workers.status()
        details["backlog"] = {
            "due": view.due, "handed_out": view.queued, "oldest_due_seconds": view.oldest_seconds
        }  # fmt: skip
        return healthy and self.queue_error is None, details

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping.is_set():
            logger.warning("second signal: killing the workers and exiting now")
            for child in self.children.snapshot():
                signal_group(child, signal.SIGKILL)
            os._exit(1)
        logger.info(
            "%s: stopping; running polls get %.0fs to finish (signal again to exit at once)",
            signal.Signals(signum).name,
            self.config.service.stop_grace,
        )
        self.stopping.set()

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        logger.warning("SIGHUP ignored: restart the service to apply configuration changes")

    def _shutdown(self, election: Election, health: HealthServer | None) -> None:
        self.report_job.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.pipe is not None:
            self.pipe.close()  # end of orders: the local worker finishes what it has
        self.workers.stop(self.config.service.stop_grace)
        for child in self.children.snapshot():  # a report still running
            stop_child(child, self.config.service.stop_grace)
        election.release()
        if health:
            health.stop()
        if self.web is not None:
            self.web.stop()
        self.queue.close()
        self.engine.dispose()
        logger.info("wirewatch service stopped")


class _DropMaxInstances(logging.Filter):
    """APScheduler warns each time a slot is skipped because the job still runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the "maximum number of running instances" warning."""
        return "maximum number of running instances" not in record.getMessage()
