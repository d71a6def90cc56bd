"""Initial schema: sources, crawl runs, articles with versions, topic matches, failures.

Also the full-text search objects, per dialect (hidden from autogenerate by env.py):
SQLite gets the FTS5 external-content table ``articles_fts`` kept in sync by triggers;
PostgreSQL gets the stored generated column ``articles.search_vector`` with a GIN index
(and lz4 TOAST compression for the article texts when the server supports it).

Note for later SQLite migrations: a batch operation on ``articles`` recreates the table
and drops its triggers; such a migration must re-run ``_create_sqlite_fts`` triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create every table, index and full-text object of the first schema."""
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        _ts("started_at"),
        _ts("finished_at", nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'ok', 'partial', 'failed', 'interrupted')",
            name=op.f("ck_crawl_runs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_sources_name")),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        _ts("published_at", nullable=True),
        sa.Column("published_origin", sa.String(length=16), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("sitename", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("first_seen"),
        _ts("last_seen"),
        _ts("updated_at", nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_articles_last_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_articles_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("url", name=op.f("uq_articles_url")),
    )
    op.create_index("ix_articles_language", "articles", ["language"])
    op.create_index("ix_articles_published_at", "articles", ["published_at"])
    op.create_index(
        "ix_articles_source_id_published_at", "articles", ["source_id", "published_at"]
    )
    op.create_table(
        "crawl_run_sources",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_crawl_run_sources_run_id_crawl_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "source", name=op.f("pk_crawl_run_sources")),
    )
    op.create_table(
        "fetch_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        _ts("occurred_at"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_fetch_failures_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetch_failures")),
    )
    op.create_index("ix_fetch_failures_occurred_at", "fetch_failures", ["occurred_at"])
    op.create_index(
        "ix_fetch_failures_source_occurred_at", "fetch_failures", ["source", "occurred_at"]
    )
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        _ts("published_at", nullable=True),
        _ts("seen_at"),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_versions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_article_versions_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint(
            "article_id", "version", name=op.f("uq_article_versions_article_id_version")
        ),
    )
    op.create_table(
        "topic_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("terms", JSON, nullable=False),
        sa.Column("hits", JSON, nullable=False),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.Column("snippet_hits", JSON, nullable=False),
        _ts("matched_at"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_topic_matches_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_matches")),
        sa.UniqueConstraint("article_id", "topic", name=op.f("uq_topic_matches_article_id_topic")),
    )
    op.create_index("ix_topic_matches_topic_article_id", "topic_matches", ["topic", "article_id"])

    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _create_sqlite_fts()
    elif dialect == "postgresql":
        _create_postgresql_fts()


def downgrade() -> None:
    """Drop everything the upgrade created."""
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for trigger in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_vector")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")

    op.drop_index("ix_topic_matches_topic_article_id", table_name="topic_matches")
    op.drop_table("topic_matches")
    op.drop_table("article_versions")
    op.drop_index("ix_fetch_failures_source_occurred_at", table_name="fetch_failures")
    op.drop_index("ix_fetch_failures_occurred_at", table_name="fetch_failures")
    op.drop_table("fetch_failures")
    op.drop_table("crawl_run_sources")
    op.drop_index("ix_articles_source_id_published_at", table_name="articles")
    op.drop_index("ix_articles_published_at", table_name="articles")
    op.drop_index("ix_articles_language", table_name="articles")
    op.drop_table("articles")
    op.drop_table("sources")
    op.drop_table("crawl_runs")


def _create_sqlite_fts() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5("
        "title, text, content='articles', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
        "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); "
        "END"
    )
    op.execute(
        "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
        "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
        "VALUES ('delete', old.id, old.title, old.text); "
        "END"
    )
    # Only title/text changes touch the index: bumping last_seen stays cheap.
    op.execute(
        "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN "
        "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
        "VALUES ('delete', old.id, old.title, old.text); "
        "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); "
        "END"
    )


def _create_postgresql_fts() -> None:
    # A tsvector holds at most 1 MB: ~800 KB of distinct words would make the INSERT fail
    # (and with it the whole batch), so only the first 500,000 characters are indexed.
    op.execute(
        "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        "(to_tsvector('simple', left(coalesce(title, '') || ' ' || coalesce(text, ''), 500000))) "
        "STORED"
    )
    op.execute("CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)")
    if op.get_context().as_sql:  # offline (--sql): no server to ask
        return
    lz4 = op.get_bind().execute(
        sa.text(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
            "AND 'lz4' = ANY(enumvals)"
        )
    ).first()
    if lz4 is not None:  # PostgreSQL >= 14 built with lz4: roughly doubles text insert speed
        op.execute("ALTER TABLE articles ALTER COLUMN text SET COMPRESSION lz4")
        op.execute("ALTER TABLE article_versions ALTER COLUMN text SET COMPRESSION lz4")
