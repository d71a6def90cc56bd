"""Backfill against the mock wire site: day by day, polite, interrupted and resumed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.mockwire import MockWire, Route
from tests.test_identity_crawl import sitemap
from tests.test_polling import article, cli, rows, write_config

pytestmark = pytest.mark.e2e

DAYS = ["2026-11-20", "2026-11-21", "2026-11-22"]


def day_routes() -> dict[str, Route]:
    """Three daily sitemaps of two articles each; the third day's sitemap is slow."""
    routes = {"/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")}
    for n, day in enumerate(DAYS):
        links = [(f"{{base}}/news/{day}/story-{i}.html", f"{day}T0{i}:00:00+03:00") for i in (1, 2)]
        routes[f"/sitemap/{day}.xml"] = Route(body=sitemap(*links), content_type="application/xml")
        for i in (1, 2):
            routes[f"/news/{day}/story-{i}.html"] = Route(
                body=article(
                    f"Story {i} of {day}", f"Wire copy number {n * 2 + i} about the {day} events."
                )
            )
    return routes


def progress(db: Path) -> tuple[int, str] | None:
    try:
        con = sqlite3.connect(db)
        try:
            row = con.execute("select days_done, next_day from backfill_progress").fetchone()
        finally:
            con.close()
    except sqlite3.OperationalError:
        return None
    return row


def test_backfill_is_resumed_where_it_was_interrupted(tmp_path: Path) -> None:
    routes = day_routes()
    slow = routes[f"/sitemap/{DAYS[2]}.xml"]
    routes[f"/sitemap/{DAYS[2]}.xml"] = Route(
        body=slow.body, content_type=slow.content_type, delay=30
    )
    db = tmp_path / "w.db"
    with MockWire(routes) as wire:
        config = write_config(
            tmp_path,
            db,
            {
                "wire": {
                    "feeds": [wire.url("/unused.xml")],
                    "archive": wire.url("/sitemap/{date:%Y-%m-%d}.xml"),
                }
            },
            timeout=60,
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
        args = ["--config", str(config), "backfill", "--source", "wire"]
        args += ["--since", DAYS[0], "--until", DAYS[2]]
        child = subprocess.Popen(
            [sys.executable, "-m", "wirewatch", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline and (progress(db) or (0,))[0] < 2:
                time.sleep(0.2)
            assert progress(db) == (2, DAYS[2])
        finally:
            child.send_signal(signal.SIGKILL)  # interrupted hard, mid-way through day three
            child.communicate(timeout=30)
        assert rows(db, "select count(*) from articles") == [(4,)]

        wire.add(f"/sitemap/{DAYS[2]}.xml", slow)
        wire.clear_requests()
        out = cli(config, "backfill", "--source", "wire", "--since", DAYS[0], "--until", DAYS[2])
        requested = [p for _, p, _ in wire.requests]
    assert f"/sitemap/{DAYS[0]}.xml" not in requested and f"/sitemap/{DAYS[1]}.xml" not in requested
    assert requested.count(f"/sitemap/{DAYS[2]}.xml") == 1
    assert sorted(p for p in requested if p.startswith("/news/")) == [
        f"/news/{DAYS[2]}/story-1.html",
        f"/news/{DAYS[2]}/story-2.html",
    ]
    assert "3/3 days done" in out.stdout
    assert rows(db, "select count(*) from articles") == [(6,)]
    assert rows(db, "select days_done, next_day, articles from backfill_progress") == [
        (3, "2026-11-23", 6)
    ]

    again = cli(config, "backfill", "--source", "wire", "--since", DAYS[0], "--until", DAYS[2])
    assert "3/3 days done" in again.stdout


def test_a_failing_archive_stops_the_backfill_for_a_later_resume(tmp_path: Path) -> None:
    routes = day_routes()
    routes[f"/sitemap/{DAYS[1]}.xml"] = Route(body=b"down", status=500)
    db = tmp_path / "w.db"
    with MockWire(routes) as wire:
        config = write_config(
            tmp_path,
            db,
            {
                "wire": {
                    "feeds": [wire.url("/unused.xml")],
                    "archive": wire.url("/sitemap/{date:%Y-%m-%d}.xml"),
                }
            },
            retries=0,
        )
        proc = cli(
            config,
            "backfill",
            "--source",
            "wire",
            "--since",
            DAYS[0],
            "--until",
            DAYS[2],
            check=False,
        )
        assert proc.returncode == 1 and "run again to resume" in proc.stderr
        assert wire.requested(f"/sitemap/{DAYS[2]}.xml") == 0
        assert rows(db, "select days_done, next_day from backfill_progress") == [(1, DAYS[1])]


def test_backfill_needs_an_archive(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, tmp_path / "w.db", {"wire": {"feeds": ["http://127.0.0.1:9/f.xml"]}}
    )
    proc = cli(config, "backfill", "--source", "wire", "--since", "2026-11-01", check=False)
    assert proc.returncode == 2 and "no archive configured" in proc.stderr
