"""Read-only database access for the site: it can never write, whatever a request asks.

SQLite is opened with ``mode=ro`` (and ``query_only``); PostgreSQL sessions start with
``default_transaction_read_only``. The schema must already be at head: `wirewatch serve`
upgrades it with an ordinary engine before it opens this one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from storage.db import SQLITE_BUSY_TIMEOUT_MS, normalize_url
from storage.errors import StorageError


def readonly_engine(url: str) -> Engine:
    """An engine whose connections cannot write (SQLite file or PostgreSQL)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise StorageError("the web site needs a SQLite database file")
        uri = Path(database).expanduser().resolve().as_uri() + "?mode=ro"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, check_same_thread=False)

        engine = create_engine(
            "sqlite://", creator=connect, poolclass=QueuePool, pool_size=8, max_overflow=8
        )
        event.listen(engine, "connect", _sqlite_readonly)
        return engine
    given = parsed.query.get("options")
    given = " ".join(given) if isinstance(given, tuple) else given
    options = " ".join(filter(None, [given, "-c default_transaction_read_only=on"]))
    return create_engine(
        parsed.update_query_dict({"options": str(options)}),
        pool_pre_ping=True,
        pool_size=8,
        max_overflow=8,
        connect_args={"connect_timeout": 5},
    )


def _sqlite_readonly(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA query_only=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
    finally:
        cursor.close()
