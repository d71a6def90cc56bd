"""story_keys: the entities, events and figures by which stories link across languages.

Every stored article keeps a story cluster: those fingerprinted before this revision keep
theirs, and an article without a fingerprint row (stored before story clusters existed)
gets one of its own here (``simhash`` 0 joins nothing, ``cluster_id`` its own id), so
every article has a cluster to read. Keys are not backfilled: deriving them needs the
pipeline's lexicon, which a migration must not import; an article gets its keys when it
is next stored changed, and new articles link by keys to those that have them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create story_keys; give every article without a fingerprint its own cluster."""
    op.create_table(
        "story_keys",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_story_keys_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "key", name=op.f("pk_story_keys")),
    )
    op.create_index("ix_story_keys_key", "story_keys", ["key"], unique=False)
    op.execute(
        "INSERT INTO story_fingerprints (article_id, simhash, cluster_id, seen_at) "
        "SELECT a.id, 0, a.id, a.first_seen FROM articles a WHERE NOT EXISTS "
        "(SELECT 1 FROM story_fingerprints p WHERE p.article_id = a.id)"
    )


def downgrade() -> None:
    """Drop story_keys (the clusters given to unfingerprinted articles stay)."""
    op.drop_index("ix_story_keys_key", table_name="story_keys")
    op.drop_table("story_keys")
