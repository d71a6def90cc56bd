"""A crawl that hangs, one that crashes and a source that always fails: each is recorded as
a failed run with its reason, never overlapped, and the service keeps going."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scheduler.jobs import Backoff, CrawlJob, Outcome, _limit_memory
from tests.mockwire import MockWire, Route
from tests.test_service_support import ServiceProcess, child_pids, finished, runs, write_config
from wirewatch.config import build_config

pytestmark = pytest.mark.e2e

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def crawl_child_of(pid: int, source: str) -> int | None:
    """The pid of the crawl child running ``source``, if there is one."""
    for child in child_pids(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"scheduler.child" in cmdline and source.encode() in cmdline:
            return child
    return None


def test_hang_crash_and_dead_source_are_recorded_and_the_service_goes_on(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'failures.db'}"
    routes = {
        "/slow.xml": Route(body=FEED, delay=25, content_type="application/rss+xml"),
        "/broken.xml": Route(body=b"oops", status=500),
    }
    with MockWire(routes) as wire:
        config = write_config(
            tmp_path / "wirewatch.toml",
            db,
            [
                {"name": "hang", "feeds": [wire.url("/slow.xml")], "interval": "2s"},
                {"name": "crash", "feeds": [wire.url("/slow.xml")], "interval": "2s"},
                {"name": "dead", "feeds": [wire.url("/broken.xml")], "interval": "1s"},
            ],
            {"crawl_timeout": "9s", "max_concurrent_crawls": 3},
        )
        config.write_text(config.read_text().replace("timeout = 3\n", "timeout = 30\n"))
        svc = ServiceProcess(config, tmp_path / "service.log")
        try:
            victim = svc.wait_for(
                lambda: crawl_child_of(svc.proc.pid, "crash"), 30, "no crawl of 'crash' started"
            )
            time.sleep(1.0)
            os.kill(victim, signal.SIGKILL)
            svc.wait_for(lambda: len(finished(db, "hang")) >= 2, 45, "hang not stopped twice")
            svc.wait_for(lambda: len(runs(db, "crash")) >= 2, 20, "no crawl after the crash")
            svc.wait_for(lambda: len(finished(db, "dead")) >= 3, 30, "dead source not retried")
            code, seconds = svc.stop()
        finally:
            svc.kill()
    assert code == 0, svc.log
    assert seconds < 15

    hang = finished(db, "hang")
    timeouts = [r for r in hang if r[2] == "failed" and r[5].startswith("timeout")]
    assert len(timeouts) >= 2, hang
    ends = sorted((r[3], r[4]) for r in runs(db, "hang") if r[4] is not None)
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(ends))

    crashed = runs(db, "crash")[0]
    assert crashed[2] == "failed" and "SIGKILL" in crashed[5], crashed

    dead = finished(db, "dead")
    assert all(r[2] in {"failed", "interrupted"} for r in dead), dead
    assert len([r for r in dead if r[2] == "failed"]) >= 2, dead
    assert "dead failed 2 times in a row; next attempt in about 2s" in svc.log
    # no row is left "running" and the log has one failure line per attempt, not more
    assert all(r[2] != "running" for r in runs(db))
    assert svc.log.count("crawl of dead finished") <= len(runs(db, "dead"))


def test_backoff_doubles_up_to_the_limit(tmp_path: Path) -> None:
    config = build_config(
        {
            "builtin_sources": False,
            "sources": [{"name": "w", "feeds": ["http://127.0.0.1:9/f"], "interval": 60}],
            "service": {"max_backoff": "5m"},
        },
        where="test",
        path=None,
        env={},
    )
    job = CrawlJob(config, None, None, [], lambda: True, lambda out: None)  # type: ignore[arg-type]
    off = Backoff()
    pauses = []
    for _ in range(6):
        before = time.monotonic()
        job._account(Outcome("w", 1, 1, 1.0, "exit: code 1"), off)
        pauses.append(round(off.until - before) if off.until else 0)
    assert pauses == [0, 120, 240, 300, 300, 300]
    job._account(Outcome("w", 2, 0, 1.0, None), off)
    assert off.failures == 0 and off.until == 0.0


def test_memory_limit_ends_a_blown_up_crawl_process_only() -> None:
    limit = _limit_memory(300)
    assert limit is not None and _limit_memory(0) is None
    hog = "bytearray(600 * 1024 * 1024)"
    done = subprocess.run(
        [sys.executable, "-c", hog], preexec_fn=limit, capture_output=True, text=True, timeout=30
    )
    assert done.returncode != 0 and "MemoryError" in done.stderr
    fine = subprocess.run([sys.executable, "-c", "bytearray(50 * 1024 * 1024)"], preexec_fn=limit)
    assert fine.returncode == 0
