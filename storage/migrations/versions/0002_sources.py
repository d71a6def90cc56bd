"""Source polling state, identity keys, story clusters, backfill progress (wire sources issue).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _int(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade() -> None:
    """Create the polling, identity, cluster and backfill tables."""
    op.create_table(
        "feed_states",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_outcome", sa.String(length=16), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("last_polled"),
        _int("consecutive_failures"),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_feed_states")),
    )
    op.create_index("ix_feed_states_source", "feed_states", ["source"], unique=False)
    op.create_table(
        "source_states",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("interval", sa.Float(), nullable=False),
        _ts("last_polled"),
        _ts("next_poll"),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _int("last_new_items"),
        _int("consecutive_failures"),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_states")),
    )
    op.create_table(
        "seen_links",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        _ts("entry_updated"),
        _ts("fetched_at", nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_seen_links")),
    )
    op.create_table(
        "article_keys",
        sa.Column("key", sa.Text(), nullable=False),
        _int("article_id"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_keys_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_article_keys")),
    )
    op.create_table(
        "story_fingerprints",
        _int("article_id"),
        sa.Column("simhash", sa.BigInteger(), nullable=False),
        sa.Column("cluster_id", sa.BigInteger(), nullable=False),
        _ts("seen_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_story_fingerprints_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_story_fingerprints")),
    )
    op.create_index(
        "ix_story_fingerprints_cluster_id", "story_fingerprints", ["cluster_id"], unique=False
    )
    op.create_index(
        "ix_story_fingerprints_seen_at", "story_fingerprints", ["seen_at"], unique=False
    )
    op.create_table(
        "backfill_progress",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("next_day", sa.Date(), nullable=False),
        _int("days_done"),
        _int("articles"),
        _ts("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("source", "since", "until", name=op.f("pk_backfill_progress")),
    )


def downgrade() -> None:
    """Drop what upgrade created."""
    op.drop_table("backfill_progress")
    op.drop_index("ix_story_fingerprints_seen_at", table_name="story_fingerprints")
    op.drop_index("ix_story_fingerprints_cluster_id", table_name="story_fingerprints")
    op.drop_table("story_fingerprints")
    op.drop_table("article_keys")
    op.drop_table("seen_links")
    op.drop_table("source_states")
    op.drop_index("ix_feed_states_source", table_name="feed_states")
    op.drop_table("feed_states")
