"""Blocking HTTP GETs for the CLI (`flag URL`, `sources check`) with a wall-clock limit.

``urlopen(timeout=...)`` limits each socket operation, not the exchange: a server that
sends a byte a second keeps it going for ever. Here a timer shuts the exchange's sockets
down when ``timeout`` seconds have passed since it began, whatever stage it is in
(connecting, headers, body, redirects), and the body is read in pieces up to
``max_bytes``. Only http(s) is spoken, redirects included.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

CHUNK = 64 * 1024


class FetchError(OSError):
    """A fetch failed; the message is one line saying why."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched body, the URL it finally came from and its content type."""

    body: bytes
    url: str
    content_type: str | None


class _Watch:
    """The sockets of one exchange, and the timer that cuts them at the deadline."""

    def __init__(self, seconds: float) -> None:
        self.sockets: list[socket.socket] = []
        self.expired = threading.Event()
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self.cut)
        self.timer.daemon = True

    def add(self, sock: socket.socket) -> None:
        with self.lock:
            self.sockets.append(sock)
        if self.expired.is_set():
            self.cut()

    def cut(self) -> None:
        self.expired.set()
        with self.lock:
            sockets = list(self.sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Connection(http.client.HTTPConnection):
    def __init__(self, *args: Any, watch: _Watch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watch = watch

    def connect(self) -> None:
        super().connect()
        self.watch.add(self.sock)


class _TLSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, watch: _Watch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watch = watch

    def connect(self) -> None:
        super().connect()
        self.watch.add(self.sock)


class _Handler(urllib.request.HTTPHandler):
    def __init__(self, watch: _Watch) -> None:
        super().__init__()
        self.watch = watch

    def http_open(self, req: Any) -> Any:
        return self.do_open(functools.partial(_Connection, watch=self.watch), req)


class _TLSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watch: _Watch) -> None:
        super().__init__()
        self.watch = watch

    def https_open(self, req: Any) -> Any:
        factory = functools.partial(_TLSConnection, watch=self.watch)
        return self.do_open(factory, req, context=self._context)  # type: ignore[attr-defined]


def _opener(watch: _Watch) -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (
        _Handler(watch),
        _TLSHandler(watch),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def fetch(url: str, *, agent: str, timeout: float, max_bytes: int) -> Fetched:
    """GET ``url`` within ``timeout`` seconds in all; raises ``FetchError`` with a reason."""
    if not url.startswith(("http://", "https://")):
        raise FetchError(f"not an http(s) URL: {url}")
    watch = _Watch(timeout)
    request = urllib.request.Request(url, headers={"User-Agent": agent})  # noqa: S310
    watch.timer.start()
    try:
        with _opener(watch).open(request, timeout=timeout) as response:
            body = _read_body(response, max_bytes)
            fetched = Fetched(body, response.geturl(), response.headers.get("Content-Type"))
    except urllib.error.HTTPError as err:
        raise FetchError(f"HTTP {err.code}") from None
    except (OSError, http.client.HTTPException, ValueError) as err:
        if watch.expired.is_set():
            raise FetchError(f"timed out after {timeout:g}s") from None
        if isinstance(err, FetchError):
            raise
        reason = getattr(err, "reason", None) or err
        text = " ".join(str(reason).split()) or type(err).__name__
        raise FetchError(f"unreachable: {text}") from None
    finally:
        watch.timer.cancel()
    if watch.expired.is_set():
        raise FetchError(f"timed out after {timeout:g}s")
    return fetched


def _read_body(response: Any, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"larger than {max_bytes} bytes (max_response_bytes)")
        chunks.append(chunk)
    return b"".join(chunks)
