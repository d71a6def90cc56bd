"""A poll that hangs, a worker that is killed mid-poll and a source that always fails: each
is recorded as a failed run with its reason, never overlapped, and the service goes on."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scheduler.children import limit_memory
from tests.mockwire import MockWire, Route
from tests.test_service_support import ServiceProcess, child_pids, finished, runs, write_config

pytestmark = pytest.mark.e2e

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def worker_of(pid: int) -> int | None:
    """The pid of the service's crawl worker child, if one runs."""
    for child in child_pids(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in cmdline:
            return child
    return None


def polling(db: str, source: str) -> bool:
    """True while a poll of ``source`` is running."""
    return any(r[2] == "running" for r in runs(db, source))


def timeouts(db: str) -> list[tuple[object, ...]]:
    """The polls of 'hang' stopped for running too long."""
    return [r for r in finished(db, "hang") if r[2] == "failed" and r[5].startswith("timeout")]


def test_hang_killed_worker_and_dead_source_are_recorded_and_the_service_goes_on(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'failures.db'}"
    routes = {
        "/slow.xml": Route(body=FEED, delay=12, content_type="application/rss+xml"),
        "/victim.xml": Route(body=FEED, delay=6, content_type="application/rss+xml"),
        "/broken.xml": Route(body=b"oops", status=500),
    }
    with MockWire(routes) as wire:
        config = write_config(
            tmp_path / "wirewatch.toml",
            db,
            [
                {"name": "hang", "feeds": [wire.url("/slow.xml")], "interval": "2s"},
                {"name": "crash", "feeds": [wire.url("/victim.xml")], "interval": "2s"},
                {"name": "dead", "feeds": [wire.url("/broken.xml")], "interval": "1s"},
            ],
            {"crawl_timeout": "4s"},
        )
        config.write_text(config.read_text().replace("timeout = 3\n", "timeout = 30\n"))
        svc = ServiceProcess(config, tmp_path / "service.log")
        try:
            victim = svc.wait_for(lambda: worker_of(svc.proc.pid), 30, "no worker started")
            svc.wait_for(lambda: polling(db, "crash"), 30, "no poll of 'crash' started")
            time.sleep(1.0)
            os.kill(victim, signal.SIGKILL)
            svc.wait_for(lambda: len(finished(db, "crash")) >= 2, 45, "no poll after the kill")
            svc.wait_for(lambda: len(timeouts(db)) >= 2, 60, "hang not stopped twice")
            svc.wait_for(lambda: len(finished(db, "dead")) >= 3, 30, "dead source not retried")
            code, seconds = svc.stop()
        finally:
            svc.kill()
    assert code == 0, svc.log
    assert seconds < 20

    assert len(timeouts(db)) >= 2, finished(db, "hang")
    for source in ("hang", "crash", "dead"):  # never two polls of one source at once
        spans = sorted((r[3], r[4]) for r in runs(db, source) if r[4] is not None)
        assert all(b[0] >= a[1] for a, b in itertools.pairwise(spans)), (source, spans)

    killed = [r for r in runs(db, "crash") if r[2] == "failed" and "SIGKILL" in (r[5] or "")]
    assert killed, runs(db, "crash")
    assert "crawl worker" in killed[0][5] and "restarting it" in svc.log

    dead = finished(db, "dead")
    assert all(r[2] in {"failed", "interrupted"} for r in dead), dead
    assert len([r for r in dead if r[2] == "failed"]) >= 2, dead
    assert "dead failed 2 times in a row; next attempt in about" in svc.log
    # no row is left "running", and the worker was replaced, not the service
    assert all(r[2] != "running" for r in runs(db))
    assert "wirewatch service stopped" in svc.log


def test_memory_limit_ends_a_blown_up_process_only() -> None:
    limit = limit_memory(300)
    assert limit is not None and limit_memory(0) is None
    hog = "bytearray(600 * 1024 * 1024)"
    done = subprocess.run(
        [sys.executable, "-c", hog], preexec_fn=limit, capture_output=True, text=True, timeout=30
    )
    assert done.returncode != 0 and "MemoryError" in done.stderr
    fine = subprocess.run([sys.executable, "-c", "bytearray(50 * 1024 * 1024)"], preexec_fn=limit)
    assert fine.returncode == 0
