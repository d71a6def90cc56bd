"""Runs tell the truth: a crawl killed with SIGKILL is closed as lost, a crawl whose
database fills up or goes away mid-crawl says so, exits 1 and keeps what it fetched for
the next crawl, and two commands starting on a new database at once both succeed.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from storage import runs, writes
from storage.db import make_engine, normalize_url
from tests.conftest import DEFAULT_POSTGRES_URL, postgres_schema_url
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

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _site(wire: MockWire, count: int, *, delay: float = 0.0, words: int = 40) -> list[str]:
    """A feed of ``count`` articles, each answered after ``delay`` seconds."""
    items = [(f"{{base}}/a{i}", f"story {i}") for i in range(count)]
    wire.add("/feed.xml", Route(rss(items), content_type=RSS))
    for i in range(count):
        text_ = " ".join(f"w{i}x{j}" for j in range(words))
        wire.add(f"/a{i}", Route(article_page(f"story {i}", text_), delay=delay))
    return [wire.url("/feed.xml")]


# --- storage.runs.close_lost_runs, on both databases -------------------------------------


def _run(session: Session, owner: str | None, beat: datetime | None, started: datetime) -> int:
    run_id = writes.start_run(session, ["s"])
    session.execute(
        text("UPDATE crawl_runs SET owner = :o, heartbeat_at = :b, started_at = :s WHERE id = :i"),
        {"o": owner, "b": beat, "s": started, "i": run_id},
    )
    return run_id


@pytest.mark.parametrize(
    ("owner", "alive", "beat_age", "closed", "reason"),
    [
        ("h:1:1", False, 0, True, "lost: process h:1:1 is gone"),
        ("h:1:1", True, 30 * 3600, False, None),
        ("other:1:1", None, 60, False, None),
        ("other:1:1", None, 2 * 3600, True, "lost: no sign of life since"),
        (None, None, 2 * 3600, True, "lost: no sign of life since"),
    ],
    ids=["dead-owner", "live-owner-old", "other-host-fresh", "other-host-stale", "no-owner-stale"],
)
def test_close_lost_runs(
    session: Session,
    owner: str | None,
    alive: bool | None,
    beat_age: int,
    closed: bool,
    reason: str | None,
) -> None:
    when = T0 - timedelta(seconds=beat_age)
    run_id = _run(session, owner, when, when)
    done = writes.start_run(session, ["s"])
    writes.finish_run(session, done, status="ok", counts=[], error=None)
    lost = runs.close_lost_runs(session, T0, is_alive=lambda _owner: alive)
    assert [r for r, _ in lost] == ([run_id] if closed else [])
    status, error = session.execute(
        text("SELECT status, error FROM crawl_runs WHERE id = :i"), {"i": run_id}
    ).one()
    assert status == ("failed" if closed else "running")
    assert (reason or "") in (error or "")
    assert (
        session.execute(
            text("SELECT status FROM crawl_runs WHERE id = :i"), {"i": done}
        ).scalar_one()
        == "ok"
    )


def test_owner_of_a_real_process_is_judged_by_pid_and_start_time() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        owner = runs.process_owner(child.pid)
        assert runs.owner_alive(owner) is True
        assert runs.owner_alive(runs.process_owner()) is True
        host, pid, _ = owner.split(":")
        assert runs.owner_alive(f"{host}:{pid}:1") is False  # same pid, another start: reused
        assert runs.owner_alive(f"elsewhere:{pid}:1") is None
    finally:
        child.kill()
        child.wait()
    assert runs.owner_alive(owner) is False


# --- kill -9 of a real crawl ----------------------------------------------------------------


def _wait_for(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.e2e
@pytest.mark.parametrize("closer", ["db-check", "poll"])
def test_a_killed_crawl_is_closed_as_lost(tmp_path: Path, closer: str) -> None:
    db_url = f"sqlite:///{tmp_path / 'w.db'}"
    with MockWire() as wire:
        feeds = _site(wire, 6, delay=1.0)
        config = write_config(tmp_path, db_url, {"s": {"feeds": feeds}}, concurrency_per_source=1)
        proc = subprocess.Popen(
            [sys.executable, "-m", "wirewatch", "--config", str(config), "crawl"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env(),
            start_new_session=True,
        )
        try:
            _wait_for(lambda: wire.requested("/a1") > 0, 60, "the crawl to fetch articles")
            assert len(running_runs(db_url)) == 1
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        assert len(running_runs(db_url)) == 1  # what kill -9 leaves behind
        args = ("db", "check") if closer == "db-check" else ("poll",)
        after = run_cli(config, *args, timeout=120)
        assert after.returncode == 0, after.stderr[-2000:]
        if closer == "db-check":
            assert "closed as failed: lost: process" in after.stdout
    assert running_runs(db_url) == []
    (first,) = rows(db_url, "SELECT status, error FROM crawl_runs ORDER BY id LIMIT 1")
    assert first.status == "failed" and first.error.startswith("lost: process ")


# --- the database fills up or goes away mid-crawl ------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1.5 MB tmpfs: a real "disk full" for the database (needs the right to mount)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if not shutil.which("mount") or os.geteuid() != 0:
        pytest.skip("a small disk needs root to mount a tmpfs")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1500k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.e2e
def test_disk_full_is_reported_spooled_and_stored_by_the_next_crawl(
    tmp_path: Path, small_disk: Path
) -> None:
    db = small_disk / "w.db"
    with MockWire() as wire:
        feeds = _site(wire, 30, words=1500)
        config = write_config(
            tmp_path, f"sqlite:///{db}", {"s": {"feeds": feeds}}, store_batch_size=5
        )
        first = run_cli(config, "crawl", timeout=180)
        line = assert_one_line_error(first, code=1)
        assert "database or disk is full" in line and "spooled to" in line
        spooled = list((tmp_path / "data" / "spool").glob("*.jsonl"))
        assert len(spooled) == 1
        stored_first = rows(f"sqlite:///{db}", "SELECT count(*) FROM articles")[0][0]
        assert stored_first < 30
        # room again: the spool is written first, then the crawl goes on as usual
        grown = ["mount", "-o", "remount,size=64m", str(small_disk)]
        subprocess.run(grown, check=True, capture_output=True)
        wire.add("/feed.xml", Route(rss([]), content_type=RSS))  # nothing new to fetch
        second = run_cli(config, "crawl", timeout=180)
    assert second.returncode == 0, second.stderr[-2000:]
    db_url = f"sqlite:///{db}"
    assert rows(db_url, "SELECT count(*) FROM articles")[0][0] == 30
    assert list((tmp_path / "data" / "spool").glob("*.jsonl*")) == []
    assert running_runs(db_url) == []


def _set_connections(database: str, allow: bool) -> None:
    """Let connections into ``database`` or cut it off (and end its sessions)."""
    admin_url = os.environ.get("WIREWATCH_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    admin: Engine = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allow).lower()}')
            )
            if not allow:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :d AND pid <> pg_backend_pid()"
                    ),
                    {"d": database},
                )
    finally:
        admin.dispose()


@pytest.mark.e2e
@pytest.mark.postgres
def test_postgres_gone_mid_crawl_is_reported_and_nothing_fetched_is_lost(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with postgres_schema_url(request) as db_url, MockWire() as wire:
        database = normalize_url(db_url).database or ""
        feeds = _site(wire, 10, delay=0.6)
        config = write_config(
            tmp_path, db_url, {"s": {"feeds": feeds}}, concurrency_per_source=1, store_batch_size=2
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "wirewatch", "--config", str(config), "crawl"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env(),
            text=True,
        )
        try:
            _wait_for(lambda: wire.requested("/a3") > 0, 60, "a few articles")
            _set_connections(database, allow=False)
            out, err = proc.communicate(timeout=120)  # the outage outlasts the crawl
        finally:
            if proc.poll() is None:
                proc.kill()
            _set_connections(database, allow=True)
        first = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        line = assert_one_line_error(first, code=1)
        assert "could not be written" in line and "spooled to" in line
        wire.add("/feed.xml", Route(rss([]), content_type=RSS))
        second = run_cli(config, "crawl", timeout=180)
        assert second.returncode == 0, second.stderr[-2000:]
        assert rows(db_url, "SELECT count(*) FROM articles")[0][0] == 10
        assert running_runs(db_url) == []
        statuses = [r.status for r in rows(db_url, "SELECT status FROM crawl_runs ORDER BY id")]
        assert statuses[0] in ("failed", "partial") and statuses[-1] == "ok"


@pytest.mark.e2e
def test_an_unreachable_database_at_start_is_one_line(tmp_path: Path) -> None:
    url = "postgresql+psycopg://wirewatch@127.0.0.1:9/none"
    with MockWire() as wire:
        config = write_config(tmp_path, url, {"s": {"feeds": _site(wire, 1)}})
        proc = run_cli(config, "crawl", timeout=120)
    assert "Connection refused" in assert_one_line_error(proc, code=1)
    assert wire.requests == []


# --- concurrent first start on a new database -------------------------------------------


@pytest.mark.e2e
def test_concurrent_first_start_on_a_new_database(tmp_path: Path, db_url: str) -> None:
    config = write_config(tmp_path, db_url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "wirewatch", "--config", str(config), "db", "upgrade"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env(),
            text=True,
        )
        for _ in range(6)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    for proc in procs:
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    assert [code for code, _ in results] == [0] * 6, results
    assert len(rows(db_url, "SELECT version_num FROM alembic_version")) == 1


@pytest.mark.e2e
def test_a_run_that_cannot_be_started_crawls_nothing_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with MockWire() as wire:
        config = write_config(tmp_path, f"sqlite:///{db}", {"s": {"feeds": _site(wire, 1)}})
        assert run_cli(config, "db", "upgrade").returncode == 0
        conn = sqlite3.connect(db)
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON crawl_runs "
            "BEGIN SELECT RAISE(ABORT, 'no runs today'); END"
        )
        conn.commit()
        conn.close()
        proc = run_cli(config, "crawl", timeout=120)
        assert wire.requests == []
    line = assert_one_line_error(proc, code=1)
    assert "could not start the crawl run: no runs today" in line
    assert "Traceback" not in proc.stderr
