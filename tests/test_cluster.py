"""Several crawl workers on one PostgreSQL database and one Redis queue, as separate processes
sharing only the two URLs: each source polled once per interval in total and never by two
workers at once, the load split between them, a worker killed mid-poll taken over without
losing or doubling an article, and a queue that disappears paused and resumed."""

from __future__ import annotations

import itertools
import json
import signal
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import RedisQueue, postgres_schema_url
from tests.mockwire import MockWire, Route
from tests.test_service_support import (
    ServiceProcess,
    TcpProxy,
    free_port,
    http_get,
    query,
    runs,
    write_config,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

SOURCES = 8
INTERVAL = 4.0


def wire_routes() -> dict[str, Route]:
    """``SOURCES`` feeds of two articles each; articles answer 0.6 s late (polls take a while)."""
    routes = {"/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")}
    for i in range(SOURCES):
        items = "".join(
            f"<item><title>Kuril story {i}-{k}</title><link>{{base}}/s{i}/{k}.html</link>"
            f"<pubDate>Sun, 06 Dec 2026 10:0{k}:00 GMT</pubDate></item>"
            for k in range(2)
        )
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>s{i}</title>{items}'
        routes[f"/s{i}/feed.xml"] = Route(
            body=(feed + "</channel></rss>").encode(),
            content_type="application/rss+xml",
            headers={"ETag": f'"s{i}"'},
        )
        for k in range(2):
            text = " ".join(["The Kuril Islands dispute between Japan and Russia."] * 30)
            page = (
                f"<html><head><title>Kuril story {i}-{k}</title></head><body><article>"
                f"<h1>Kuril story {i}-{k}</h1><p>{text}</p></article></body></html>"
            )
            routes[f"/s{i}/{k}.html"] = Route(body=page.encode(), delay=0.6)
    return routes


def cluster_config(tmp_path: Path, db: str, queue: RedisQueue, base: str, redis_url: str) -> Path:
    """Sources polled every ``INTERVAL`` s (no adaptation); leases of 3 s."""
    sources = [
        {
            "name": f"s{i}",
            "feeds": [f"{base}/s{i}/feed.xml"],
            "interval": INTERVAL,
            "min_interval": INTERVAL,
            "max_interval": INTERVAL,
        }
        for i in range(SOURCES)
    ]
    return write_config(
        tmp_path / "wirewatch.toml",
        db,
        sources,
        {"stop_grace": 10},
        cluster={
            "queue_url": redis_url,
            "queue_name": queue.name,
            "workers": 0,
            "lease": "3s",
            "polls_per_worker": 8,
        },
    )


def worker(config: Path, log: Path, port: int) -> ServiceProcess:
    """A standalone `wirewatch worker` with its own health port."""
    return ServiceProcess(
        config, log, command="worker", env={"WIREWATCH_WORKER_HEALTH_PORT": str(port)}
    )


def polls_by(proc: ServiceProcess) -> list[str]:
    """The sources a worker started polls of, from its log."""
    return [
        line.rsplit(": ", 1)[1].strip()
        for line in proc.log.splitlines()
        if "crawl run" in line and "started: " in line
    ]


def leased_by(db: str, pid: int) -> set[str]:
    """The sources the worker with process id ``pid`` is polling now."""
    rows = query(db, "select source, lease_owner from source_states where lease_run is not null")
    return {source for source, owner in rows if f":{pid}:" in (owner or "")}


def no_overlap(db: str) -> None:
    for i in range(SOURCES):
        spans = sorted((r[3], r[4]) for r in runs(db, f"s{i}") if r[4] is not None)
        assert all(b[0] >= a[1] for a, b in itertools.pairwise(spans)), (i, spans)


def test_two_workers_share_the_sources_and_take_over_a_killed_one(
    tmp_path: Path, request: pytest.FixtureRequest, redis_queue: RedisQueue
) -> None:
    ports = [free_port(), free_port()]
    with postgres_schema_url(request) as db, MockWire(wire_routes()) as wire:
        config = cluster_config(tmp_path, db, redis_queue, wire.base_url, redis_queue.url)
        leader = ServiceProcess(config, tmp_path / "leader.log")
        workers = [worker(config, tmp_path / f"w{n}.log", ports[n]) for n in range(2)]
        procs = [leader, *workers]
        try:
            leader.wait_for(lambda: "leading the schedule" in leader.log, 30, "no leader")
            time.sleep(6 * INTERVAL)  # both workers poll side by side
            split = [len(polls_by(w)) for w in workers]
            health = http_get(f"http://127.0.0.1:{ports[1]}/healthz")
            metrics = http_get(f"http://127.0.0.1:{ports[1]}/metrics")[1]
            # kill -9 the second worker while it polls
            victims = workers[1].wait_for(
                lambda: leased_by(db, workers[1].proc.pid), 20, "the worker polls nothing"
            )
            workers[1].proc.send_signal(signal.SIGKILL)
            killed_at = time.time()
            leader.wait_for(
                lambda: all(
                    [r for r in runs(db, s) if r[3].timestamp() > killed_at and r[2] != "running"]
                    for s in victims
                ),
                2 * INTERVAL + 10,
                "the killed worker's sources were not polled again",
            )
            taken_over = time.time() - killed_at
            rejoined = worker(config, tmp_path / "w1-again.log", ports[1])
            procs.append(rejoined)
            rejoined.wait_for(lambda: polls_by(rejoined), 40, "the restarted worker did not poll")
            code, _ = leader.stop()
        finally:
            for proc in procs:
                proc.kill()
        feed_requests = {i: wire.requested(f"/s{i}/feed.xml") for i in range(SOURCES)}
        base = wire.base_url
        all_runs = runs(db)
        articles = query(db, "select url, version from articles")
        lost = [r for r in all_runs if r[2] == "failed" and (r[5] or "").startswith("lost: ")]
        no_overlap(db)
        elapsed = max(r[4] for r in all_runs if r[4]) - min(r[3] for r in all_runs)
    assert code == 0, leader.log
    assert health[0] == 200 and json.loads(health[1])["role"] == "worker", health
    assert "wirewatch_worker_polls_total{" in metrics and 'worker="' in metrics
    # the load is split: each worker within 20 % of the mean
    mean = sum(split) / 2
    assert mean > 0 and all(abs(n - mean) <= 0.2 * mean + 1 for n in split), split
    # once per interval in total (no source polled by two workers for one due time)
    for i, n in feed_requests.items():
        assert n <= elapsed.total_seconds() / INTERVAL + 2, (i, n, elapsed)
    # the killed worker's open runs were closed: by the worker that took its sources over
    # (lease expired) or by the leader's check for runs whose process is gone, whichever
    # came first; either way as lost, and only runs of the sources it was polling
    assert lost and victims, (victims, all_runs[-10:])
    assert {r[1] for r in lost} <= victims, (lost, victims)
    assert taken_over < 2 * INTERVAL + 10
    assert not [r for r in all_runs if r[2] == "running"], all_runs[-5:]
    # no article lost or stored twice: every article once, in its first version
    assert sorted(u for u, _ in articles) == sorted(
        f"{base}/s{i}/{k}.html" for i in range(SOURCES) for k in range(2)
    )
    assert all(v == 1 for _, v in articles)


def test_a_worker_pauses_while_the_queue_is_gone_and_resumes(
    tmp_path: Path, request: pytest.FixtureRequest, redis_queue: RedisQueue
) -> None:
    parts = urlsplit(redis_queue.url)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 6379))
    via_proxy = redis_queue.url.replace(f":{parts.port or 6379}", f":{proxy.port}")
    port = free_port()
    try:
        with postgres_schema_url(request) as db, MockWire(wire_routes()) as wire:
            config = cluster_config(tmp_path, db, redis_queue, wire.base_url, via_proxy)
            leader = ServiceProcess(config, tmp_path / "leader.log")
            one = worker(config, tmp_path / "w.log", port)
            try:
                one.wait_for(lambda: polls_by(one), 40, "no poll before the cut")
                proxy.cut()
                paused = one.wait_for(
                    lambda: (h := http_get(f"http://127.0.0.1:{port}/healthz"))[0] == 503 and h,
                    30,
                    "/healthz stayed 200 without the queue",
                )
                before = len(polls_by(one))
                time.sleep(3)
                proxy.restore()
                one.wait_for(lambda: len(polls_by(one)) > before + SOURCES, 60, "no resume")
                healthy = one.wait_for(
                    lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 30, "still 503"
                )
                code, _ = one.stop()
                leader.stop()
            finally:
                leader.kill()
                one.kill()
            no_overlap(db)
            leftover = [r for r in runs(db) if r[2] == "running"]
    finally:
        proxy.close()
    details = json.loads(paused[1])
    assert details["state"] == "paused" and details["queue"].startswith("unreachable"), details
    assert healthy and code == 0, one.log
    assert "work queue unreachable, polling paused" in one.log
    assert "work queue reachable again" in one.log
    assert not leftover


def test_a_worker_refuses_a_schema_newer_than_it_knows(
    tmp_path: Path, request: pytest.FixtureRequest, redis_queue: RedisQueue
) -> None:
    import subprocess
    import sys

    from sqlalchemy import create_engine, text

    with postgres_schema_url(request) as db:
        config = cluster_config(tmp_path, db, redis_queue, "http://127.0.0.1:9", redis_queue.url)
        done = subprocess.run(
            [sys.executable, "-m", "wirewatch", "--config", str(config), "db", "upgrade"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        engine = create_engine(db.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        engine.dispose()
        done = subprocess.run(
            [sys.executable, "-m", "wirewatch", "--config", str(config), "worker"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "newer than this wirewatch knows" in done.stderr


def test_a_worker_started_without_its_queue_waits_for_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = f"sqlite:///{tmp_path / 'w.db'}"
    port = free_port()
    source = {"name": "a", "feeds": ["http://127.0.0.1:9/feed.xml"]}
    queue = {"queue_url": "redis://127.0.0.1:9/0"}
    config = write_config(tmp_path / "wirewatch.toml", db, [source], cluster=queue)
    subprocess.run(
        [sys.executable, "-m", "wirewatch", "--config", str(config), "db", "upgrade"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    one = worker(config, tmp_path / "w.log", port)
    try:
        paused = one.wait_for(
            lambda: (h := http_get(f"http://127.0.0.1:{port}/healthz"))[0] == 503 and h,
            30,
            "no /healthz 503 while the queue is unreachable",
        )
        time.sleep(3)
        assert one.proc.poll() is None  # still there, retrying
        code, _ = one.stop()
    finally:
        one.kill()
    assert code == 0, one.log
    assert json.loads(paused[1])["state"] == "paused"
    assert one.log.count("work queue unreachable, polling paused") == 1, one.log
    assert "Traceback" not in one.log
