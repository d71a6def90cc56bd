"""The storage layer's own exception, kept apart because `storage` imports no other package.

    StorageError    the database is unreachable, a migration failed, or the schema drifted

Messages are one line and never contain a password; the CLI shows them as they are.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


class StorageError(Exception):
    """Anything the storage layer raises on purpose; the message is one line, password-free."""


def safe_url(url: str | URL) -> str:
    """Render a database URL for messages and logs, with any password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL may still hold a password: show nothing of it
        return "<unparseable database URL>"


def one_line(err: BaseException) -> str:
    """The first non-empty line of an exception (or of its DBAPI cause), for one-line messages."""
    cause = getattr(err, "orig", None) or err
    for line in str(cause).splitlines():
        if line.strip():
            return line.strip()
    return type(cause).__name__
