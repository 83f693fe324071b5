"""Posture audits: scans, results, issues followed across scans, suppressions, external findings.

On PostgreSQL every new table is workspace-owned: granted to the application role with the same
isolation policy as the others (migration 0004).

Revision ID: 0008_posture
Revises: 0007_alert_batches
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_posture"
down_revision: str | None = "0007_alert_batches"
branch_labels = None
depends_on = None

APP_ROLE = "cloudwarden_app"
POLICY = "cloudwarden_isolation"
WS = "NULLIF(current_setting('cloudwarden.workspace_id', true), '')"
TABLES = (
    "posture_scans",
    "posture_results",
    "posture_issues",
    "posture_suppressions",
    "posture_external_findings",
)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _when(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def _owned(table: str, *columns: Any, account: bool = True, nullable_account: bool = False) -> None:
    """A workspace-owned table (and, usually, an account's)."""
    parts: list[Any] = [_str("id", 36), _str("workspace_id", 36)]
    constraints: list[Any] = [
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        _fk(table, "workspace_id", "workspaces"),
    ]
    if account:
        parts.append(_str("account_id", 36, nullable=nullable_account))
        constraints.append(_fk(table, "account_id", "accounts"))
    op.create_table(table, *parts, *columns, *constraints)
    op.create_index(f"ix_{table}_workspace_id", table, ["workspace_id"])


def upgrade() -> None:
    _owned(
        "posture_scans",
        _when("started_at"),
        _when("finished_at"),
        sa.Column("regions", _json(), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("counts", _json(), nullable=False),
        sa.Column("scores", _json(), nullable=False),
        sa.Column("changes", _json(), nullable=False),
        sa.Column("unavailable", _json(), nullable=False),
    )
    op.create_index("ix_posture_scans_account_id_started_at", "posture_scans", ["account_id", "started_at"])
    _owned(
        "posture_results",
        _str("scan_id", 36),
        _when("recorded_at"),
        _str("check_id", 128),
        _str("service", 32),
        _str("severity", 16),
        _str("resource_type", 128),
        _str("resource_id", 2048),
        _str("region", 32),
        _str("status", 16),
        sa.Column("reason", sa.Text(), nullable=False),
        _str("change", 16, nullable=True),
        _str("suppression_id", 36, nullable=True),
        _fk("posture_results", "scan_id", "posture_scans"),
        account=False,
    )
    op.create_index("ix_posture_results_scan_id", "posture_results", ["scan_id"])
    _owned(
        "posture_issues",
        _str("check_id", 128),
        _str("resource_id", 2048),
        _str("region", 32),
        sa.Column("open", sa.Boolean(), nullable=False),
        _when("first_seen_at"),
        _when("last_seen_at"),
        _when("resolved_at", nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.UniqueConstraint(
            "account_id", "check_id", "resource_id", "region",
            name="uq_posture_issues_account_id_check_id_resource_id_region",
        ),
    )  # fmt: skip
    _owned(
        "posture_suppressions",
        _str("check_id", 128),
        _str("resource_id", 2048),
        sa.Column("reason", sa.Text(), nullable=False),
        _str("owner", 320),
        _str("created_by", 320),
        _when("created_at"),
        _when("expires_at"),
        nullable_account=True,
    )
    _owned(
        "posture_external_findings",
        _str("source", 16),
        _str("finding_id", 2048),
        sa.Column("title", sa.Text(), nullable=False),
        _str("severity", 16),
        _str("resource_id", 2048),
        _str("region", 32),
        _when("first_seen_at"),
        _when("last_seen_at"),
        sa.UniqueConstraint(
            "account_id",
            "source",
            "finding_id",
            name="uq_posture_external_findings_account_id_source_finding_id",
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(TABLES)} TO {APP_ROLE}")
        for table in TABLES:
            rule = f"workspace_id = {WS}"
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY {POLICY} ON {table} USING ({rule}) WITH CHECK ({rule})")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
