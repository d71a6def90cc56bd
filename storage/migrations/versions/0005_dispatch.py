"""Dispatch and lease columns of source_states (service scale-out), next_poll index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add dispatched_at, lease_owner, lease_until, lease_run to source_states; index next_poll."""
    with op.batch_alter_table("source_states") as batch:
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("lease_owner", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("lease_run", sa.Integer(), nullable=True))
    op.create_index("ix_source_states_next_poll", "source_states", ["next_poll"])


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_source_states_next_poll", table_name="source_states")
    with op.batch_alter_table("source_states") as batch:
        batch.drop_column("lease_run")
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
        batch.drop_column("dispatched_at")
