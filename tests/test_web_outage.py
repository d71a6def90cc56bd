"""The site while the database is away: 503 with a retry hint, then recovery by itself.

PostgreSQL is reached through a TCP forwarder that the test cuts and restores. Also: the
site started in a thread (what `wirewatch run` does with ``[web] enabled``) and stopped.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import postgres_schema_url
from tests.test_service_support import TcpProxy
from tests.webserver import filled_database, free_port, running_site
from web.server import start_in_thread
from web.settings import WebSettings


@pytest.mark.postgres
def test_database_outage_is_503_and_the_site_recovers(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    with postgres_schema_url(request) as url:
        filled_database(url)
        parsed = make_url(url)
        proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        via_proxy = parsed.set(host="127.0.0.1", port=proxy.port)
        try:
            with (
                running_site(via_proxy.render_as_string(hide_password=False), tmp_path) as base,
                httpx.Client(base_url=base, timeout=30) as client,
            ):
                assert client.get("/topics/kuril").status_code == 200
                proxy.cut()
                page = client.get("/topics/kuril")
                assert page.status_code == 503
                assert page.headers["retry-after"] == "10"
                assert "Temporarily unavailable" in page.text and "Traceback" not in page.text
                api = client.get("/api/articles")
                assert api.status_code == 503
                assert "try again" in api.json()["error"]
                proxy.restore()
                statuses = []
                for _ in range(20):  # bounded: the site needs no restart to recover
                    statuses.append(client.get("/topics/kuril").status_code)
                    if statuses[-1] == 200:
                        break
                    time.sleep(0.5)
                assert statuses[-1] == 200, statuses
                assert client.get("/api/articles").json()["articles"]
        finally:
            proxy.close()


def test_site_in_a_thread_starts_and_stops(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    data = filled_database(url)
    settings = WebSettings(
        database_url=url, topics={"kuril": "Kuril Islands dispute"}, port=free_port()
    )
    handle = start_in_thread(settings)
    try:
        base = f"http://127.0.0.1:{settings.port}"
        assert httpx.get(f"{base}/articles/{data.wire_tass}", timeout=30).status_code == 200
    finally:
        handle.stop()
    assert not handle.thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{settings.port}/", timeout=5)


def test_auth_is_required_when_configured(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'w.db'}"
    filled_database(url)
    env = {"WIREWATCH_WEB_TOKEN": "tok-123", "WIREWATCH_WEB_PASSWORD": "pw"}
    config = '[web]\nusername = "desk"\n'
    with running_site(url, tmp_path, config=config, env=env) as base:
        assert httpx.get(base + "/").status_code == 401
        assert httpx.get(base + "/topics/kuril.atom").status_code == 401
        assert httpx.get(base + "/", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert httpx.get(base + "/", headers={"Authorization": "Bearer tok-123"}).status_code == 200
        assert httpx.get(base + "/", auth=("desk", "pw")).status_code == 200
        assert httpx.get(base + "/", auth=("desk", "wrong")).status_code == 401
        assert httpx.get(base + "/topics/kuril.atom", auth=("reader", "tok-123")).status_code == 200


def test_start_web_follows_the_enabled_switch(tmp_path: Path) -> None:
    from wirewatch.cli_web import start_web
    from wirewatch.config import build_config

    url = f"sqlite:///{tmp_path / 'w.db'}"
    filled_database(url)
    off = build_config({"database": {"url": url}}, where="t", path=None, env={})
    assert start_web(off) is None
    port = free_port()
    on = build_config(
        {"database": {"url": url}, "web": {"enabled": True, "port": port}},
        where="t",
        path=None,
        env={},
    )
    handle = start_web(on)
    assert handle is not None
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/search", params={"q": "Курилах"}, timeout=30)
        assert page.status_code == 200
        assert "Японию возмутили учения на Кунашире" in page.text  # Russian forms expanded
    finally:
        handle.stop()
