"""Tables of the wire-sources feature: polling state, identity keys, story clusters, backfills.

Gathered with the other table modules by ``storage.schema``. Modelled on Media
Cloud's rss-fetcher: polling state lives in the database, so a restart loses nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage import models  # noqa: F401  (the articles table its foreign keys name)
from storage.base import Base, UTCDateTime


class FeedState(Base):
    """One feed, sitemap or listing page of a source: validators, body hash, last outcome."""

    __tablename__ = "feed_states"
    __table_args__ = (Index("ix_feed_states_source", "source"),)

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_polled: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class SourceState(Base):
    """How polling a source went and when it is due next (read by the scheduler)."""

    __tablename__ = "source_states"
    __table_args__ = (Index("ix_source_states_next_poll", "next_poll"),)

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    interval: Mapped[float] = mapped_column(Float)
    last_polled: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_poll: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_new_items: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # scale-out: handed to the work queue at (cleared when the poll is done), and which
    # worker holds the source until when (no two workers poll one source at once)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_run: Mapped[int | None] = mapped_column(Integer)  # the crawl run of that poll


class SeenLink(Base):
    """An article link already downloaded, with the feed's updated time when it was."""

    __tablename__ = "seen_links"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    entry_updated: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ArticleKey(Base):
    """A scheme- and host-variant-free identity key of a stored article (AMP, m., http)."""

    __tablename__ = "article_keys"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))


class StoryFingerprint(Base):
    """The simhash of an article's text and the story cluster it belongs to."""

    __tablename__ = "story_fingerprints"
    __table_args__ = (
        Index("ix_story_fingerprints_cluster_id", "cluster_id"),
        Index("ix_story_fingerprints_cluster_id_seen_at", "cluster_id", "seen_at"),
        Index("ix_story_fingerprints_seen_at", "seen_at"),
    )

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    simhash: Mapped[int] = mapped_column(BigInteger)
    cluster_id: Mapped[int] = mapped_column(BigInteger)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BackfillProgress(Base):
    """How far a backfill of one source over one date range got (resumable)."""

    __tablename__ = "backfill_progress"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    since: Mapped[date] = mapped_column(Date, primary_key=True)
    until: Mapped[date] = mapped_column(Date, primary_key=True)
    next_day: Mapped[date] = mapped_column(Date)
    days_done: Mapped[int] = mapped_column(Integer, default=0)
    articles: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StoryKey(Base):
    """One story key of an article (an entity, event, topic or figure it names), by which
    articles in other words or languages are linked to its story cluster."""

    __tablename__ = "story_keys"
    __table_args__ = (Index("ix_story_keys_key", "key"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
