"""The service's jobs: one crawl of one source, and the daily report, each a child process.

A crawl child (``python -m scheduler.child``) runs in its own session (process group), so
a timeout or a shutdown reaches its extraction workers too: SIGTERM first (Scrapy closes
the spider and flushes what it fetched), SIGKILL after the grace period. Its address
space is capped (``[service] memory_limit``), so a memory blow-up ends that crawl, not
the machine. Whatever happens, the run row ends ``ok``/``partial`` (the child finished
it), ``failed`` with the reason (crash, timeout, exit code) or ``interrupted`` (the
service was stopping).

Crawls are incremental polls (conditional feed requests; stored articles are not fetched
again unless their feed entry changed). A source's job ticks at its shortest allowed
interval and runs only when the source's adaptive polling state says it is due.

A source whose crawls keep failing backs off: after the n-th failure in a row its next
attempts are skipped for ``interval * 2**(n-1)`` seconds (at most ``max_backoff``), and
the log gets one line per attempt, so a dead wire costs a handful of lines an hour.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from scheduler import state
from storage.errors import one_line
from storage.sources import IntervalPolicy, next_due
from wirewatch.config import Config

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Backoff:
    """Consecutive failures of one source and until when its attempts are skipped."""

    failures: int = 0
    until: float = 0.0


@dataclass(slots=True)
class Outcome:
    """How one crawl child ended, as the service saw it."""

    source: str
    run_id: int
    exit_code: int | None
    seconds: float
    reason: str | None = None  # why it failed: "timeout", "crash", "exit", None if ok


@dataclass
class Children:
    """The running child processes, so a shutdown can reach every one of them."""

    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: str, proc: subprocess.Popen[bytes]) -> None:
        """Track a started child."""
        with self.lock:
            self.procs[key] = proc

    def remove(self, key: str) -> None:
        """Forget a child that ended."""
        with self.lock:
            self.procs.pop(key, None)

    def snapshot(self) -> list[subprocess.Popen[bytes]]:
        """The children running now."""
        with self.lock:
            return list(self.procs.values())


def signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    """Send ``signum`` to a child's whole process group (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


def stop_child(proc: subprocess.Popen[bytes], grace: float) -> int:
    """SIGTERM the child's group; SIGKILL it if it is not gone after ``grace`` seconds."""
    signal_group(proc, signal.SIGTERM)
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        signal_group(proc, signal.SIGKILL)
        return proc.wait()


def _limit_memory(megabytes: int) -> Callable[[], None] | None:
    if megabytes <= 0:
        return None
    limit = megabytes * 1024 * 1024

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


class CrawlJob:
    """Runs crawls of sources in child processes and records how they ended."""

    def __init__(
        self,
        config: Config,
        engine: Engine,
        children: Children,
        base_args: list[str],
        may_start: Callable[[], bool],
        on_outcome: Callable[[Outcome], None],
    ) -> None:
        self.config = config
        self.engine = engine
        self.children = children
        self.base_args = base_args
        self.may_start = may_start
        self.on_outcome = on_outcome
        self.backoff: dict[str, Backoff] = {}
        self.stopping = threading.Event()
        self.db_down = False

    def __call__(self, source: str) -> None:
        """One scheduled crawl of ``source`` (skipped while backing off or not leading)."""
        off = self.backoff.setdefault(source, Backoff())
        if self.stopping.is_set() or time.monotonic() < off.until or not self.may_start():
            return
        if not self._due(source):
            return
        try:
            run_id = state.start_crawl_run(self.engine, source)
        except SQLAlchemyError as err:
            level = logging.DEBUG if self.db_down else logging.WARNING
            logger.log(
                level, "crawl of %s skipped: database unreachable: %s", source, one_line(err)
            )
            self.db_down = True
            return
        if self.db_down:
            logger.info("database reachable again; crawls resume")
            self.db_down = False
        outcome = self._run_child(source, run_id)
        self._record(outcome)
        self._account(outcome, off)
        self.on_outcome(outcome)

    def _due(self, source: str) -> bool:
        """Whether the source's adaptive polling state says it is due (unknown: yes)."""
        src = self.config.source(source)
        low, high = src.interval_bounds
        policy = IntervalPolicy(base=src.interval, minimum=low, maximum=high)
        now = datetime.now(UTC)
        try:
            with Session(self.engine) as session:
                due, _ = next_due(session, source, policy, now)
        except SQLAlchemyError:
            return True  # the crawl start below reports the database problem
        return due <= now

    def reset_backoff(self) -> None:
        """Forget failures (after a database outage they say nothing about the sources)."""
        self.backoff.clear()

    def _run_child(self, source: str, run_id: int) -> Outcome:
        src = self.config.source(source)
        timeout = self.config.service.timeout_for(src.interval)
        cmd = [*self.base_args, "--source", source, "--run-id", str(run_id)]
        extra = {"run_id": run_id}
        logger.info("crawl of %s started (timeout %.0fs)", source, timeout, extra=extra)
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_limit_memory(self.config.service.memory_limit),
        )
        key = f"crawl:{source}"
        self.children.add(key, proc)
        reason: str | None = None
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            logger.error("crawl of %s exceeded %.0fs; stopping it", source, timeout, extra=extra)
            code = stop_child(proc, self.config.service.stop_grace)
            reason = f"timeout: still running after {timeout:.0f}s (wall-clock limit); stopped"
        finally:
            self.children.remove(key)
        seconds = time.monotonic() - started
        if reason is None and self.stopping.is_set():
            reason = None if code == 0 else "interrupted"
        elif reason is None and code is not None and code < 0:
            name = signal.Signals(-code).name
            reason = f"crash: killed by {name}"
        elif reason is None and code != 0:
            reason = f"exit: crawl process exited with code {code}"
        return Outcome(source, run_id, code, seconds, reason)

    def _record(self, out: Outcome) -> None:
        extra = {"run_id": out.run_id}
        try:
            status = state.run_status(self.engine, out.run_id)
            if out.reason == "interrupted":
                if status == "running":
                    state.fail_run(self.engine, out.run_id, "interrupted", "service stopped")
            elif out.reason is not None and (
                status == "running" or out.reason.startswith("timeout")
            ):
                state.fail_run(self.engine, out.run_id, "failed", out.reason)
        except SQLAlchemyError as err:
            logger.error("could not record the end of run %s: %s", out.run_id, one_line(err))
        level = logging.INFO if out.reason is None else logging.WARNING
        logger.log(
            level,
            "crawl of %s finished in %.1fs: %s",
            out.source,
            out.seconds,
            out.reason or f"exit code {out.exit_code}",
            extra=extra,
        )

    def _account(self, out: Outcome, off: Backoff) -> None:
        if out.reason is None or out.reason == "interrupted":
            if off.failures:
                logger.info("%s recovered after %d failed crawls", out.source, off.failures)
            off.failures, off.until = 0, 0.0
            return
        off.failures += 1
        if off.failures >= 2:
            interval = self.config.source(out.source).interval
            pause = min(interval * 2 ** (off.failures - 1), self.config.service.max_backoff)
            off.until = time.monotonic() + pause
            logger.warning(
                "%s failed %d times in a row; next attempt in about %.0fs",
                out.source,
                off.failures,
                pause,
            )


def base_crawl_args(config_path: str | None, log_format: str, verbose: bool) -> list[str]:
    """The command line of a crawl child, without source and run id."""
    args = [sys.executable, "-m", "scheduler.child", "--log-format", log_format]
    if config_path:
        args += ["--config", config_path]
    if verbose:
        args.append("--verbose")
    return args
