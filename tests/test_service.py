"""`wirewatch run` as a real process: it crawls on schedule, answers /healthz and /metrics,
logs JSON lines with the run id, and stops cleanly on SIGTERM."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

from tests.mockwire import MockWire
from tests.test_service_support import (
    SITE,
    ServiceProcess,
    finished,
    free_port,
    http_get,
    query,
    write_config,
)

pytestmark = pytest.mark.e2e


def test_service_crawls_on_schedule_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'service.db'}"
    port = free_port()
    with MockWire.from_directory(SITE) as wire:
        config = write_config(
            tmp_path / "wirewatch.toml",
            db,
            [{"name": "mockwire", "feeds": [f"{wire.base_url}/rss.xml"], "interval": "3s"}],
            {"health_port": port},
        )
        svc = ServiceProcess(config, tmp_path / "service.log", "--log-format", "json")
        try:
            svc.wait_for(lambda: len(finished(db)) >= 2, 60, "the service did not crawl twice")
            status, body = http_get(f"http://127.0.0.1:{port}/healthz")
            metrics = http_get(f"http://127.0.0.1:{port}/metrics")[1]
            code, seconds = svc.stop()
        finally:
            svc.kill()
        feed_requests = wire.requested("/rss.xml")
    assert code == 0, svc.log
    assert seconds < 15
    assert status == 200, body
    health = json.loads(body)
    assert health["role"] == "leader" and health["database"] == "ok"
    assert health["sources"]["mockwire"]["last_success"] is not None
    assert 'wirewatch_articles_new_total{source="mockwire"}' in metrics
    assert 'wirewatch_crawl_runs_total{source="mockwire",status=' in metrics
    assert "wirewatch_last_success_timestamp_seconds{" in metrics
    assert 'wirewatch_crawl_duration_seconds_count{source="mockwire"}' in metrics

    ends = finished(db)
    assert all(status in {"ok", "partial", "interrupted"} for _, _, status, *_ in ends)
    assert not list(query(db, "select id from crawl_runs where status = 'running'"))
    assert query(db, "select count(*) from articles")[0][0] > 0
    # on schedule: about one crawl per 3 s interval, never two at once
    starts = sorted(r[3] for r in ends)
    assert all(b > a for a, b in itertools.pairwise(starts))
    assert feed_requests <= len(query(db, "select id from crawl_runs")) + 1

    lines = [json.loads(line) for line in svc.log.splitlines() if line.startswith("{")]
    assert lines and "wirewatch service stopped" in lines[-1]["message"]
    crawl_lines = [line for line in lines if line["logger"].startswith(("scrapy", "pipelines"))]
    assert crawl_lines and all("run_id" in line for line in crawl_lines)
    run_ids = {r[0] for r in ends}
    assert {line["run_id"] for line in crawl_lines} <= run_ids | {max(run_ids) + 1}


def test_overload_is_polled_oldest_first_and_reported(tmp_path: Path) -> None:
    """Eight sources due every 2 s, each poll ~1.5 s, one poll at a time: more is due than
    the worker can poll. Every source is still polled in turn, and the backlog is reported."""
    from tests.mockwire import Route

    db = f"sqlite:///{tmp_path / 'busy.db'}"
    port = free_port()
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    routes = {
        f"/f{i}.xml": Route(body=feed, delay=1.5, content_type="application/rss+xml")
        for i in range(8)
    }
    with MockWire(routes) as wire:
        sources = [
            {"name": f"b{i}", "feeds": [wire.url(f"/f{i}.xml")], "interval": 2,
             "min_interval": 2, "max_interval": 2}
            for i in range(8)
        ]  # fmt: skip
        config = write_config(
            tmp_path / "wirewatch.toml", db, sources, {"health_port": port},
            cluster={"polls_per_worker": 1},
        )  # fmt: skip
        svc = ServiceProcess(config, tmp_path / "service.log")
        try:
            svc.wait_for(lambda: "backlog:" in svc.log, 90, "no backlog warning")
            metrics = http_get(f"http://127.0.0.1:{port}/metrics")[1]
            health = json.loads(http_get(f"http://127.0.0.1:{port}/healthz")[1])
            time.sleep(6)
            code, _ = svc.stop()
        finally:
            svc.kill()
        arrivals = {i: wire.requested(f"/f{i}.xml") for i in range(8)}
    assert code == 0, svc.log
    due = [line for line in metrics.splitlines() if line.startswith("wirewatch_due_sources ")]
    assert due and float(due[0].split()[1]) >= 1, due
    oldest = [ln for ln in metrics.splitlines() if ln.startswith("wirewatch_oldest_due_seconds ")]
    assert oldest and float(oldest[0].split()[1]) > 0, oldest
    assert health["backlog"]["due"] >= 1, health
    # oldest due first: no source starves; every one was polled about as often as the others
    assert min(arrivals.values()) >= max(arrivals.values()) - 2, arrivals


def test_the_service_serves_the_web_site_when_enabled(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'web.db'}"
    port = free_port()
    with MockWire.from_directory(SITE) as wire:
        config = write_config(
            tmp_path / "wirewatch.toml",
            db,
            [{"name": "mockwire", "feeds": [f"{wire.base_url}/rss.xml"], "interval": "1h"}],
        )
        config.write_text(
            config.read_text() + f"[web]\nenabled = true\nport = {port}\n", encoding="utf-8"
        )
        svc = ServiceProcess(config, tmp_path / "service.log")
        try:
            svc.wait_for(lambda: query(db, "select 1 from articles limit 1"), 60, "nothing stored")
            home = svc.wait_for(
                lambda: (r := http_get(f"http://127.0.0.1:{port}/"))[0] == 200 and r, 30,
                "the site did not answer",
            )  # fmt: skip
            code, _ = svc.stop()
        finally:
            svc.kill()
    assert code == 0, svc.log
    assert "kuril" in home[1].lower()
    assert http_get(f"http://127.0.0.1:{port}/")[0] == 0  # stopped with the service
