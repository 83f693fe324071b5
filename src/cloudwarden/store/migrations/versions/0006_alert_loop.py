"""The alert loop: alerts, channels, the delivery outbox, WhatsApp windows, proposals, consents.

Also: `incidents.resolved_at`, `accounts.actions_role_arn`, `workspaces.intake_secret_hash`
(the EventBridge API destination's secret, as a digest) and `users.phone` (WhatsApp approvals).
On PostgreSQL every new table is workspace-owned: granted to the application role with the
same isolation policy as the others (migration 0004).

Revision ID: 0006_alert_loop
Revises: 0005_service_data_keys
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_alert_loop"
down_revision: str | None = "0005_service_data_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "cloudwarden_app"
POLICY = "cloudwarden_isolation"
WS = "NULLIF(current_setting('cloudwarden.workspace_id', true), '')"
TABLES = (
    "alerts",
    "channels",
    "outbox_messages",
    "whatsapp_windows",
    "action_proposals",
    "consents",
    "investigation_jobs",
)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _when(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns), unique=unique)


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(_when("resolved_at", nullable=True))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(_str("actions_role_arn", 2048, nullable=True))
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(_str("intake_secret_hash", 64, nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(_str("phone", 32, nullable=True))
    _index("users", "phone")

    op.create_table(
        "alerts",
        _str("id", 36),
        _str("workspace_id", 36),
        _str("account_id", 36),
        _str("source", 16),
        _str("delivery_id", 255),
        _str("alarm_name", 255),
        _str("alarm_arn", 2048),
        _str("region", 32),
        _str("new_state", 32),
        _str("old_state", 32, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        _when("state_changed_at"),
        _when("received_at"),
        _str("incident_id", 36, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        _fk("alerts", "workspace_id", "workspaces"),
        _fk("alerts", "account_id", "accounts"),
        _fk("alerts", "incident_id", "incidents", ondelete="SET NULL"),
        sa.UniqueConstraint(
            "workspace_id", "source", "delivery_id", name="uq_alerts_workspace_id_source_delivery_id"
        ),
        sa.CheckConstraint("source IN ('sns', 'eventbridge', 'poller')", name="ck_alerts_source"),
    )
    for column in ("workspace_id", "account_id", "received_at", "incident_id"):
        _index("alerts", column)

    op.create_table(
        "channels",
        _str("id", 36),
        _str("workspace_id", 36),
        _str("name", 64),
        _str("kind", 16),
        sa.Column("settings", _json(), nullable=False),
        sa.Column("sealed_secrets", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        _when("removed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_channels"),
        _fk("channels", "workspace_id", "workspaces"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_channels_workspace_id_name"),
        sa.CheckConstraint("kind IN ('whatsapp', 'slack', 'email', 'sns')", name="ck_channels_kind"),
    )
    _index("channels", "workspace_id")

    op.create_table(
        "outbox_messages",
        _str("id", 36),
        _str("workspace_id", 36),
        _str("channel_id", 36),
        _str("incident_id", 36, nullable=True),
        _str("dedup_key", 512),
        _str("kind", 32),
        _str("recipient", 320),
        sa.Column("payload", _json(), nullable=False),
        _str("status", 16),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _str("provider_id", 255, nullable=True),
        _when("created_at"),
        _when("sent_at", nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
        _fk("outbox_messages", "workspace_id", "workspaces"),
        _fk("outbox_messages", "channel_id", "channels"),
        _fk("outbox_messages", "incident_id", "incidents"),
        sa.UniqueConstraint("dedup_key", name="uq_outbox_messages_dedup_key"),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'delivered', 'read', 'failed', 'dead')",
            name="ck_outbox_messages_status",
        ),
    )
    for column in ("workspace_id", "channel_id", "incident_id", "provider_id"):
        _index("outbox_messages", column)
    _index("outbox_messages", "status", "next_attempt_at")

    op.create_table(
        "whatsapp_windows",
        _str("id", 36),
        _str("workspace_id", 36),
        _str("channel_id", 36),
        _str("number", 32),
        _when("last_inbound_at"),
        sa.Column("seen_message_ids", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_whatsapp_windows"),
        _fk("whatsapp_windows", "workspace_id", "workspaces"),
        _fk("whatsapp_windows", "channel_id", "channels"),
        sa.UniqueConstraint("channel_id", "number", name="uq_whatsapp_windows_channel_id_number"),
    )
    _index("whatsapp_windows", "workspace_id")

    op.create_table(
        "action_proposals",
        _str("id", 36),
        _str("workspace_id", 36),
        _str("incident_id", 36),
        _str("account_id", 36),
        _str("action", 64),
        _str("resource", 2048),
        sa.Column("params", _json(), nullable=False),
        _str("status", 16),
        _when("created_at"),
        _when("executed_at", nullable=True),
        _str("executed_by", 320, nullable=True),
        sa.Column("result", _json(), nullable=False),
        sa.Column("recovered", sa.Boolean(), nullable=True),
        _when("recovery_checked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_action_proposals"),
        _fk("action_proposals", "workspace_id", "workspaces"),
        _fk("action_proposals", "incident_id", "incidents"),
        _fk("action_proposals", "account_id", "accounts"),
        sa.UniqueConstraint(
            "incident_id", "action", "resource", name="uq_action_proposals_incident_id_action_resource"
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'approved', 'executing', 'succeeded', 'failed', 'refused')",
            name="ck_action_proposals_status",
        ),
    )
    _index("action_proposals", "workspace_id")
    _index("action_proposals", "incident_id")

    op.create_table(
        "consents",
        _str("id", 36),
        _str("workspace_id", 36),
        _str("proposal_id", 36),
        _str("approver_id", 36),
        _str("approver", 320),
        _str("via", 16),
        _str("action", 64),
        _str("resource", 2048),
        _str("params_digest", 64),
        _str("secret_digest", 64),
        _when("issued_at"),
        _when("expires_at"),
        _when("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_consents"),
        _fk("consents", "workspace_id", "workspaces"),
        _fk("consents", "proposal_id", "action_proposals"),
    )
    _index("consents", "workspace_id")
    _index("consents", "proposal_id")

    op.create_table(
        "investigation_jobs",
        _str("id", 36),
        _str("workspace_id", 36),
        _str("account_id", 36),
        _str("alarm_name", 255),
        sa.Column("lookback_minutes", sa.Integer(), nullable=False),
        _str("actor", 320),
        _str("status", 16),
        _when("created_at"),
        _when("started_at", nullable=True),
        _when("finished_at", nullable=True),
        _str("incident_id", 36, nullable=True),
        _str("error_code", 64, nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_investigation_jobs"),
        _fk("investigation_jobs", "workspace_id", "workspaces"),
        _fk("investigation_jobs", "account_id", "accounts"),
        _fk("investigation_jobs", "incident_id", "incidents", ondelete="SET NULL"),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name="ck_investigation_jobs_status"
        ),
    )
    _index("investigation_jobs", "workspace_id")

    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(TABLES)} TO {APP_ROLE}")
        for table in TABLES:
            rule = f"workspace_id = {WS}"
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY {POLICY} ON {table} USING ({rule}) WITH CHECK ({rule})")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_index("ix_users_phone", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("intake_secret_hash")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("actions_role_arn")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("resolved_at")
