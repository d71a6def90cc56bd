"""Who may run the schedule: one `wirewatch run` per database.

PostgreSQL: a session-level advisory lock, held on a dedicated connection for as long as
the process leads. The server releases it the moment that connection ends (the process
died, or its network path to the database broke), so a standby that retries every
``leader_poll`` seconds takes over within about that bound. The leader checks its lock
connection just as often and before each job; when the check fails it stops starting
jobs until it holds the lock again.

SQLite: an exclusive ``flock`` on a lock file next to the database. A second instance
does not stand by: it refuses to start with a clear message (SQLite is for one host).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from storage.db import normalize_url
from wirecore.errors import WirewatchError

LOCK_CLASS = 0x7769  # "wi": first half of the advisory lock key
"""First int4 of the advisory lock key; the second is a hash of the current schema."""


MIGRATE_CLASS = 0x776D  # "wm"
"""First int4 of the advisory lock that serialises schema upgrades of replicas."""


def upgrade_schema(url: str, migrate: Callable[[], None]) -> None:
    """Migrate the schema; on PostgreSQL one replica at a time (the others then find it done).

    ``migrate`` does the migration (the service runs ``wirewatch db upgrade`` in a child
    process, so its own long-lived process never loads Alembic).
    """
    if normalize_url(url).get_backend_name() != "postgresql":
        migrate()
        return
    engine = create_engine(normalize_url(url), connect_args={"connect_timeout": 5})
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            key = {"c": MIGRATE_CLASS}
            conn.execute(text("SELECT pg_advisory_lock(:c, hashtext(current_schema()))"), key)
            try:
                migrate()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:c, hashtext(current_schema()))"), key)
    finally:
        engine.dispose()


class AlreadyRunning(WirewatchError):
    """Another service already runs on this SQLite database."""


class Election(Protocol):
    """Leadership of the schedule on one database."""

    def acquire(self) -> bool:
        """Try once to become (or stay) leader; True when this process leads."""

    def holds(self) -> bool:
        """Check, with a round trip where there is one, that this process still leads."""

    def release(self) -> None:
        """Give leadership up."""


class PostgresElection:
    """A PostgreSQL advisory lock on a dedicated connection."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(
            normalize_url(url),
            pool_size=1,
            connect_args={
                "connect_timeout": 5,
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 3,
                "keepalives_count": 3,
            },
        )
        self.conn: Connection | None = None
        self.mutex = threading.Lock()

    def acquire(self) -> bool:
        """Try the advisory lock (reconnecting first if the lock connection was lost)."""
        with self.mutex:
            if self.conn is not None:
                return self._check()
            try:
                conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            except SQLAlchemyError:
                return False
            try:
                got = conn.execute(
                    text("SELECT pg_try_advisory_lock(:c, hashtext(current_schema()))"),
                    {"c": LOCK_CLASS},
                ).scalar()
            except SQLAlchemyError:
                conn.invalidate()
                conn.close()
                return False
            if got:
                self.conn = conn
                return True
            conn.close()
            return False

    def holds(self) -> bool:
        """True while the lock connection answers (the lock lives as long as it does)."""
        with self.mutex:
            return self.conn is not None and self._check()

    def _check(self) -> bool:
        assert self.conn is not None
        try:
            self.conn.execute(text("SELECT 1")).scalar()
            return True
        except SQLAlchemyError:
            self.conn.invalidate()
            self.conn.close()
            self.conn = None
            return False

    def release(self) -> None:
        """Unlock and close the lock connection."""
        with self.mutex:
            if self.conn is not None:
                try:
                    self.conn.execute(
                        text("SELECT pg_advisory_unlock(:c, hashtext(current_schema()))"),
                        {"c": LOCK_CLASS},
                    )
                    self.conn.close()
                except SQLAlchemyError:
                    pass
                self.conn = None
        self.engine.dispose()


class SqliteElection:
    """An exclusive lock on ``<database>.lock``: one service per SQLite database."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self.handle: IO[str] | None = None

    def acquire(self) -> bool:
        """Take the lock file or raise AlreadyRunning naming the process that holds it."""
        if self.handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise AlreadyRunning(
                f"another `wirewatch run` (pid {holder}) is already using this SQLite "
                f"database; lock file {self.path} is held. Stop it first, or use "
                "PostgreSQL to run replicas"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle
        return True

    def holds(self) -> bool:
        """Always True once acquired: the lock lasts as long as the process."""
        return self.handle is not None

    def release(self) -> None:
        """Unlock the lock file (it stays on disk, empty)."""
        if self.handle is not None:
            self.handle.truncate(0)
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


class NoElection:
    """In-memory SQLite: nothing to share, always the leader."""

    def acquire(self) -> bool:
        """Always leads."""
        return True

    def holds(self) -> bool:
        """Always leads."""
        return True

    def release(self) -> None:
        """Nothing to release."""


def make_election(url: str) -> Election:
    """The election that fits the database behind ``url``."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "postgresql":
        return PostgresElection(url)
    if parsed.database and parsed.database != ":memory:":
        return SqliteElection(Path(parsed.database))
    return NoElection()
