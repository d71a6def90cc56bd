"""`wirewatch run` as a real process: it crawls on schedule and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.mockwire import MockWire

pytestmark = pytest.mark.e2e

SITE = Path(__file__).parent / "fixtures" / "mockwire"


def finished_runs(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "select status, finished_at from crawl_runs where finished_at is not null"
        ).fetchall()
    except sqlite3.OperationalError:  # not migrated yet
        return []
    finally:
        con.close()


def test_service_crawls_on_schedule_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "service.db"
    with MockWire.from_directory(SITE) as wire:
        config = tmp_path / "wirewatch.toml"
        config.write_text(
            f"""builtin_sources = false
data_dir = "{tmp_path}"
[database]
url = "sqlite:///{db}"
[crawl]
timeout = 2
retries = 0
max_age_days = 100000
[[sources]]
name = "mockwire"
feeds = ["{wire.base_url}/rss.xml"]
delay = 0
interval = "4s"
""",
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "wirewatch", "--config", str(config), "run"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )
        try:
            deadline = time.monotonic() + 90
            while len(finished_runs(db)) < 2 and time.monotonic() < deadline:
                assert proc.poll() is None, proc.communicate()[0]
                time.sleep(0.5)
            runs = finished_runs(db)
            assert len(runs) >= 2, "the service did not crawl twice within 90 s"
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=90)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, out
    assert "wirewatch service stopped" in out
    assert all(status in {"ok", "partial", "interrupted"} for status, _ in finished_runs(db))
    con = sqlite3.connect(db)
    (count,) = con.execute("select count(*) from articles").fetchone()
    con.close()
    assert count > 0
