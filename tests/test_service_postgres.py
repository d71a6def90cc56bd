"""`wirewatch run` on PostgreSQL: a database that disappears for a while (a loopback proxy
we cut and restore) is survived and the work catches up; two replicas elect one leader,
run each scheduled crawl exactly once, and the standby takes over when the leader dies."""

from __future__ import annotations

import itertools
import json
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.mockwire import MockWire
from tests.test_service_support import (
    SITE,
    ServiceProcess,
    TcpProxy,
    finished,
    free_port,
    http_get,
    runs,
    write_config,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_database_outage_is_survived_and_work_catches_up(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from tests.conftest import postgres_schema_url

    with postgres_schema_url(request) as direct:
        url = make_url(direct)
        proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
        via_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
        port = free_port()
        try:
            with MockWire.from_directory(SITE) as wire:
                config = write_config(
                    tmp_path / "wirewatch.toml",
                    via_proxy,
                    [{"name": "mw", "feeds": [f"{wire.base_url}/rss.xml"], "interval": "2s"}],
                    {"health_port": port},
                )
                svc = ServiceProcess(config, tmp_path / "service.log")
                try:
                    svc.wait_for(lambda: finished(direct), 60, "no crawl before the outage")
                    proxy.cut()
                    cut_at = time.time()
                    health = svc.wait_for(
                        lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 503,
                        20,
                        "/healthz stayed 200 with the database gone",
                    )
                    time.sleep(4)
                    assert svc.proc.poll() is None, svc.log
                    proxy.restore()
                    restored_at = time.time()
                    svc.wait_for(
                        lambda: [r for r in finished(direct) if r[3].timestamp() > restored_at],
                        60,
                        "no crawl after the database came back",
                    )
                    _status, body = svc.wait_for(
                        lambda: (r := http_get(f"http://127.0.0.1:{port}/healthz"))[0] == 200 and r,
                        20,
                        "/healthz not healthy again",
                    )
                    code, _ = svc.stop()
                finally:
                    svc.kill()
        finally:
            proxy.close()
        assert health
        assert code == 0, svc.log
        assert json.loads(body)["database"] == "ok"
        assert "lost the database lock" in svc.log
        started = [r[3].timestamp() for r in runs(direct)]
        assert not [t for t in started if cut_at + 1 < t < restored_at], "crawl during the outage"
        assert all(r[2] != "running" for r in runs(direct))


def test_two_replicas_run_each_crawl_once_and_the_standby_takes_over(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from tests.conftest import postgres_schema_url

    with postgres_schema_url(request) as db, MockWire.from_directory(SITE) as wire:
        config = write_config(
            tmp_path / "wirewatch.toml",
            db,
            [{"name": "mw", "feeds": [f"{wire.base_url}/rss.xml"], "interval": "3s"}],
        )
        first = ServiceProcess(config, tmp_path / "first.log")
        second = ServiceProcess(config, tmp_path / "second.log")
        try:
            first.wait_for(
                lambda: "leading the schedule" in first.log + second.log, 30, "no leader"
            )
            leader, standby = (first, second) if "leading" in first.log else (second, first)
            standby.wait_for(lambda: "standing by" in standby.log, 20, "no standby")
            leader.wait_for(lambda: finished(db), 60, "leader did not crawl")
            leader.proc.send_signal(signal.SIGKILL)
            killed_at = time.time()
            standby.wait_for(lambda: "leading the schedule" in standby.log, 15, "no takeover")
            took_over = time.time() - killed_at
            standby.wait_for(
                lambda: [r for r in finished(db) if r[3].timestamp() > killed_at],
                60,
                "the new leader did not crawl",
            )
            code, _ = standby.stop()
        finally:
            first.kill()
            second.kill()
        feed_requests = wire.requested("/rss.xml")
        all_runs = runs(db)
    assert code == 0, standby.log
    assert took_over < 10
    # exactly once: one crawl per slot, never two of the source at the same time
    spans = sorted((r[3], r[4]) for r in all_runs if r[4] is not None)
    assert all(b[0] >= a[1] for a, b in itertools.pairwise(spans)), spans
    assert feed_requests == len(all_runs)
    before_takeover = standby.log.split("leading the schedule", 1)[0]
    assert "crawl of mw started" not in before_takeover
