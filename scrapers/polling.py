"""What the spiders need from polling state: conditional-request headers, body hashes, known links.

``PollingState`` is the spider's read-only window on the database (validators of feeds
polled before, article links already stored); writes go through the store pipeline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from scrapy.http import Response
from sqlalchemy import Engine

from scrapers.urls import canonicalize_url, identity_key
from storage import sources as polls
from storage.db import make_engine, make_sessionmaker
from storage.sources import FeedPoll, Validators
from wirecore.outcomes import PollOutcome


def body_hash(body: bytes) -> str:
    """The sha256 of a feed body, compared across polls to skip unchanged feeds."""
    return hashlib.sha256(body).hexdigest()


def conditional_headers(validators: Validators | None) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` for a feed polled before."""
    headers: dict[str, str] = {}
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


MAX_HEADER_CHARS = 1024
"""Longest header value kept (an ETag or a date is far shorter); longer ones are ignored."""


def header(response: Response, name: str) -> str | None:
    """A response header as text, or None (also for an absurdly long or control-laden one)."""
    value = response.headers.get(name.encode("ascii"))
    if not value or len(value) > MAX_HEADER_CHARS:
        return None
    text = value.decode("latin-1")
    return None if any(ch < " " or ch == "\x7f" for ch in text) else text


def feed_poll(
    response: Response, source: str, outcome: PollOutcome, when: datetime, **fields: object
) -> FeedPoll:
    """A FeedPoll for a feed response, with its validators and body hash."""
    url = response.meta.get("wirewatch_feed_url", response.url)
    return FeedPoll(
        url=url,
        source=source,
        polled_at=when,
        outcome=outcome,
        status=response.status,
        etag=header(response, "ETag"),
        last_modified=header(response, "Last-Modified"),
        body_hash=body_hash(response.body) if response.status != 304 else None,
        **fields,  # type: ignore[arg-type]
    )


class PollingState:
    """Reads validators and known links from the crawl's database."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.owns_engine = engine is None
        self.engine = engine if engine is not None else make_engine(url)
        self.sessions = make_sessionmaker(self.engine)

    def validators(self, urls: Sequence[str]) -> dict[str, Validators]:
        """Validators of the feeds in ``urls`` that were polled before."""
        with self.sessions() as session:
            return polls.feed_validators(session, urls)

    def known(self, urls: Iterable[str]) -> dict[str, datetime]:
        """Canonical article URLs already stored, with when they were last fetched."""
        keyed = {canonicalize_url(u): "" for u in urls}
        keyed = {u: identity_key(u) for u in keyed}
        with self.sessions() as session:
            return polls.known_links(session, keyed)

    def close(self) -> None:
        """Release the database connections (not a shared engine's)."""
        if self.owns_engine:
            self.engine.dispose()
