"""Serving the site with uvicorn: in the foreground (`wirewatch serve`) or in a thread.

`start_in_thread` is what `wirewatch run` uses with ``[web] enabled = true``: the site runs
in a daemon thread of the service, with its own event loop, and ``handle.stop()`` ends it.
"""

from __future__ import annotations

import logging
import threading
import time

import uvicorn

from web.app import build_app
from web.settings import WebSettings

logger = logging.getLogger(__name__)


def _server(settings: WebSettings) -> uvicorn.Server:
    config = uvicorn.Config(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # the entry point has set up logging
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


def serve(settings: WebSettings) -> None:
    """Serve until interrupted (SIGINT/SIGTERM stop it gracefully)."""
    logger.info("serving the site at http://%s:%d/", settings.host, settings.port)
    _server(settings).run()


class WebHandle:
    """A site running in a background thread."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread) -> None:
        self.server = server
        self.thread = thread

    @property
    def started(self) -> bool:
        """True once the server listens."""
        return bool(self.server.started)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait (at most ``timeout`` seconds) for the thread to end."""
        self.server.should_exit = True
        self.thread.join(timeout)


def start_in_thread(settings: WebSettings, wait: float = 10.0) -> WebHandle:
    """Start the site in a daemon thread; return once it listens (or raise RuntimeError)."""
    server = _server(settings)
    thread = threading.Thread(target=server.run, name="wirewatch-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + wait
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the web site could not listen on {settings.host}:{settings.port}")
        time.sleep(0.05)
    logger.info("serving the site at http://%s:%d/", settings.host, settings.port)
    return WebHandle(server, thread)
