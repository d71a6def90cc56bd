"""articles.published_note: which publication-time candidate won, and why.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable articles.published_note column."""
    op.add_column("articles", sa.Column("published_note", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop articles.published_note."""
    op.drop_column("articles", "published_note")
