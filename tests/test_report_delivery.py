"""Delivery of a report: SMTP to a local aiosmtpd server, the webhook to a local HTTP
server, retries with backoff that are recorded, and `report --send` end to end."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from reports.build import build_report
from reports.chart import trend_svg
from reports.delivery.send import deliver
from reports.delivery.settings import DeliverySettings, EmailSettings, WebhookSettings
from reports.delivery.smtp import CHART_CID
from reports.render import render_report
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.report_queries import deliveries_for
from tests.test_report_data import DAY, SOURCES, TOPICS, TZ, fill
from wirewatch.cli import cli

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Inbox:
    """aiosmtpd handler keeping what it received."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    port = _free_port()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        if cls.fail_first > 0:
            cls.fail_first -= 1
            self.send_response(500)
            self.end_headers()
            return
        cls.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, type[_Hook]]]:
    handler = type("Hook", (_Hook,), {"received": [], "fail_first": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret", handler
    finally:
        server.shutdown()
        server.server_close()


def _data(session: Session) -> dict[str, Any]:
    fill(session)
    return build_report(session, DAY, TZ, TOPICS, SOURCES)


def test_email_has_html_with_text_alternative_and_inline_chart(
    session: Session, smtp_server: tuple[int, _Inbox]
) -> None:
    port, inbox = smtp_server
    data = _data(session)
    settings = DeliverySettings(
        email=EmailSettings(
            host="127.0.0.1",
            port=port,
            security="none",
            sender="wirewatch <reports@example.org>",
            recipients=("desk@example.org",),
        ),
        attempts=1,
    )
    attempts: list[tuple[Any, ...]] = []
    chart = trend_svg(data)
    outcomes = deliver(
        data,
        text=render_report(data, "md"),
        html=render_report(data, "html", chart_src=f"cid:{CHART_CID}"),
        chart_svg=chart,
        settings=settings,
        record=lambda *a: attempts.append(a),
    )
    assert [o.ok for o in outcomes] == [True]
    assert attempts == [("email", settings.email.target, 1, True, None)]  # type: ignore[union-attr]
    (sender, rcpts, raw) = inbox.messages[0]
    assert sender == "reports@example.org" and rcpts == ["desk@example.org"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    assert (
        msg["Subject"].strip()
        == "wirewatch daily report 2026-11-27: fisheries 0, kuril 7, peace_treaty 1"
    )
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None and "No matching articles this day." in plain.get_content()
    assert html is not None
    html_text = html.get_content()
    assert f'src="cid:{CHART_CID}"' in html_text
    assert "<script" not in html_text and "&lt;script&gt;alert(&#39;title&#39;)" in html_text
    images = [p for p in msg.walk() if p.get_content_type() == "image/svg+xml"]
    assert len(images) == 1 and images[0]["Content-ID"] == f"<{CHART_CID}>"
    assert images[0].get_content() == chart.encode("utf-8")


def test_webhook_gets_slack_json_and_retries_with_backoff(
    session: Session, webhook_server: tuple[str, type[_Hook]]
) -> None:
    url, hook = webhook_server
    hook.fail_first = 2
    data = _data(session)
    waits: list[float] = []
    attempts: list[tuple[Any, ...]] = []
    outcomes = deliver(
        data,
        text="",
        html=None,
        chart_svg=None,
        settings=DeliverySettings(webhooks=(WebhookSettings(url),), attempts=4, backoff=1.5),
        record=lambda *a: attempts.append(a),
        sleep=waits.append,
    )
    assert [o.ok for o in outcomes] == [True]
    assert waits == [1.5, 3.0]
    assert [(a[2], a[3]) for a in attempts] == [(1, False), (2, False), (3, True)]
    assert "500" in attempts[0][4]
    assert all("secret" not in a[1] for a in attempts)  # the token never lands in records
    text = hook.received[0]["text"]
    assert text.startswith("*wirewatch daily report 2026-11-27*")
    assert "<https://tass.com/politics/1001|Japan protests Russian military drills" in text
    assert "mainichi (down)" in text
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_unreachable_channels_give_up_in_bounded_time(session: Session) -> None:
    data = _data(session)
    dead = f"http://127.0.0.1:{_free_port()}/hook"
    settings = DeliverySettings(
        email=EmailSettings(
            host="127.0.0.1",
            port=_free_port(),
            security="starttls",
            sender="r@example.org",
            recipients=("d@example.org",),
            username="r",
            password="hunter2",
        ),
        webhooks=(WebhookSettings(dead),),
        attempts=2,
        backoff=0.0,
        timeout=2.0,
    )
    attempts: list[tuple[Any, ...]] = []
    started = time.monotonic()
    outcomes = deliver(
        data,
        text="t",
        html="<p>h</p>",
        chart_svg=None,
        settings=settings,
        record=lambda *a: attempts.append(a),
    )
    assert time.monotonic() - started < 10
    assert [o.ok for o in outcomes] == [False, False]
    assert [(a[0], a[2], a[3]) for a in attempts] == [
        ("email", 1, False),
        ("email", 2, False),
        ("webhook", 1, False),
        ("webhook", 2, False),
    ]
    assert "hunter2" not in repr(settings) and "hunter2" not in repr(attempts)


def test_send_writes_every_format_then_delivers_and_records(
    tmp_path: Path,
    smtp_server: tuple[int, _Inbox],
    webhook_server: tuple[str, type[_Hook]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, inbox = smtp_server
    url, hook = webhook_server
    db = tmp_path / "w.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        fill(session)
    engine.dispose()
    dead = f"http://127.0.0.1:{_free_port()}/dead"
    config = tmp_path / "w.toml"
    config.write_text(
        f"""
builtin_sources = false
data_dir = "{tmp_path}"
[database]
url = "sqlite:///{db}"
[report]
timezone = "{TZ}"
directory = "{tmp_path / "reports"}"
[report.email]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "reports@example.org"
recipients = ["desk@example.org"]
[report.webhook]
urls = ["{dead}"]
[report.delivery]
attempts = 2
backoff = 0
timeout = 2
[topics.fisheries]
[topics.fisheries.terms]
en = ["fishery"]
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("WIREWATCH_WEBHOOK_URL", url)
    result = CliRunner().invoke(
        cli, ["--config", str(config), "report", "--date", "2026-11-27", "--send"]
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert written == [f"wirewatch-2026-11-27.{ext}" for ext in ("csv", "html", "json", "md")]
    html = (tmp_path / "reports" / "wirewatch-2026-11-27.html").read_text(encoding="utf-8")
    assert 'src="data:image/svg+xml;base64,' in html
    assert len(inbox.messages) == 1 and len(hook.received) == 1
    assert "NOT delivered" in result.output  # the dead webhook, which did not stop the report
    engine = make_engine(f"sqlite:///{db}")
    with make_sessionmaker(engine)() as session:
        rows = [
            (r.channel, r.attempt, r.status) for r in deliveries_for(session, date(2026, 11, 27))
        ]
    engine.dispose()
    assert rows == [
        ("email", 1, "ok"),
        ("webhook", 1, "failed"),
        ("webhook", 2, "failed"),
        ("webhook", 1, "ok"),
    ]
    listed = CliRunner().invoke(
        cli, ["--config", str(config), "deliveries", "--date", "2026-11-27", "--format", "json"]
    )
    assert listed.exit_code == 0, listed.output
    assert [(r["channel"], r["attempt"], r["status"]) for r in json.loads(listed.stdout)] == rows
