"""The optional HTTP endpoint: ``/healthz`` (JSON, 503 when unhealthy) and ``/metrics``.

Served from a daemon thread by the standard library's threading HTTP server, bound to
``[service] health_host`` (127.0.0.1 unless configured) and ``health_port``.
"""

from __future__ import annotations

import http.server
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from scheduler import state
from scheduler.settings import RunConfig
from storage.errors import one_line

logger = logging.getLogger(__name__)

StatusFn = Callable[[], tuple[bool, dict[str, Any]]]
"""Returns (healthy, details) for /healthz."""


def service_health(
    config: RunConfig, engine: Engine, alive: bool, leading: bool
) -> tuple[bool, dict[str, Any]]:
    """(healthy, details): healthy while the scheduler runs and the database answers."""
    details: dict[str, Any] = {
        "role": "leader" if leading else "standby",
        "scheduler": "running" if alive else "stopped",
    }
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        successes = state.last_successes(engine)
        failures = state.failures_in_a_row(engine)
        details["database"] = "ok"
    except SQLAlchemyError as err:
        successes, failures = {}, {}
        details["database"] = f"unreachable: {one_line(err)}"[:300]
    details["sources"] = {
        s.name: {
            "last_success": successes[s.name].isoformat() if s.name in successes else None,
            "failures_in_a_row": failures.get(s.name, 0),
        }
        for s in config.sources
        if s.enabled
    }
    return alive and details["database"] == "ok", details


class HealthServer:
    """Answers /healthz and /metrics until stopped."""

    def __init__(self, host: str, port: int, status: StatusFn, registry: CollectorRegistry):
        self.status = status
        self.registry = registry
        handler = type("Handler", (_Handler,), {"owner": self})
        self.httpd = http.server.ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="health", daemon=True)

    @property
    def address(self) -> str:
        """``host:port`` the server listens on."""
        host, port = self.httpd.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> None:
        """Serve in the background."""
        self.thread.start()
        logger.info("health and metrics on http://%s/healthz and /metrics", self.address)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: HealthServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            healthy, details = self.owner.status()
            body = json.dumps(details, sort_keys=True).encode()
            self._send(200 if healthy else 503, "application/json", body)
        elif path == "/metrics":
            self._send(200, CONTENT_TYPE_LATEST, generate_latest(self.owner.registry))
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("health: " + format, *args)


def worker_health(worker: Any) -> tuple[bool, dict[str, Any]]:
    """(healthy, details) of a crawl worker: healthy while its queue and database answer.

    A paused worker (queue or database gone) answers 503 with the reason, and turns
    healthy again by itself when they are back.
    """
    stats = worker.stats
    details: dict[str, Any] = {
        "role": "worker",
        "worker": worker.name,
        "state": "stopping" if worker.stopping else "polling",
        "queue": "ok" if stats.queue_error is None else f"unreachable: {stats.queue_error}",
        "database": "ok"
        if stats.database_error is None
        else f"unreachable: {stats.database_error}",
        "polls_in_flight": len(worker.active),
        "polls": stats.polls,
        "failed": stats.failed,
        "last_poll": stats.last_poll,
    }
    if stats.queue_error or stats.database_error:
        details["state"] = "paused"
    healthy = stats.queue_error is None and stats.database_error is None and not worker.stopping
    return healthy, details
