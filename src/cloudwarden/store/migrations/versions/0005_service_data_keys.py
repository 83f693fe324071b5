"""Data keys of the service's own scope: `data_keys.workspace_id` may be NULL.

A person belongs to no one workspace, so the secrets of people (a user's TOTP secret) are sealed
with a service-scoped data key (vault/service.py), stored with a NULL workspace.

Revision ID: 0005_service_data_keys
Revises: 0004_row_level_security
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_service_data_keys"
down_revision: str | None = "0004_row_level_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("data_keys") as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(36), nullable=True)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM data_keys WHERE workspace_id IS NULL"))
    with op.batch_alter_table("data_keys") as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(36), nullable=False)
