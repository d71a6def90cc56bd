"""The service's child processes: its crawl workers (kept running) and the daily report.

Each child leads its own session (process group), so a shutdown reaches the extraction
processes a worker started too: SIGTERM first (running polls finish, spiders flush), then
SIGKILL after the grace period. A worker's address space is capped (``[service]
memory_limit``), so a memory blow-up ends that worker, not the machine.

``WorkerChildren`` keeps ``[cluster] workers`` crawl workers alive. One that dies (a
crash in a parser, the memory cap, the OOM killer) is recorded and restarted, its open
crawl runs are closed as ``failed`` with the reason and its sources freed at once, so
they are handed out again right away.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from scheduler.queues import PipePublisher
from scheduler.settings import ChildCommand
from storage import dispatch, writes
from storage.db import make_sessionmaker
from storage.errors import one_line
from wirecore.outcomes import FailureKind, RunFailure, RunStatus

logger = logging.getLogger(__name__)

STEADY_AFTER = 60.0
"""A worker up this long has its restart backoff reset."""

CLOSE_MARGIN = 10.0
"""After the grace time, how long a worker gets to close its polls (flush) before SIGKILL."""


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


def limit_memory(megabytes: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` capping a child's address space (None: no cap)."""
    if megabytes <= 0:
        return None
    limit = megabytes * 1024 * 1024

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def describe_exit(code: int) -> str:
    """``killed by SIGKILL`` or ``exit code N``."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


@dataclass
class _Slot:
    proc: subprocess.Popen[bytes] | None = None
    name: str = ""
    generation: int = 0
    restarts: int = 0
    not_before: float = 0.0
    failures_in_a_row: int = 0
    started: float = 0.0


class WorkerChildren:
    """Starts ``count`` crawl workers and restarts the ones that die."""

    def __init__(
        self,
        count: int,
        command: ChildCommand,
        children: Children,
        engine: Engine,
        *,
        memory_limit: int,
        publisher: PipePublisher | None,
        on_restart: Callable[[str], None] = lambda reason: None,
        on_report: Callable[[str, bytes], None] = lambda name, line: None,
    ) -> None:
        self.slots = [_Slot() for _ in range(count)]
        self.command = command
        self.children = children
        self.sessions = make_sessionmaker(engine)
        self.memory_limit = memory_limit
        self.publisher = publisher
        self.on_restart = on_restart
        self.on_report = on_report
        self.prefix = f"{socket.gethostname()}:{os.getpid()}"
        self.mutex = threading.Lock()

    def ensure(self) -> None:
        """Start the workers that are not running (recording why the last one ended)."""
        with self.mutex:
            for index, slot in enumerate(self.slots):
                if slot.proc is not None and slot.proc.poll() is None:
                    if time.monotonic() - slot.started > STEADY_AFTER:
                        slot.failures_in_a_row = 0
                    continue
                if slot.proc is not None:
                    self._ended(index, slot)
                if time.monotonic() >= slot.not_before:
                    self._start(index, slot)

    def _start(self, index: int, slot: _Slot) -> None:
        slot.generation += 1
        slot.name = f"{self.prefix}:w{index}.{slot.generation}"
        local = self.publisher is not None and index == 0
        proc = subprocess.Popen(
            self.command.worker(slot.name, stdin=local),
            stdin=subprocess.PIPE if local else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=limit_memory(self.memory_limit),
        )
        slot.proc = proc
        slot.started = time.monotonic()
        self.children.add(f"worker:{index}", proc)
        if local and self.publisher is not None:
            self.publisher.attach(proc.stdin)
        reader = threading.Thread(
            target=self._read_reports, args=(slot.name, proc), name=f"reports-{index}", daemon=True
        )
        reader.start()
        logger.info("crawl worker %s started (pid %d)", slot.name, proc.pid)

    def _read_reports(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        """Pass each line the worker writes on stdout (one per finished poll) on."""
        assert proc.stdout is not None
        for line in proc.stdout:
            self.on_report(name, line)

    def _ended(self, index: int, slot: _Slot) -> None:
        assert slot.proc is not None
        code = slot.proc.returncode
        signal_group(slot.proc, signal.SIGKILL)  # its extraction processes, orphaned
        self.children.remove(f"worker:{index}")
        if index == 0 and self.publisher is not None:
            self.publisher.attach(None)
        reason = RunFailure(FailureKind.CRASH, f"crawl worker {describe_exit(code)}")
        logger.error("crawl worker %s ended (%s); restarting it", slot.name, describe_exit(code))
        self._close_runs(slot.name, RunStatus.FAILED, reason)
        slot.proc = None
        slot.restarts += 1
        slot.failures_in_a_row += 1
        pause = min(60.0, 0.5 * 2 ** (slot.failures_in_a_row - 1))
        slot.not_before = time.monotonic() + pause
        self.on_restart(str(reason))

    def _close_runs(self, name: str, status: RunStatus, reason: RunFailure | str) -> None:
        """Close a dead worker's open runs as ``status`` and free its sources now."""
        try:
            with self.sessions.begin() as session:
                for source, run_id in dispatch.leases_of(session, name).items():
                    if run_id is not None and writes.end_run(session, run_id, status, reason):
                        logger.warning("run %s of %s closed: %s", run_id, source, reason)
                dispatch.drop_leases(session, name)
        except SQLAlchemyError as err:
            logger.error("could not record the end of worker %s: %s", name, one_line(err))

    def status(self) -> list[dict[str, object]]:
        """Each worker: its name, pid, whether it runs, how often it was restarted."""
        return [
            {
                "name": s.name,
                "pid": s.proc.pid if s.proc else None,
                "alive": s.proc is not None and s.proc.poll() is None,
                "restarts": s.restarts,
            }
            for s in self.slots
        ]

    def stop(self, grace: float) -> None:
        """SIGTERM every worker; SIGKILL what is left after ``grace``; record the ends."""
        with self.mutex:
            running = [(i, s) for i, s in enumerate(self.slots) if s.proc is not None]
            for _, slot in running:
                assert slot.proc is not None
                signal_group(slot.proc, signal.SIGTERM)
            deadline = time.monotonic() + grace + CLOSE_MARGIN
            for index, slot in running:
                assert slot.proc is not None
                try:
                    slot.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    logger.warning("worker %s did not stop within the grace time", slot.name)
                    signal_group(slot.proc, signal.SIGKILL)
                    slot.proc.wait()
                self.children.remove(f"worker:{index}")
                self._close_runs(slot.name, RunStatus.INTERRUPTED, "service stopped")
                slot.proc = None
