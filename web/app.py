"""The Starlette application: routes, security headers, optional auth, errors as pages.

Errors never show a stack trace: an unknown topic, article or report is 404, a malformed
parameter 400 with a one-line message, an unreachable database 503 with ``Retry-After``
(the next request tries again, so the site recovers by itself), anything else a plain 500.
API paths answer JSON ``{"error": "..."}``, the rest an HTML page.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import time
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storage.errors import StorageError
from web import api, feeds, pages
from web.params import BadRequest
from web.settings import WebSettings
from web.site import Site

logger = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""No inline script, no script or style from elsewhere, no framing."""

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
RETRY_AFTER = "10"


def build_app(settings: WebSettings, site: Site | None = None) -> Starlette:
    """The site's ASGI application (its read-only engine is made here, connections lazily)."""
    routes = [
        Route("/", pages.home, name="home"),
        Route("/search", pages.search_page, name="search"),
        Route("/topics/{topic_id}.atom", feeds.topic_feed, name="topic_feed"),
        Route("/topics/{topic_id}", pages.topic_page, name="topic"),
        Route("/articles.csv", feeds.csv_export, name="csv"),
        Route("/articles/{article_id:int}", pages.article_page, name="article"),
        Route("/sources", pages.sources_page, name="sources"),
        Route("/reports", pages.reports_page, name="reports"),
        Route("/reports/{day}", pages.report_file, name="report"),
        Route("/api/openapi.json", api.api_openapi, name="openapi"),
        Route("/api/articles", api.api_articles, name="api_articles"),
        Route("/api/articles/{article_id:int}", api.api_article, name="api_article"),
        Route("/api/topics", api.api_topics, name="api_topics"),
        Route("/api/sources", api.api_sources, name="api_sources"),
        Mount("/static", StaticFiles(packages=[("web", "static")]), name="static"),
    ]
    handlers: dict[Any, Any] = {
        HTTPException: _http_error,
        BadRequest: _bad_request,
        OperationalError: _unavailable,
        PoolTimeout: _unavailable,
        StorageError: _unavailable,
        DBAPIError: _unavailable_if_disconnect,
        Exception: _server_error,
    }
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.site = site or Site(settings)
    return Guard(app, settings)  # type: ignore[return-value]


def _error(request: Request, status: int, message: str, **headers: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status, headers=headers)
    try:
        page = pages.render(request, "error.html", status, status_code=status, message=message)
    except Exception:  # the error page itself must never fail
        page = HTMLResponse(f"<p>{status}</p>", status)
    page.headers.update(headers)
    return page


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "not found", 405: "method not allowed"}
    detail = exc.detail if exc.status_code == 404 and exc.detail != "Not Found" else None
    return _error(request, exc.status_code, detail or messages.get(exc.status_code, "error"))


async def _bad_request(request: Request, exc: Exception) -> Response:
    return _error(request, 400, str(exc).splitlines()[0][:300])


async def _unavailable(request: Request, exc: Exception) -> Response:
    logger.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
    return _error(
        request,
        503,
        f"the database is unavailable; try again in {RETRY_AFTER} seconds",
        **{"Retry-After": RETRY_AFTER},
    )


async def _unavailable_if_disconnect(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return await _unavailable(request, exc)
    return await _server_error(request, exc)


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.error("error serving %s", request.url.path, exc_info=exc)
    return _error(request, 500, "internal error")


class Guard:
    """ASGI wrapper: authentication when configured, security headers, server timing."""

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check credentials, then run the app adding headers to its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.settings.auth_required and not self._authorized(scope):
            response = PlainTextResponse(
                "authentication required",
                401,
                headers={"WWW-Authenticate": 'Basic realm="wirewatch", charset="UTF-8"'},
            )
            await response(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode()))
                for key, value in SECURITY_HEADERS.items():
                    headers.append((key.lower().encode(), value.encode()))
                spent = (time.perf_counter() - started) * 1000
                headers.append((b"server-timing", f"app;dur={spent:.1f}".encode()))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _authorized(self, scope: Scope) -> bool:
        header = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
        kind, _, value = header.partition(" ")
        token, user, password = self.settings.token, self.settings.username, self.settings.password
        if kind.lower() == "bearer" and token:
            return hmac.compare_digest(value.strip().encode(), token.encode())
        if kind.lower() != "basic":
            return False
        try:
            given_user, _, given = (
                base64.b64decode(value.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            return False
        if token and hmac.compare_digest(given.encode(), token.encode()):
            return True
        return bool(
            user
            and password
            and hmac.compare_digest(given_user.encode(), user.encode())
            and hmac.compare_digest(given.encode(), password.encode())
        )
