"""Initial schema: accounts, incidents, evidence records, metric series, diagnoses.

Revision ID: 0001_initial
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json(*, none_as_null: bool = False) -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=none_as_null).with_variant(
        postgresql.JSONB(none_as_null=none_as_null), "postgresql"
    )


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("role_arn", sa.String(2048), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("regions", _json(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("connected_at", _when(), nullable=True),
        sa.Column("closed_at", _when(), nullable=True),
        sa.Column("last_probe", _json(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("external_id", name="uq_accounts_external_id"),
        sa.CheckConstraint("status IN ('connected', 'disconnected', 'closed')", name="ck_accounts_status"),
    )
    op.create_index(
        "uq_accounts_role_arn_not_closed",
        "accounts",
        ["role_arn"],
        unique=True,
        sqlite_where=sa.text("status != 'closed'"),
        postgresql_where=sa.text("status != 'closed'"),
    )

    op.create_table(
        "incidents",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("alarm_name", sa.String(255), nullable=False),
        sa.Column("alarm_arn", sa.String(2048), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", _when(), nullable=False),
        sa.Column("received_at", _when(), nullable=False),
        sa.Column("notification", _json(), nullable=False),
        sa.Column("dedup_key", sa.String(1024), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_incidents_account_id_accounts", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("dedup_key", name="uq_incidents_dedup_key"),
    )
    op.create_index("ix_incidents_account_id_opened_at", "incidents", ["account_id", "opened_at"])
    op.create_index("ix_incidents_received_at", "incidents", ["received_at"])

    op.create_table(
        "evidence_records",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(128), nullable=False),
        sa.Column("resource", sa.String(2048), nullable=False),
        sa.Column("observed_at", _when(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("collected_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_records"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name="fk_evidence_records_incident_id_incidents",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_evidence_records_incident_id", "evidence_records", ["incident_id"])
    op.create_index("ix_evidence_records_collected_at", "evidence_records", ["collected_at"])

    op.create_table(
        "metric_series",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("resource", sa.String(2048), nullable=False),
        sa.Column("namespace", sa.String(255), nullable=False),
        sa.Column("metric_name", sa.String(255), nullable=False),
        sa.Column("stat", sa.String(64), nullable=False),
        sa.Column("dimensions", _json(), nullable=False),
        sa.Column("datapoints", _json(), nullable=False),
        sa.Column("collected_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metric_series"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name="fk_metric_series_incident_id_incidents",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_metric_series_incident_id", "metric_series", ["incident_id"])
    op.create_index("ix_metric_series_collected_at", "metric_series", ["collected_at"])

    op.create_table(
        "diagnoses",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("top_resource", sa.String(2048), nullable=True),
        sa.Column("top_fault", sa.String(255), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("result", _json(), nullable=False),
        sa.Column("aws_calls", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_diagnoses"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_diagnoses_incident_id_incidents", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_diagnoses_incident_id_created_at", "diagnoses", ["incident_id", "created_at"])
    op.create_index("ix_diagnoses_created_at", "diagnoses", ["created_at"])


def downgrade() -> None:
    op.drop_table("diagnoses")
    op.drop_table("metric_series")
    op.drop_table("evidence_records")
    op.drop_index("uq_accounts_role_arn_not_closed", table_name="accounts")
    op.drop_table("incidents")
    op.drop_table("accounts")
