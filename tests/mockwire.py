"""A local mock wire site: canned HTTP responses on 127.0.0.1 for offline tests.

`MockWire` serves a dict of `Route`s from a background thread, logs every request it
answers, and stops promptly. `MockWire.from_directory()` serves a site described by a
`site.toml` manifest (see `tests/fixtures/mockwire/`). By hand::

    python -m tests.mockwire --port 8765 --site tests/fixtures/mockwire

The server speaks HTTP/1.1 with keep-alive and sends each response (headers and body)
in a single write with Nagle's algorithm off: `http.server`'s default of two writes
makes Scrapy's client wait ~40-50 ms per response on delayed ACKs.
"""

from __future__ import annotations

import argparse
import contextlib
import http
import http.server
import logging
import socket
import threading
import time
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

logger = logging.getLogger(__name__)

MAX_DELAY = 30.0
"""Upper bound of `Route.delay`, in seconds."""

BASE_PLACEHOLDER = "{base}"
"""Replaced in bodies and header values by the server's base URL when served."""

IDLE_TIMEOUT = 30.0
"""Seconds an idle keep-alive connection is kept open."""

RequestLogEntry = tuple[str, str, dict[str, str]]
"""(method, request target with query string, headers with lower-cased names)."""

_MANIFEST_KEYS = {"path", "file", "body", "status", "headers", "delay", "content_type"}


@dataclass
class Route:
    """One canned response: what the server answers for a path."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "text/html; charset=utf-8"

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 599:
            raise ValueError(f"HTTP status out of range: {self.status}")
        if not 0.0 <= self.delay <= MAX_DELAY:
            raise ValueError(f"delay must be within 0..{MAX_DELAY} s, got {self.delay}")

    @classmethod
    def redirect(cls, location: str, status: int = 301) -> Route:
        """A redirect to `location` (may contain `{base}`)."""
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"not a redirect status: {status}")
        return cls(body=b"", status=status, headers={"Location": location})


_NOT_FOUND = Route(
    body=b"<!doctype html><title>404 Not Found</title><h1>Not Found</h1>\n", status=404
)


class _Server(http.server.ThreadingHTTPServer):
    """Threading HTTP server that knows its `MockWire` and its open connections."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, wire: MockWire, port: int) -> None:
        self.wire = wire
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("error while serving %s", client_address, exc_info=True)

    def drop_connections(self) -> None:
        """Shut down every open connection so handler threads end at once."""
        with self.connections_lock:
            open_now = list(self.connections)
        for sock in open_now:
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers GET and HEAD from the routes of the server's `MockWire`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT
    server: _Server

    def do_GET(self) -> None:
        """Answer a GET."""
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        """Answer a HEAD: the GET headers, no body."""
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        wire = self.server.wire
        wire._log(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        # in flight until the response is ready: a client cannot see it answered before
        with wire._answering():
            response = self._response(wire, with_body=with_body)
        if response is None:
            return
        try:
            self.wfile.write(response)
        except OSError:
            self.close_connection = True

    def _response(self, wire: MockWire, *, with_body: bool) -> bytes | None:
        """The bytes of the response, after the route's delay (None: the server is stopping)."""
        route = wire.lookup(self.path)
        if route.delay and wire._stopping.wait(route.delay):
            self.close_connection = True
            return None
        base = wire.base_url
        body = route.body.replace(BASE_PLACEHOLDER.encode("ascii"), base.encode("ascii"))
        headers = {"Content-Type": route.content_type, "Server": "mockwire"}
        headers["Date"] = self.date_time_string()
        headers.update({k: v.replace(BASE_PLACEHOLDER, base) for k, v in route.headers.items()})
        headers["Content-Length"] = str(len(body))
        if self.close_connection:
            headers["Connection"] = "close"
        try:
            phrase = http.HTTPStatus(route.status).phrase
        except ValueError:
            phrase = ""
        lines = [f"HTTP/1.1 {route.status} {phrase}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + body if with_body else head

    def log_message(self, format: str, *args: Any) -> None:
        """Send `http.server`'s access and error lines to the module logger."""
        logger.debug("%s " + format, self.address_string(), *args)


class MockWire:
    """A context manager serving `routes` on an ephemeral port of 127.0.0.1.

    Unknown paths answer 404. A request target with a query string is looked up as is,
    then without the query string. `requests` records what was asked, in order, and
    `peak_in_flight` how many requests were being answered at once at most.
    """

    def __init__(self, routes: Mapping[str, Route] | None = None, *, port: int = 0) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self._port = port
        self._requests: list[RequestLogEntry] = []
        self._arrivals: list[float] = []  # time.monotonic() of each logged request
        self._requests_lock = threading.Lock()
        self._in_flight = 0
        self._peak_in_flight = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_directory(cls, path: str | Path, *, port: int = 0) -> MockWire:
        """A server for the site described by `path/site.toml` (not started yet)."""
        return cls(load_site(Path(path)), port=port)

    def add(self, path: str, route: Route) -> None:
        """Serve `route` at `path` (replaces any route already there)."""
        if not path.startswith("/"):
            raise ValueError(f"route path must start with '/': {path!r}")
        self.routes[path] = route

    def lookup(self, target: str) -> Route:
        """The route answering request target `target` (the 404 route if none)."""
        route = self.routes.get(target)
        if route is None:
            route = self.routes.get(target.partition("?")[0].partition("#")[0], _NOT_FOUND)
        return route

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>` of the running server, without a trailing slash."""
        if self._server is None:
            raise RuntimeError("MockWire is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        """The port the running server listens on."""
        return int(self.base_url.rsplit(":", 1)[1])

    def url(self, path: str) -> str:
        """Absolute URL of `path` on this server."""
        return self.base_url + path

    @property
    def requests(self) -> list[RequestLogEntry]:
        """A snapshot of the request log: (method, target, headers), oldest first."""
        with self._requests_lock:
            return list(self._requests)

    def arrivals(self, prefix: str = "/") -> list[float]:
        """When requests for targets starting with ``prefix`` arrived (``time.monotonic``)."""
        with self._requests_lock:
            pairs = list(zip(self._requests, self._arrivals, strict=True))
        return [at for (_, target, _), at in pairs if target.startswith(prefix)]

    def requested(self, path: str, method: str | None = None) -> int:
        """How many requests asked for `path` (exact target, query string included)."""
        return sum(1 for m, p, _ in self.requests if p == path and method in (None, m))

    @property
    def peak_in_flight(self) -> int:
        """The most requests being answered at once so far: from arrival until the response
        is ready to send (a route's delay included)."""
        with self._requests_lock:
            return self._peak_in_flight

    def clear_requests(self) -> None:
        """Forget the requests logged so far; the peak in flight counts again from 0."""
        with self._requests_lock:
            self._requests.clear()
            self._arrivals.clear()
            self._peak_in_flight = 0

    def _log(self, method: str, target: str, headers: dict[str, str]) -> None:
        with self._requests_lock:
            self._requests.append((method, target, headers))
            self._arrivals.append(time.monotonic())

    @contextlib.contextmanager
    def _answering(self) -> Iterator[None]:
        with self._requests_lock:
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._requests_lock:
                self._in_flight -= 1

    def start(self) -> Self:
        """Start serving in a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError("MockWire is already running")
        self._stopping.clear()
        self._server = _Server(self, self._port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"mockwire-{self._server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: in-flight delays are cut short and open connections dropped."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        server.drop_connections()
        server.server_close()
        thread.join(timeout=1.0)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def load_site(root: Path) -> dict[str, Route]:
    """Routes from the `site.toml` manifest in directory `root`."""
    manifest = tomllib.loads((root / "site.toml").read_text(encoding="utf-8"))
    defaults = manifest.get("defaults", {})
    routes: dict[str, Route] = {}
    for entry in manifest.get("route", []):
        unknown = set(entry) - _MANIFEST_KEYS
        if unknown:
            raise ValueError(f"{entry.get('path')}: unknown keys {sorted(unknown)}")
        if "file" in entry:
            file = (root / entry["file"]).resolve()
            if not file.is_relative_to(root.resolve()):
                raise ValueError(f"{entry['path']}: file outside the site: {entry['file']}")
            body = file.read_bytes()
        else:
            body = entry.get("body", "").encode("utf-8")
        routes[entry["path"]] = Route(
            body=body,
            status=entry.get("status", 200),
            headers=dict(entry.get("headers", {})),
            delay=float(entry.get("delay", 0.0)),
            content_type=entry.get(
                "content_type", defaults.get("content_type", Route.content_type)
            ),
        )
    return routes


def main(argv: list[str] | None = None) -> None:
    """Serve a fixture site by hand until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.mockwire", description=main.__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--site", type=Path, default=Path(__file__).parent / "fixtures/mockwire")
    args = parser.parse_args(argv)
    wire = MockWire.from_directory(args.site, port=args.port)
    with contextlib.suppress(KeyboardInterrupt), wire:
        print(f"serving {args.site} at {wire.base_url}/ (Ctrl-C to stop)", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
