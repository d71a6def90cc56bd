"""Tables of the daily report: deliveries, and the index the report's source health needs.

Gathered with the other table modules by ``storage.schema``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime, utcnow
from storage.models import CrawlRun

DELIVERY_STATUSES = ("ok", "failed")
"""The outcomes of one delivery attempt."""


class ReportDelivery(Base):
    """One attempt to deliver one day's report to one channel, and how it ended."""

    __tablename__ = "report_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('ok', 'failed')", name="status"),
        Index("ix_report_deliveries_report_date_channel", "report_date", "channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_date: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(32))  # "email", "webhook"
    target: Mapped[str] = mapped_column(Text)  # host or recipients; never a secret
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# Which sources ran on a given day: crawl runs by start time (the report's source health).
Index("ix_crawl_runs_started_at", CrawlRun.started_at)
