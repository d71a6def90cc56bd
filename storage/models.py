"""The database schema as typed SQLAlchemy models; Alembic migrations are generated against it.

Full-text search lives outside these models because it differs per database: the SQLite
FTS5 table ``articles_fts`` (with its triggers) and the PostgreSQL generated column
``articles.search_vector`` (with its GIN index) are created by the migrations only, and
``storage/migrations/env.py`` hides them from autogenerate. The tables of later features
live in ``storage/models_*.py``; ``storage.schema`` gathers them all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, JSONType, UTCDateTime, utcnow

FTS_TABLE = "articles_fts"
"""SQLite FTS5 table over articles.title/text (migration-only, see module docstring)."""

SEARCH_VECTOR_COLUMN = "search_vector"
"""PostgreSQL tsvector column of articles (migration-only, see module docstring)."""

SEARCH_VECTOR_INDEX = "ix_articles_search_vector"
"""PostgreSQL GIN index on the search vector (migration-only)."""

MIGRATION_ONLY_INDEXES = frozenset(
    {SEARCH_VECTOR_INDEX, "ix_articles_search_cjk", "ix_articles_listing"}
)
"""PostgreSQL-only indexes made by migrations (0001, 0008) and hidden from autogenerate."""


class Source(Base):
    """A configured news wire; articles and polling state hang off it."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CrawlRun(Base):
    """One crawl: when it ran, how it ended, and why it failed if it did."""

    __tablename__ = "crawl_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('running', 'ok', 'partial', 'failed', 'interrupted')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))  # host:pid:start of the crawl
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CrawlRunSource(Base):
    """Per-source tallies of one crawl run."""

    __tablename__ = "crawl_run_sources"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class Article(Base):
    """The current version of one article, keyed by its canonical URL."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_source_id_published_at", "source_id", "published_at"),
        Index("ix_articles_language", "language"),
        Index("ix_articles_language_published_at", "language", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_origin: Mapped[str | None] = mapped_column(String(16))
    published_note: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    sitename: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL")
    )


class ArticleVersion(Base):
    """Every version of an article, the first included, with when it was seen."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))


class TopicMatch(Base):
    """Why the current version of an article belongs to a topic."""

    __tablename__ = "topic_matches"
    __table_args__ = (
        UniqueConstraint("article_id", "topic"),
        Index("ix_topic_matches_topic_article_id", "topic", "article_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    terms: Mapped[dict[str, int]] = mapped_column(JSONType)
    hits: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    snippet: Mapped[str] = mapped_column(Text)
    snippet_hits: Mapped[list[list[int]]] = mapped_column(JSONType)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # "about" (the story is about the topic) or "mentions" (a passing reference); NULL for
    # matches stored before relevance levels existed, until `wirewatch reflag` rewrites them.
    relevance: Mapped[str | None] = mapped_column(String(16))


class FetchFailure(Base):
    """A page, feed or sitemap that could not be fetched or extracted, and why."""

    __tablename__ = "fetch_failures"
    __table_args__ = (
        Index("ix_fetch_failures_occurred_at", "occurred_at"),
        Index("ix_fetch_failures_source_occurred_at", "source", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
