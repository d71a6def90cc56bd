"""Limits on what servers and files can make wirewatch do: robots.txt Crawl-delay is
clamped to ``max_crawl_delay`` (and a crawl waiting on it still stops on SIGTERM), CLI
fetches have a wall-clock limit, `flag FILE` a size cap, and `--output` never replaces
a device, a FIFO or a directory.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.helpers import (
    RSS,
    article_page,
    assert_one_line_error,
    env,
    rows,
    rss,
    run_cli,
    running_runs,
    write_config,
)
from tests.mockwire import MockWire, Route

pytestmark = pytest.mark.e2e


def _crawl_delay_site(wire: MockWire, count: int) -> list[str]:
    wire.add(
        "/robots.txt",
        Route(b"User-agent: *\nCrawl-delay: 86400\nAllow: /\n", content_type="text/plain"),
    )
    items = [(f"{{base}}/a{i}", f"story {i}") for i in range(count)]
    wire.add("/feed.xml", Route(rss(items), content_type=RSS))
    for i in range(count):
        wire.add(f"/a{i}", Route(article_page(f"story {i}")))
    return [wire.url("/feed.xml")]


def test_a_huge_crawl_delay_is_clamped_with_one_log_line(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'w.db'}"
    with MockWire() as wire:
        feeds = _crawl_delay_site(wire, 3)
        config = write_config(tmp_path, db_url, {"s": {"feeds": feeds}}, max_crawl_delay=0.5)
        started = time.monotonic()
        proc = run_cli(config, "crawl", timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert time.monotonic() - started < 90
    clamped = [ln for ln in proc.stderr.splitlines() if "max_crawl_delay" in ln]
    assert len(clamped) == 1 and "86400" in clamped[0]
    assert rows(db_url, "SELECT count(*) FROM articles")[0][0] == 3


def test_sigterm_stops_a_crawl_waiting_on_crawl_delay(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'w.db'}"
    with MockWire() as wire:
        feeds = _crawl_delay_site(wire, 4)
        config = write_config(tmp_path, db_url, {"s": {"feeds": feeds}}, max_crawl_delay=600)
        proc = subprocess.Popen(
            [sys.executable, "-m", "wirewatch", "--config", str(config), "crawl"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env(),
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not rows_or_none(db_url) and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.0)  # now waiting out the 600 s spacing
            proc.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert time.monotonic() - stopped < 30, err[-2000:]
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert "interrupted (shutdown)" in assert_one_line_error(done, code=1)
    assert running_runs(db_url) == []
    assert rows(db_url, "SELECT status FROM crawl_runs")[0][0] == "interrupted"


def rows_or_none(db_url: str) -> list[object]:
    """Crawl runs so far, or nothing when the database is not there yet."""
    try:
        return rows(db_url, "SELECT id FROM crawl_runs")
    except Exception:  # the schema is still being made
        return []


# --- CLI fetches: a wall-clock limit ---------------------------------------------------------


@pytest.fixture
def trickle() -> Iterator[str]:
    """A server on 127.0.0.1 that answers one byte a second (headers included), for 60 s."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        payload = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + b"<p>x</p>" * 100
        with conn:
            try:
                conn.recv(4096)
                for byte in payload[:60]:
                    if stop.wait(1.0):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()


def test_flag_url_has_a_wall_clock_limit(tmp_path: Path, trickle: str) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'w.db'}", timeout=2.0)
    started = time.monotonic()
    proc = run_cli(config, "flag", trickle + "/page", timeout=60)
    assert time.monotonic() - started < 20
    assert "timed out after 2s" in assert_one_line_error(proc, code=1)


def test_sources_check_has_a_wall_clock_limit(tmp_path: Path, trickle: str) -> None:
    config = write_config(
        tmp_path,
        f"sqlite:///{tmp_path / 'w.db'}",
        {"slow": {"feeds": [trickle + "/feed.xml"]}},
        timeout=2.0,
        obey_robots=False,
    )
    started = time.monotonic()
    proc = run_cli(config, "sources", "check", "--format", "json", timeout=60)
    assert time.monotonic() - started < 25
    assert proc.returncode == 1 and "timed out after 2s" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_flag_of_a_huge_file_is_refused_quickly(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(100 * 1024 * 1024)  # sparse: 100 MB without writing them
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'w.db'}", max_response_bytes=1_000_000)
    proc = run_cli(config, "flag", str(big), timeout=60)
    assert "larger than 1000000 bytes" in assert_one_line_error(proc, code=1)


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_flag_of_binary_input_is_a_clear_error(tmp_path: Path, source: str) -> None:
    blob = bytes(range(256)) * 8
    path = tmp_path / "blob.bin"
    path.write_bytes(blob)
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")
    arg = str(path) if source == "file" else "-"
    proc = run_cli(config, "flag", arg, stdin=blob if source == "stdin" else None, timeout=60)
    assert "binary data" in assert_one_line_error(proc, code=1)
    assert "\x1b" not in proc.stdout + proc.stderr


def test_flag_never_prints_control_bytes(tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_bytes(b"Title \x1b[31mred\x1b[0m\n" + b"Kuril Islands talks went on. " * 40)
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")
    proc = run_cli(config, "flag", str(doc), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "title: Title" in proc.stdout


# --- --output: what may be replaced ------------------------------------------------------------


@pytest.fixture
def report_config(tmp_path: Path) -> Path:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")
    assert run_cli(config, "db", "upgrade").returncode == 0
    return config


def _report(config: Path, output: Path | str) -> subprocess.CompletedProcess[str]:
    return run_cli(config, "report", "--date", "2026-11-27", "--output", str(output), timeout=60)


def test_output_refuses_a_device(report_config: Path) -> None:
    proc = _report(report_config, "/dev/full")
    assert "not a regular file" in assert_one_line_error(proc, code=1)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_output_refuses_a_fifo(report_config: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    proc = _report(report_config, fifo)
    assert "not a regular file" in assert_one_line_error(proc, code=1)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_output_refuses_a_symlink_to_a_directory(report_config: Path, tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "dir")
    proc = _report(report_config, tmp_path / "link")
    assert "directory" in assert_one_line_error(proc)
    assert (tmp_path / "link").is_symlink()


def test_output_follows_a_symlink_and_keeps_it(report_config: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "link.md"
    link.symlink_to(target)
    proc = _report(report_config, link)
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("# ")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_new_output_file_gets_the_umask_mode(report_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "new.md"
    proc = run_cli(
        report_config,
        "report",
        "--date",
        "2026-11-27",
        "--output",
        str(out),
        preexec_fn=lambda: os.umask(0o027),
    )
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.glob(".new.md.*")] == []


def test_output_on_an_unwritable_path_is_one_line(report_config: Path) -> None:
    proc = _report(report_config, "/proc/wirewatch-report.md")
    assert_one_line_error(proc, code=1)


# --- backfill: an archive day that cannot be read -------------------------------------------


def test_an_unreadable_archive_day_is_recorded_and_stops_the_backfill(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'w.db'}"
    with MockWire() as wire:
        wire.add("/robots.txt", Route(b"User-agent: *\nAllow: /\n", content_type="text/plain"))
        wire.add(
            "/archive/2026-11-20.xml",
            Route(b'<?xml version="1.0"?><rss><channel/></rss>', content_type="application/xml"),
        )
        source = {
            "feeds": [wire.url("/feed.xml")],
            "archive": wire.url("/archive/{date:%Y-%m-%d}.xml"),
        }
        config = write_config(tmp_path, db_url, {"arch": source})
        proc = run_cli(
            config, "backfill", "--source", "arch", "--since", "2026-11-20", "--until", "2026-11-21"
        )
        assert wire.requested("/archive/2026-11-21.xml") == 0  # stopped at the bad day
    assert "backfill stopped before 2026-11-20" in assert_one_line_error(proc, code=1)
    ((stage, reason),) = rows(db_url, "SELECT stage, reason FROM fetch_failures")
    assert stage == "archive" and "not a sitemap" in reason
    assert running_runs(db_url) == []
