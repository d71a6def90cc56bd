"""The containers for real: the image builds, and compose.cluster.yaml brings up PostgreSQL,
Redis, the service and two workers that poll a mock wire, turn healthy, and stop on
`docker stop` without losing an article or leaving a run open.

Needs a Docker engine (`.ci/run` installs Debian's docker.io and starts dockerd); skipped
without one unless ``WIREWATCH_REQUIRE_DOCKER=1``. No image registry is reachable here, so
the base image is made with debootstrap (tests/docker/make-base.sh) and PostgreSQL and
Redis run from Debian's packages on it (tests/docker/Dockerfile.services). Every container
uses the host network with its servers on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mockwire import MockWire, Route
from tests.test_service_support import free_port, http_get, query

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent / "docker"
BASE = "wirewatch-base:bookworm"
IMAGE = "wirewatch:test"
SERVICES = "wirewatch-services:test"
SOURCES = 6

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.timeout(1800)]


def docker(*args: str, timeout: float = 900, check: bool = True) -> str:
    """Run the docker CLI (classic builder: Debian's engine has no BuildKit)."""
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, env=env
    )
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr if args[0] == "logs" else done.stdout


def engine_or_skip() -> None:
    reason = None
    if shutil.which("docker") is None or shutil.which("docker-compose") is None:
        reason = "docker and docker-compose are not installed"
    else:
        done = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            reason = f"no Docker engine answers: {done.stderr.strip()[:200]}"
    if reason is not None:
        if os.environ.get("WIREWATCH_REQUIRE_DOCKER") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def images() -> None:
    """The base image (made once per machine), the wirewatch image and the stand-ins."""
    engine_or_skip()
    if docker("image", "inspect", BASE, check=False).strip() in ("", "[]"):
        subprocess.run(["sh", str(HERE / "make-base.sh"), BASE], check=True, timeout=1200)
    build = ["build", "--network", "host", "--build-arg", f"BASE={BASE}"]
    docker(*build, "-t", IMAGE, str(ROOT), timeout=1500)
    docker(*build, "-t", SERVICES, "-f", str(HERE / "Dockerfile.services"), str(HERE))


def wire_routes() -> dict[str, Route]:
    routes = {"/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")}
    for i in range(SOURCES):
        items = "".join(
            f"<item><title>Kuril story {i}-{k}</title><link>{{base}}/s{i}/{k}.html</link></item>"
            for k in range(2)
        )
        routes[f"/s{i}/feed.xml"] = Route(
            body=f'<rss version="2.0"><channel><title>s{i}</title>{items}</channel></rss>'.encode(),
            content_type="application/rss+xml",
        )
        for k in range(2):
            text = " ".join(["The Kuril Islands dispute between Japan and Russia."] * 30)
            routes[f"/s{i}/{k}.html"] = Route(
                body=f"<html><head><title>Kuril story {i}-{k}</title></head><body><article>"
                f"<h1>Kuril story {i}-{k}</h1><p>{text}</p></article></body></html>".encode(),
                delay=0.3,
            )
    return routes


def polled_sources(db: str) -> set[str]:
    """The sources polled so far (none while the database is not up yet)."""
    from sqlalchemy.exc import OperationalError

    try:
        rows = query(db, "select source from source_states where last_polled is not null")
    except OperationalError:
        return set()
    return {r[0] for r in rows}


def host_network_copy(tmp: Path) -> Path:
    """compose.cluster.yaml without its published port (a host-network container has none)."""
    text = (ROOT / "compose.cluster.yaml").read_text(encoding="utf-8")
    published = '    ports:\n      - "127.0.0.1:8080:8080"\n'
    assert published in text
    copy = ROOT / f".compose.test-{tmp.name}.yaml"  # beside the Dockerfile: same build context
    copy.write_text(text.replace(published, ""), encoding="utf-8")
    return copy


class Compose:
    """One compose project of compose.cluster.yaml with the test override."""

    def __init__(self, env: dict[str, str], base: Path) -> None:
        self.project = f"wwtest{secrets.token_hex(3)}"
        self.env = {**os.environ, **env}
        self.base = base

    def __call__(self, *args: str, timeout: float = 600) -> str:
        files = ["-f", str(self.base), "-f", str(HERE / "compose.test.yaml")]
        done = subprocess.run(
            ["docker-compose", "-p", self.project, *files, *args],
            capture_output=True, text=True, timeout=timeout, env=self.env, cwd=ROOT,
        )  # fmt: skip
        if done.returncode != 0:
            raise AssertionError(f"docker-compose {' '.join(args)}:\n{done.stdout}{done.stderr}")
        return done.stdout + done.stderr

    def containers(self, service: str) -> list[str]:
        return self("ps", "-q", service).split()


@pytest.fixture
def cluster(images: None, tmp_path: Path) -> Iterator[tuple[Compose, dict[str, int], MockWire]]:
    ports = {name: free_port() for name in ("db", "queue", "service")}
    with MockWire(wire_routes()) as wire:
        lines = ["builtin_sources = false", "[crawl]", "timeout = 10", "retries = 0",
                 "max_age_days = 3650", "[service]", "stop_grace = 20"]  # fmt: skip
        for i in range(SOURCES):
            lines += ["[[sources]]", f'name = "s{i}"', f'feeds = ["{wire.base_url}/s{i}/feed.xml"]']
            lines += ["interval = 5", "min_interval = 5", "max_interval = 5", "delay = 0"]
        (tmp_path / "wirewatch.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp_path.chmod(0o755)
        (tmp_path / "wirewatch.toml").chmod(0o644)
        compose = Compose(
            {
                "WIREWATCH_IMAGE": IMAGE,
                "SERVICES_IMAGE": SERVICES,
                "DB_PORT": str(ports["db"]),
                "QUEUE_PORT": str(ports["queue"]),
                "SERVICE_PORT": str(ports["service"]),
                "CONFIG_DIR": str(tmp_path),
            },
            host_network_copy(tmp_path),
        )
        try:
            yield compose, ports, wire
        finally:
            logs = compose("logs", "--no-color", timeout=120)
            (tmp_path / "compose.log").write_text(logs, encoding="utf-8")
            compose("down", "-v", "--timeout", "30", timeout=300)
            compose.base.unlink()


def test_the_cluster_polls_turns_healthy_and_stops_losing_nothing(
    cluster: tuple[Compose, dict[str, int], MockWire],
) -> None:
    compose, ports, wire = cluster
    # every package of the wheel is in the image (the site and the workers included)
    docker("run", "--rm", "--entrypoint", "python3", IMAGE, "-c",
           "import web.server, scheduler.workerproc, redis, psycopg")  # fmt: skip
    db = f"postgresql+psycopg://wirewatch@127.0.0.1:{ports['db']}/wirewatch"
    compose("up", "-d", "--no-build", "--scale", "worker=2", timeout=600)
    deadline = time.monotonic() + 240
    health: tuple[int, str] = (0, "")
    while time.monotonic() < deadline:
        health = http_get(f"http://127.0.0.1:{ports['service']}/healthz")
        polled = polled_sources(db)
        if health[0] == 200 and len(polled) == SOURCES:
            break
        time.sleep(2)
    assert health[0] == 200, health
    details = json.loads(health[1])
    assert details["role"] == "leader" and details["queue"] == "ok", details
    assert len(polled) == SOURCES, polled
    workers = compose.containers("worker")
    assert len(workers) == 2
    time.sleep(12)  # a few more rounds, shared by the service's worker and the two others
    polled_by = {c: docker("logs", c).count("crawl run") for c in workers}
    assert all(polled_by.values()), polled_by
    # docker stop: SIGTERM, polls finish, everything is stored, nothing left running
    for container in [*workers, *compose.containers("service")]:
        docker("stop", "--time", "60", container, timeout=120)
        state = json.loads(docker("inspect", container))[0]["State"]
        assert state["ExitCode"] == 0, (container, state)
    expected = {f"{wire.base_url}/s{i}/{k}.html" for i in range(SOURCES) for k in range(2)}
    stored = {r[0] for r in query(db, "select url from articles")}
    assert stored == expected
    assert not query(db, "select id from crawl_runs where status = 'running'")
