"""Lifecycle of `wirewatch run`: SIGTERM lets a poll finish within the grace time and cuts
one that outlasts it keeping every committed article, a second signal exits at once, a
second instance on one SQLite database refuses to start, and a configuration error exits 2
before anything is scheduled."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.mockwire import MockWire, load_site
from tests.test_service_failures import worker_of
from tests.test_service_support import SITE, ServiceProcess, query, runs, write_config

pytestmark = pytest.mark.e2e


def slow_site() -> MockWire:
    """The mock wire site with every article page answering 2.5 s late."""
    routes = {
        path: replace(route, delay=2.5) if path.endswith(".html") else route
        for path, route in load_site(SITE).items()
    }
    return MockWire(routes)


def test_sigterm_mid_poll_keeps_committed_articles(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'life.db'}"
    with slow_site() as wire:
        config = write_config(
            tmp_path / "wirewatch.toml",
            db,
            [{"name": "slow", "feeds": [f"{wire.base_url}/rss.xml"], "interval": "1h"}],
            {"stop_grace": 3},
        )
        config.write_text(config.read_text().replace("timeout = 3\n", "timeout = 20\n"))
        svc = ServiceProcess(config, tmp_path / "service.log")
        try:
            svc.wait_for(lambda: "leading the schedule" in svc.log, 30, "no leader")
            second = subprocess.run(
                [sys.executable, "-m", "wirewatch", "--config", str(config), "run"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            svc.wait_for(
                lambda: query(db, "select count(*) from articles")[0][0] > 0,
                40,
                "nothing committed",
            )
            assert runs(db)[0][2] == "running"
            svc.proc.send_signal(signal.SIGHUP)  # no reload: logged and ignored
            svc.wait_for(lambda: "SIGHUP ignored" in svc.log, 10, "SIGHUP not handled")
            before = query(db, "select url, content_hash from articles")
            code, seconds = svc.stop()
        finally:
            svc.kill()
    assert second.returncode == 1
    assert "already using this SQLite database" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr

    assert code == 0, svc.log
    assert seconds < 3 + 10
    assert [r[2] for r in runs(db)] == ["interrupted"]
    assert "closing them" in svc.log
    after = query(db, "select url, content_hash from articles")
    assert set(before) <= set(after)
    # no half-written rows: every article has its versions, every match its article
    assert not query(
        db,
        "select a.id from articles a left join article_versions v "
        "on v.article_id = a.id and v.version = a.version where v.id is null",
    )
    assert not query(
        db,
        "select m.id from topic_matches m left join articles a on a.id = m.article_id "
        "where a.id is null",
    )
    assert "wirewatch service stopped" in svc.log


def test_second_signal_exits_at_once(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'twice.db'}"
    with slow_site() as wire:
        config = write_config(
            tmp_path / "wirewatch.toml",
            db,
            [{"name": "slow", "feeds": [f"{wire.base_url}/rss.xml"], "interval": "1h"}],
            {"stop_grace": 60},
        )
        config.write_text(config.read_text().replace("timeout = 3\n", "timeout = 20\n"))
        svc = ServiceProcess(config, tmp_path / "service.log")
        try:
            svc.wait_for(lambda: "crawl run 1 started" in svc.log, 40, "no crawl started")
            child = worker_of(svc.proc.pid)
            assert child is not None
            # mid-download of a 2.5 s page, so the first signal's graceful stop takes a while
            # (before the first article request it can finish before the second signal)
            svc.wait_for(
                lambda: any(p.endswith(".html") for _, p, _ in wire.requests),
                40,
                "no article requested",
            )
            svc.proc.send_signal(signal.SIGINT)  # as Ctrl-C
            time.sleep(0.5)
            code, seconds = svc.stop()  # SIGTERM: the second signal
        finally:
            svc.kill()
    assert code == 1
    assert seconds < 3
    assert "second signal" in svc.log
    time.sleep(0.5)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text()


def test_a_poll_shorter_than_the_grace_time_finishes(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'grace.db'}"
    with slow_site() as wire:
        config = write_config(
            tmp_path / "wirewatch.toml",
            db,
            [{"name": "slow", "feeds": [f"{wire.base_url}/rss.xml"], "interval": "1h"}],
            {"stop_grace": 60},
        )
        config.write_text(config.read_text().replace("timeout = 3\n", "timeout = 20\n"))
        svc = ServiceProcess(config, tmp_path / "service.log")
        try:
            svc.wait_for(
                lambda: any(p.endswith(".html") for _, p, _ in wire.requests),
                40,
                "no article requested",
            )
            code, seconds = svc.stop()
        finally:
            svc.kill()
        listed = {p for _, p, _ in wire.requests if p.endswith(".html")}
    assert code == 0, svc.log
    assert seconds < 60
    (run,) = runs(db)
    assert run[2] in {"ok", "partial"}, run  # finished, not cut short
    stored = query(db, "select count(*) from articles")[0][0]
    failed = query(db, "select count(*) from fetch_failures where stage != 'robots'")[0][0]
    assert stored > 0 and stored + failed >= len(listed) - 1, (stored, failed, listed)


@pytest.mark.parametrize(
    ("section", "table", "message", "commands"),
    [
        ("service", 'health_port = "x"', "service.health_port: must be a whole number", ["run"]),
        ("service", "restart = true", "service.restart: unknown key", ["run"]),
        ("cluster", 'queue_url = "amqp://x"', "cluster.queue_url: unsupported queue",
         ["run", "worker"]),
        ("cluster", "workers = 3", "more than one worker needs cluster.queue_url",
         ["run", "worker"]),
    ],
)  # fmt: skip
def test_config_error_exits_2_before_scheduling(
    tmp_path: Path, section: str, table: str, message: str, commands: list[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(
        f'builtin_sources = false\n[database]\nurl = "sqlite:///{tmp_path}/x.db"\n'
        f"[{section}]\n{table}\n",
        encoding="utf-8",
    )
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "wirewatch", "--config", str(config), command],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
        assert "started" not in done.stderr
    assert not (tmp_path / "x.db").exists()
