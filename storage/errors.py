"""How the storage layer words its errors: one line, never a password.

`StorageError` itself is defined with the rest of the hierarchy in `wirecore.errors`
and re-exported here for the storage modules that raise it.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url

from wirecore.errors import StorageError

__all__ = ["StorageError", "one_line", "safe_url"]


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
