"""`wirewatch run` as a real process: it crawls on schedule, answers /healthz and /metrics,
logs JSON lines with the run id, and stops cleanly on SIGTERM."""

from __future__ import annotations

import itertools
import json
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
