"""Database fixtures: every storage test runs on SQLite and, when reachable, PostgreSQL.

PostgreSQL: ``WIREWATCH_TEST_POSTGRES_URL`` (an admin URL; default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). One fresh database
``wirewatch_test_<hex>`` is created per pytest session and dropped at the end; each test
gets its own schema in it (via ``search_path``), dropped after the test. Unreachable
server: the PostgreSQL variants are skipped, or fail if ``WIREWATCH_REQUIRE_POSTGRES=1``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from storage.db import make_engine, make_sessionmaker, normalize_url
from storage.errors import one_line, safe_url
from storage.migrate import upgrade
from storage.records import ArticleRecord, MatchRecord

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
"""Admin URL used when WIREWATCH_TEST_POSTGRES_URL is not set."""


@dataclass
class _Postgres:
    url: URL | None = None  # the per-session test database
    engine: Engine | None = None  # autocommit engine on it, for schemas
    reason: str | None = None  # why PostgreSQL cannot be used


@pytest.fixture(scope="session")
def _postgres() -> Iterator[_Postgres]:
    admin_url = os.environ.get("WIREWATCH_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = f"wirewatch_test_{secrets.token_hex(4)}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError as err:
        admin.engine.dispose()
        yield _Postgres(
            reason=f"PostgreSQL not reachable at {safe_url(admin_url)}: {one_line(err)}; "
            "set WIREWATCH_TEST_POSTGRES_URL"
        )
        return
    url = normalize_url(admin_url).set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False)).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    try:
        yield _Postgres(url=url, engine=engine)
    finally:
        engine.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.engine.dispose()


@contextmanager
def postgres_schema_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a fresh, private schema in this session's PostgreSQL test database.

    Skips (or fails, with ``WIREWATCH_REQUIRE_POSTGRES=1``) when PostgreSQL is unreachable.
    """
    pg: _Postgres = request.getfixturevalue("_postgres")
    if pg.reason is not None or pg.url is None or pg.engine is None:
        reason = pg.reason or "PostgreSQL unavailable"
        if os.environ.get("WIREWATCH_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    schema = f"t_{secrets.token_hex(4)}"
    with pg.engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = pg.url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with pg.engine.connect() as conn:
            conn.execute(text("SET lock_timeout = '10s'"))
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """URL of an empty database of each kind, private to the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'wirewatch.db'}"
        return
    with postgres_schema_url(request) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """Engine on the test database, migrated to head; disposed after the test."""
    eng = make_engine(db_url)
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the migrated test database; uncommitted work is rolled back after."""
    with make_sessionmaker(engine)() as s:
        yield s


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """An aware UTC datetime, for short test fixtures."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def match(topic: str, score: float = 1.0, **terms: int) -> MatchRecord:
    """A topic match with the given terms (default: the topic name once)."""
    terms = terms or {topic: 1}
    return MatchRecord(
        topic=topic,
        score=score,
        terms=dict(terms),
        hits=[{"term": t, "field": "text", "start": 0, "end": len(t)} for t in terms],
        snippet=f"... {topic} snippet ...",
        snippet_hits=[(4, 4 + len(topic))],
    )


def article(
    url: str,
    *,
    title: str = "Title",
    text_: str = "Body text.",
    source: str = "wire-a",
    published: datetime | None = None,
    language: str | None = "en",
    fetched_at: datetime | None = None,
    matches: tuple[MatchRecord, ...] = (),
    author: str | None = "A. Writer",
) -> ArticleRecord:
    """An article record whose content hash follows from its title and text."""
    digest = hashlib.sha256(f"{title}\n{text_}".encode()).hexdigest()
    return ArticleRecord(
        url=url,
        source=source,
        title=title,
        author=author,
        published=published,
        published_origin="meta" if published else None,
        language=language,
        sitename=source.upper(),
        text=text_,
        content_hash=digest,
        fetched_at=fetched_at or utc(2024, 5, 1, 12),
        matches=matches,
    )


DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
"""Redis used by the queue tests when WIREWATCH_TEST_REDIS_URL is not set."""


@dataclass(frozen=True)
class RedisQueue:
    """A Redis server and a key prefix private to one test."""

    url: str
    name: str


@pytest.fixture
def redis_queue() -> Iterator[RedisQueue]:
    """A private queue name on the test Redis; its keys are deleted after the test.

    Skips when Redis is unreachable (fails with ``WIREWATCH_REQUIRE_REDIS=1``, as in CI).
    """
    import redis

    url = os.environ.get("WIREWATCH_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except (redis.RedisError, OSError) as err:
        client.close()
        reason = f"Redis not reachable at {url}: {one_line(err)}; set WIREWATCH_TEST_REDIS_URL"
        if os.environ.get("WIREWATCH_REQUIRE_REDIS") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    name = f"wirewatch-test-{secrets.token_hex(4)}"
    try:
        yield RedisQueue(url, name)
    finally:
        keys = list(client.scan_iter(match=f"{name}:*"))
        if keys:
            client.delete(*keys)
        client.close()
