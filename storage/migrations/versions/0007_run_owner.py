"""Crawl runs record their owning process and a heartbeat, so lost runs can be closed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add crawl_runs.owner and crawl_runs.heartbeat_at."""
    op.add_column("crawl_runs", sa.Column("owner", sa.String(length=200), nullable=True))
    op.add_column("crawl_runs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop crawl_runs.owner and crawl_runs.heartbeat_at."""
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner")
