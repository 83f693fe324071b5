"""The service's tables: workspaces, users, memberships, invitations, sessions, API tokens,
data keys and the append-only audit log.

Revision ID: 0002_tenancy
Revises: 0001_initial
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_tenancy"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = "role IN ('owner', 'admin', 'responder', 'viewer')"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _id(name: str = "id") -> sa.Column[Any]:
    return sa.Column(name, sa.String(36), nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "workspaces",
        _id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("require_2fa", sa.Boolean(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("closed_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.UniqueConstraint("slug", name="uq_workspaces_slug"),
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("totp_secret", sa.Text(), nullable=True),
        sa.Column("totp_enabled_at", _when(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("backup_code_hashes", _json(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", _when(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("last_login_at", _when(), nullable=True),
        sa.Column("deleted_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "memberships",
        _id(),
        _id("workspace_id"),
        _id("user_id"),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("module_roles", _json(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("removed_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_memberships"),
        _fk("memberships", "workspace_id", "workspaces"),
        _fk("memberships", "user_id", "users"),
        sa.UniqueConstraint("workspace_id", "user_id", name="uq_memberships_workspace_id_user_id"),
        sa.CheckConstraint(ROLES, name="ck_memberships_role"),
    )
    op.create_index("ix_memberships_workspace_id", "memberships", ["workspace_id"])
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.create_table(
        "invitations",
        _id(),
        _id("workspace_id"),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("invited_by", sa.String(36), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("expires_at", _when(), nullable=False),
        sa.Column("accepted_at", _when(), nullable=True),
        sa.Column("revoked_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        _fk("invitations", "workspace_id", "workspaces"),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
        sa.CheckConstraint(ROLES, name="ck_invitations_role"),
    )
    op.create_index("ix_invitations_workspace_id", "invitations", ["workspace_id"])
    op.create_table(
        "refresh_families",
        _id(),
        _id("user_id"),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("expires_at", _when(), nullable=False),
        sa.Column("revoked_at", _when(), nullable=True),
        sa.Column("revoked_reason", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_families"),
        _fk("refresh_families", "user_id", "users"),
    )
    op.create_index("ix_refresh_families_user_id", "refresh_families", ["user_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        _id("family_id"),
        sa.Column("issued_at", _when(), nullable=False),
        sa.Column("expires_at", _when(), nullable=False),
        sa.Column("rotated_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_tokens"),
        _fk("refresh_tokens", "family_id", "refresh_families"),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(32), nullable=False),
        _id("workspace_id"),
        _id("user_id"),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("scopes", _json(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("expires_at", _when(), nullable=False),
        sa.Column("revoked_at", _when(), nullable=True),
        sa.Column("last_used_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("token_id", name="pk_api_tokens"),
        _fk("api_tokens", "workspace_id", "workspaces"),
        _fk("api_tokens", "user_id", "users"),
    )
    op.create_index("ix_api_tokens_workspace_id", "api_tokens", ["workspace_id"])
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "data_keys",
        sa.Column("key_id", sa.String(64), nullable=False),
        _id("workspace_id"),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("wrapping_key_id", sa.String(2048), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("retired_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name="pk_data_keys"),
        _fk("data_keys", "workspace_id", "workspaces"),
    )
    op.create_index("ix_data_keys_workspace_id", "data_keys", ["workspace_id"])
    op.create_index("ix_data_keys_wrapping_key_id", "data_keys", ["wrapping_key_id"])
    op.create_table(
        "audit_entries",
        _id(),
        sa.Column("workspace_id", sa.String(36), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(64), nullable=True),
        sa.Column("target_id", sa.String(2048), nullable=True),
        sa.Column("source_ip", sa.String(45), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("details", _json(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
        _fk("audit_entries", "workspace_id", "workspaces"),
        sa.UniqueConstraint("workspace_id", "seq", name="uq_audit_entries_workspace_id_seq"),
        sa.CheckConstraint("outcome IN ('success', 'denied', 'failure')", name="ck_audit_entries_outcome"),
    )
    op.create_index("ix_audit_entries_workspace_id_at", "audit_entries", ["workspace_id", "at"])
    # Append-only in the database too: no UPDATE, whoever asks (retention still DELETEs).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entries_no_update ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_append_only()")
    for table in (
        "audit_entries",
        "data_keys",
        "api_tokens",
        "refresh_tokens",
        "refresh_families",
        "invitations",
        "memberships",
        "users",
        "workspaces",
    ):
        op.drop_table(table)
