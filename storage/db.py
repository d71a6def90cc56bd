"""Engines and sessions for SQLite and PostgreSQL, configured the one way wirewatch uses them.

Nothing here runs at import time: the composition root calls `make_engine` with the URL
from the configuration and owns the engine's lifetime (`engine.dispose()`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import StorageError, one_line, safe_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite connection waits for a competing writer before failing."""


def normalize_url(url: str | URL) -> URL:
    """Parse a database URL and pin PostgreSQL to psycopg 3 (plain ``postgresql://`` included)."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise StorageError(f"invalid database URL: {safe_url(url)}") from err
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StorageError(
            f"unsupported database URL: {safe_url(parsed)}: use sqlite:/// or postgresql://"
        )
    return parsed


def make_engine(url: str) -> Engine:
    """Build the engine for a SQLite or PostgreSQL URL, with wirewatch's connection settings."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_directory(parsed)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except ImportError as err:  # psycopg is the optional "postgres" extra
        raise StorageError(
            f"PostgreSQL needs psycopg 3 (pip install 'wirewatch[postgres]'): {err}"
        ) from err


class SharedEngine:
    """An engine a long-lived process hands to each of its crawls in their settings: Scrapy
    deep-copies settings, an engine (its connection pool) is shared, and only its owner
    disposes of it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedEngine:
        return self


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Session factory for short, caller-owned transactions (objects stay usable after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Check that the database answers; raise `StorageError` with one line if it does not."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as err:
        raise StorageError(
            f"database unreachable: {safe_url(engine.url)}: {one_line(err)}"
        ) from err


def _ensure_sqlite_directory(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    directory = Path(database).expanduser().parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StorageError(f"cannot create database directory {directory}: {err}") from err


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
    finally:
        cursor.close()
