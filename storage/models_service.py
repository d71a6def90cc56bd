"""Tables of the background service: scheduler state that must survive a restart.

Gathered with the other table modules by ``storage.schema``. APScheduler keeps
its jobs in memory; what must persist is here, written only by Alembic's schema:

- ``service_reports``: one row per report day the service claimed (exactly-once reports,
  including one that fell due while the service was down);
- ``service_state``: small key/value facts (when the service first led a schedule).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime

REPORT_STATUSES = ("running", "ok", "failed")
"""The states of a claimed report day."""


class ServiceReport(Base):
    """One daily report the service ran (or is running), keyed by its local day."""

    __tablename__ = "service_reports"
    __table_args__ = (CheckConstraint("status IN ('running', 'ok', 'failed')", name="status"),)

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, report tz
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    exit_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class ServiceState(Base):
    """A small named fact the service keeps across restarts."""

    __tablename__ = "service_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
