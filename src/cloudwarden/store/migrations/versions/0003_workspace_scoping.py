"""Every tenant-owned row carries its workspace; existing rows go to the default workspace.

The default workspace is the one the CLI works in (the local store's owner); the service creates
others. Accounts, incidents, evidence records, metric series and diagnoses get `workspace_id`
(NOT NULL, foreign key, indexed), backfilled from the row above them; a role may be connected
once per workspace (it was once per store).

Revision ID: 0003_workspace_scoping
Revises: 0002_tenancy
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from cloudwarden.store.types import UTCDateTime

revision: str = "0003_workspace_scoping"
down_revision: str | None = "0002_tenancy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_WORKSPACE_ID = "00000000-0000-4000-8000-000000000001"
NOT_CLOSED = sa.text("status != 'closed'")
# child table -> (parent table, the child's column pointing at it)
BACKFILL = (
    ("accounts", None, None),
    ("incidents", "accounts", "account_id"),
    ("evidence_records", "incidents", "incident_id"),
    ("metric_series", "incidents", "incident_id"),
    ("diagnoses", "incidents", "incident_id"),
)


def upgrade() -> None:
    workspaces = sa.table(
        "workspaces",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("slug", sa.String),
        sa.column("require_2fa", sa.Boolean),
        sa.column("created_at", UTCDateTime()),
    )
    op.bulk_insert(
        workspaces,
        [
            {
                "id": DEFAULT_WORKSPACE_ID,
                "name": "Default",
                "slug": "default",
                "require_2fa": False,
                "created_at": datetime.now(UTC),
            }
        ],
    )
    op.drop_index("uq_accounts_role_arn_not_closed", table_name="accounts")
    for table, parent, column in BACKFILL:
        op.add_column(table, sa.Column("workspace_id", sa.String(36), nullable=True))
        child = sa.table(table, sa.column("workspace_id", sa.String), sa.column(column or "id", sa.String))
        if parent is None or column is None:
            op.execute(child.update().values(workspace_id=DEFAULT_WORKSPACE_ID))
        else:
            above = sa.table(parent, sa.column("id", sa.String), sa.column("workspace_id", sa.String))
            owner = sa.select(above.c.workspace_id).where(above.c.id == child.c[column]).scalar_subquery()
            op.execute(child.update().values(workspace_id=owner))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("workspace_id", existing_type=sa.String(36), nullable=False)
            batch.create_foreign_key(
                f"fk_{table}_workspace_id_workspaces",
                "workspaces",
                ["workspace_id"],
                ["id"],
                ondelete="CASCADE",
            )
        op.create_index(f"ix_{table}_workspace_id", table, ["workspace_id"])
    op.create_index(
        "uq_accounts_workspace_id_role_arn_not_closed",
        "accounts",
        ["workspace_id", "role_arn"],
        unique=True,
        sqlite_where=NOT_CLOSED,
        postgresql_where=NOT_CLOSED,
    )


def downgrade() -> None:
    op.drop_index("uq_accounts_workspace_id_role_arn_not_closed", table_name="accounts")
    for table, _, _ in reversed(BACKFILL):
        op.drop_index(f"ix_{table}_workspace_id", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_workspace_id_workspaces", type_="foreignkey")
            batch.drop_column("workspace_id")
    op.create_index(
        "uq_accounts_role_arn_not_closed",
        "accounts",
        ["role_arn"],
        unique=True,
        sqlite_where=NOT_CLOSED,
        postgresql_where=NOT_CLOSED,
    )
    op.execute(sa.text("DELETE FROM workspaces WHERE id = :id").bindparams(id=DEFAULT_WORKSPACE_ID))
