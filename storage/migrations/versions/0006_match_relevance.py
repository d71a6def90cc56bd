"""Relevance level of each topic match: "about" or "mentions" (topic rules issue).

Matches stored before this revision keep NULL until `wirewatch reflag` re-applies the
rules and fills it in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add topic_matches.relevance."""
    with op.batch_alter_table("topic_matches") as batch:
        batch.add_column(sa.Column("relevance", sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Drop topic_matches.relevance."""
    with op.batch_alter_table("topic_matches") as batch:
        batch.drop_column("relevance")
