"""The state one running site shares between requests: settings, read-only engine, templates."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from storage.browse import ListQuery
from storage.overview import topic_daily_counts
from web.db import readonly_engine
from web.params import BadRequest, encode_cursor, list_query
from web.settings import WebSettings
from web.text import safe_href

TREND_DAYS = 30
"""Days of the trend shown per topic on the home page."""

TREND_TTL = 60.0
"""Seconds the trend counts are reused: counting 30 days of matches over a big database
costs ~100 ms, and the home page is the one every visitor opens."""


class Site:
    """One site: what every handler needs, built once by `web.app.build_app`."""

    def __init__(self, settings: WebSettings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.tz = ZoneInfo(settings.timezone)
        self.engine = engine or readonly_engine(settings.database_url)
        self.sessions = sessionmaker(bind=self.engine)
        self.templates = Environment(
            loader=PackageLoader("web", "templates"),
            autoescape=select_autoescape(["html", "xml"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters.update(href=safe_href, local=self.local_time)
        self.templates.globals.update(topics=settings.topics, site_zone=settings.timezone)
        self._trends: tuple[float, Any, dict[str, list[int]]] | None = None
        self._trends_lock = threading.Lock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A short read-only session."""
        with self.sessions() as session:
            yield session

    def params(self, request: Request) -> dict[str, list[str]]:
        """The query parameters, each with all its values; BadRequest on invalid UTF-8 etc."""
        raw = request.scope.get("query_string", b"")
        try:
            parsed = parse_qs(
                raw.decode("ascii"),
                keep_blank_values=True,
                encoding="utf-8",
                errors="strict",
                max_num_fields=100,
            )
        except (UnicodeDecodeError, ValueError):
            raise BadRequest("query string: not valid UTF-8 or too many parameters") from None
        for name, values in parsed.items():
            if any(ord(ch) < 0x20 for value in values for ch in value) or len(name) > 50:
                raise BadRequest(f"{name[:50]}: control characters are not allowed")
        return parsed

    def list_query(self, request: Request, topic: str | None = None, limit: int = 0) -> ListQuery:
        """The list asked for by the request's parameters."""
        query = list_query(
            self.params(request),
            tz=self.tz,
            topics=self.settings.topics,
            page_size=limit or self.settings.page_size,
            topic=topic,
        )
        if self.settings.expand is None:
            return query
        return dataclasses.replace(query, expand=self.settings.expand)

    def local_time(self, when: datetime | None, zone: str | None = None) -> str:
        """A time in the site's zone (or ``zone``), e.g. ``2026-11-27 10:30 JST``."""
        if when is None:
            return "undated"
        local = when.astimezone(ZoneInfo(zone) if zone else self.tz)
        return local.strftime("%Y-%m-%d %H:%M %Z")

    def today(self) -> datetime:
        """Now, in the site's zone."""
        return datetime.now(UTC).astimezone(self.tz)

    def trends(self, session: Session) -> dict[str, list[int]]:
        """Per topic, the matches of each of the last `TREND_DAYS` days (today last); counted
        at most every `TREND_TTL` seconds."""
        now = self.today()
        first = now.date() - timedelta(days=TREND_DAYS - 1)
        key = (first, now.utcoffset())
        with self._trends_lock:
            cached = self._trends
            if cached and cached[1] == key and time.monotonic() - cached[0] < TREND_TTL:
                return cached[2]
            offset = now.utcoffset() or timedelta(0)
            counts = topic_daily_counts(
                session, list(self.settings.topics), first, TREND_DAYS, offset
            )
            self._trends = (time.monotonic(), key, counts)
            return counts


def page_link(path: str, params: dict[str, list[str]], **changes: str | None) -> str:
    """``path`` with the request's parameters, some replaced (None removes one)."""
    merged = {k: v for k, v in params.items() if k not in changes}
    for key, value in changes.items():
        if value is not None:
            merged[key] = [value]
    pairs = [(k, v) for k, values in sorted(merged.items()) for v in values if v != ""]
    return path + ("?" + urlencode(pairs) if pairs else "")


def next_link(path: str, params: dict[str, list[str]], cursor: Any) -> str | None:
    """The link of the next page, or None on the last page."""
    return page_link(path, params, cursor=encode_cursor(cursor)) if cursor else None
