"""Alembic environment for wirewatch: programmatic (connection given) or CLI (URL given).

Programmatic use (`storage.migrate`) passes an open connection in
``config.attributes["connection"]``. From the command line the URL comes from
``alembic -c alembic.ini -x url=... upgrade head`` or the ``WIREWATCH_DATABASE_URL``
environment variable. Full-text objects (SQLite ``articles_fts*``, PostgreSQL
``articles.search_vector`` and its index) are made by migrations only and hidden from
autogenerate here, so ``alembic check`` compares just what the models describe.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import make_engine, normalize_url
from storage.errors import StorageError
from storage.models import FTS_TABLE, MIGRATION_ONLY_INDEXES, SEARCH_VECTOR_COLUMN
from storage.schema import metadata

config = context.config
"""The Alembic config of this run (from `storage.migrate` or the CLI)."""

target_metadata = metadata
"""What autogenerate compares the database against: the models."""


def include_name(name: str | None, type_: str, parent_names: MutableMapping[Any, Any]) -> bool:
    """Hide the per-dialect full-text objects from autogenerate comparison."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE)
    if type_ == "column":
        return not (parent_names.get("table_name") == "articles" and name == SEARCH_VECTOR_COLUMN)
    if type_ == "index":
        return name not in MIGRATION_ONLY_INDEXES
    return True


def _cli_url() -> str:
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("WIREWATCH_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise StorageError("no database URL: pass -x url=... or set WIREWATCH_DATABASE_URL")
    return url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Emit SQL for the given URL's dialect instead of running it (``--sql``)."""
    url = normalize_url(_cli_url())
    context.configure(
        url=url,
        target_metadata=target_metadata,
        include_name=include_name,
        render_as_batch=url.get_backend_name() == "sqlite",
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run migrations on the given connection, or on a fresh engine from the CLI URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = make_engine(_cli_url())
    try:
        with engine.connect() as conn:
            _configure(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
