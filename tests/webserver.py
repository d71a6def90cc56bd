"""A real `wirewatch serve` process on 127.0.0.1 over a filled test database, for web tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from tests.conftest import postgres_schema_url
from tests.webdata import WebData, fill

ROOT = Path(__file__).resolve().parents[1]
REPORT = "<!doctype html><title>r</title><h1>Kuril report</h1><script>alert(1)</script>"


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def filled_database(db_url: str) -> WebData:
    """Migrate and fill the database at ``db_url``."""
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            return fill(session)
    finally:
        engine.dispose()


@contextmanager
def site_for(kind: str, request: pytest.FixtureRequest, tmp: Path) -> Iterator[tuple[str, WebData]]:
    """A filled database of ``kind`` ("sqlite" or "postgresql") and a site serving it."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'db' / 'wirewatch.db'}"
        data = filled_database(url)
        with running_site(url, tmp) as base:
            yield base, data
        return
    with postgres_schema_url(request) as url:
        data = filled_database(url)
        with running_site(url, tmp) as base:
            yield base, data


@contextmanager
def running_site(
    db_url: str,
    tmp_path: Path,
    *,
    config: str = "[web]\npage_size = 20\n",
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Start `wirewatch serve` on a free port; yield its base URL; stop it afterwards."""
    port = free_port()
    reports = tmp_path / "data" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "wirewatch-2026-11-27.html").write_text(REPORT, encoding="utf-8")
    cfg = tmp_path / "wirewatch.toml"
    cfg.write_text(config, encoding="utf-8")
    full_env = {
        **os.environ,
        "WIREWATCH_DATABASE_URL": db_url,
        "WIREWATCH_DATA_DIR": str(tmp_path / "data"),
        **(env or {}),
    }
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "wirewatch", "--config", str(cfg), "serve", "--port", str(port)],
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, proc, tmp_path / "serve.log")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def _wait(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"wirewatch serve exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/static/style.css", timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"wirewatch serve did not start: {log.read_text()[-2000:]}")
