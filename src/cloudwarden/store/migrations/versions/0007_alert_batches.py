"""Indexes the batched alert intake reads by: an alarm's unresolved incidents, deliveries by id.

Revision ID: 0007_alert_batches
Revises: 0006_alert_loop
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_alert_batches"
down_revision: str | None = "0006_alert_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_incidents_unresolved",
        "incidents",
        ["workspace_id", "alarm_name"],
        postgresql_where=sa.text("resolved_at IS NULL"),
        sqlite_where=sa.text("resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_unresolved", table_name="incidents")
