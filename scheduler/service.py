"""`wirewatch run`: the long-lived service that decides when crawls and reports happen.

Each crawl runs in its own child process (``python -m wirewatch crawl --source S``), as
scrapyd does: Twisted's reactor cannot be restarted in one process, and a child isolates
crashes, hangs and memory leaks. A child that outlives its wall-clock limit is stopped
(SIGTERM first, so Scrapy closes the spider and flushes what it fetched, then SIGKILL).
At most ``MAX_CONCURRENT_CRAWLS`` crawls run at once: each uses a Scrapy process plus an
extraction pool, and the machine has two cores.

SIGTERM or SIGINT stops scheduling, asks running crawls to finish (bounded by
``STOP_GRACE``) and exits 0; a second signal exits at once. Configuration changes take
effect on restart.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from wirewatch.config import Config

logger = logging.getLogger(__name__)

MAX_CONCURRENT_CRAWLS = 2
STOP_GRACE = 60.0
CRAWL_TIMEOUT_FACTOR = 3.0
MIN_CRAWL_TIMEOUT = 600.0


class Service:
    """Schedules one crawl job per enabled source and the daily report job."""

    def __init__(self, config: Config, config_path: str | None = None) -> None:
        self.config = config
        self.config_path = config_path
        self.stopping = threading.Event()
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.lock = threading.Lock()
        self.scheduler: BackgroundScheduler | None = None

    def _base_command(self) -> list[str]:
        cmd = [sys.executable, "-m", "wirewatch"]
        if self.config_path:
            cmd += ["--config", self.config_path]
        return cmd

    def build_scheduler(self) -> BackgroundScheduler:
        """A scheduler with one job per enabled source and one for the daily report."""
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(MAX_CONCURRENT_CRAWLS + 1)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        now = datetime.now(UTC)
        for i, src in enumerate(s for s in self.config.sources if s.enabled):
            scheduler.add_job(
                self.crawl_source,
                IntervalTrigger(seconds=src.interval, jitter=min(60.0, src.interval / 10)),
                args=[src.name, max(MIN_CRAWL_TIMEOUT, src.interval * CRAWL_TIMEOUT_FACTOR)],
                id=f"crawl:{src.name}",
                name=f"crawl {src.name}",
                replace_existing=True,
                misfire_grace_time=int(src.interval),
                next_run_time=now + timedelta(seconds=1 + 2 * i),
            )
        rep = self.config.report
        scheduler.add_job(
            self.make_report,
            CronTrigger(hour=rep.time.hour, minute=rep.time.minute, timezone=rep.timezone),
            id="report:daily",
            name="daily report",
            replace_existing=True,
            misfire_grace_time=6 * 3600,
        )
        return scheduler

    def crawl_source(self, name: str, timeout: float) -> int | None:
        """Run one crawl of ``name`` in a child process; stop it if it outlives ``timeout``."""
        if self.stopping.is_set():
            return None
        cmd = [*self._base_command(), "crawl", "--source", name]
        logger.info("crawl of %s starting", name)
        with self.lock:
            child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
            self.children[name] = child
        try:
            code = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            logger.error("crawl of %s exceeded %.0fs; stopping it", name, timeout)
            code = _stop(child, STOP_GRACE)
        finally:
            with self.lock:
                self.children.pop(name, None)
        level = logging.INFO if code == 0 else logging.WARNING
        logger.log(level, "crawl of %s finished with exit code %s", name, code)
        return code

    def make_report(self) -> int | None:
        """Write the report of the day that just ended, in every format, to the report dir."""
        if self.stopping.is_set():
            return None
        directory = self.config.report_dir
        directory.mkdir(parents=True, exist_ok=True)
        from zoneinfo import ZoneInfo

        day = datetime.now(ZoneInfo(self.config.report.timezone)).date() - timedelta(days=1)
        code = 0
        for fmt in ("md", "json"):
            out = Path(directory) / f"wirewatch-{day.isoformat()}.{fmt}"
            cmd = [
                *self._base_command(),
                "report",
                "--date",
                day.isoformat(),
                "--format",
                fmt,
                "--output",
                str(out),
            ]
            code = code or subprocess.call(cmd, stdin=subprocess.DEVNULL, timeout=600)
        logger.info("daily report for %s written to %s (exit %s)", day, directory, code)
        return code

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping.is_set():
            logger.warning("second signal: exiting now")
            with self.lock:
                for child in self.children.values():
                    child.kill()
            raise SystemExit(1)
        logger.info("signal %s: stopping (send again to exit at once)", signum)
        self.stopping.set()

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; return the process exit code."""
        from wirewatch.crawl import prepare_database

        prepare_database(self.config.database_url)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.scheduler = self.build_scheduler()
        self.scheduler.start()
        jobs = ", ".join(job.id for job in self.scheduler.get_jobs())
        logger.info("wirewatch service started; jobs: %s", jobs)
        while not self.stopping.wait(1.0):
            pass
        self.scheduler.shutdown(wait=False)
        with self.lock:
            running = list(self.children.values())
        for child in running:
            child.send_signal(signal.SIGTERM)
        for child in running:
            _stop(child, STOP_GRACE, already_signalled=True)
        logger.info("wirewatch service stopped")
        return 0


def _stop(child: subprocess.Popen[bytes], grace: float, already_signalled: bool = False) -> int:
    """SIGTERM a child (Scrapy then closes the spider and flushes), SIGKILL after ``grace``."""
    if not already_signalled:
        child.send_signal(signal.SIGTERM)
    try:
        return child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()
