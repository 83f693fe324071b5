"""Row-level security on PostgreSQL: a second wall between workspaces (a no-op on SQLite).

The application runs as the role `cloudwarden_app` (store/rls.py), which owns nothing, so the
policies below apply to it; the owner that runs the migrations (and retention, and key rotation)
is not subject to them (RLS is enabled, not forced), and a superuser bypasses them anyway.

Each transaction says whose rows it works on with transaction-local settings (store/rls.py):

- `cloudwarden.workspace_id`: a workspace-owned row is visible and writable only when its
  `workspace_id` (for `workspaces`, its `id`) equals it. Unset or empty means *nothing*: no
  workspace-owned row is visible and none can be written.
- `cloudwarden.user_id`: before a workspace is chosen (sign-in), a user sees their own
  memberships and the workspaces they are a current member of. Read only.
- `cloudwarden.api_token_id`: authenticating an API token reads that one token row (the secret
  is checked by the application) before its workspace is known. Read only.
- `cloudwarden.service_scope` = 'on': rows of no workspace (service-scoped data keys, which seal
  the secrets of people; the audit chain of events before a workspace is known) are visible.
  A workspace alone never shows them. Audit entries of no workspace are always insertable
  (a failed sign-in for an unknown email), but appending one reads the chain's head first.

`audit_entries` is append-only for the application: SELECT and INSERT only, no UPDATE or
DELETE (granted or by policy). `users`, `refresh_families` and `refresh_tokens` belong to no
workspace: granted, without RLS. A later migration creating a table must grant it to the role
(and, if workspace-owned, enable RLS with a policy): until then the application is refused it.

The role is cluster-wide and may serve other schemas or databases: it is created if missing
(which needs CREATEROLE, or a DBA creating it beforehand) and never dropped; the downgrade
removes only this schema's policies and grants. Production should connect as a LOGIN role that
is a member of `cloudwarden_app`, not the owner of the tables.

Revision ID: 0004_row_level_security
Revises: 0003_workspace_scoping
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_row_level_security"
down_revision: str | None = "0003_workspace_scoping"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "cloudwarden_app"
POLICY = "cloudwarden_isolation"
LOOKUP_POLICY = "cloudwarden_lookup"  # a read-only way in before the workspace is known
APPEND_POLICY = "cloudwarden_append"

WS = "NULLIF(current_setting('cloudwarden.workspace_id', true), '')"
USER = "NULLIF(current_setting('cloudwarden.user_id', true), '')"
API_TOKEN = "NULLIF(current_setting('cloudwarden.api_token_id', true), '')"  # noqa: S105 - SQL
SERVICE = "COALESCE(current_setting('cloudwarden.service_scope', true), '') = 'on'"

OWN_WORKSPACE = f"workspace_id = {WS}"
# table -> (USING and WITH CHECK of the read-write policy, USING of the read-only lookup or None)
POLICIES: dict[str, tuple[str, str | None]] = {
    "workspaces": (
        f"id = {WS}",
        # A current member (the subquery is itself filtered by the memberships policies).
        f"id IN (SELECT m.workspace_id FROM memberships m WHERE m.user_id = {USER} AND m.removed_at IS NULL)",  # noqa: S608 - constants
    ),
    "memberships": (OWN_WORKSPACE, f"user_id = {USER}"),
    "invitations": (OWN_WORKSPACE, None),
    "api_tokens": (OWN_WORKSPACE, f"token_id = {API_TOKEN}"),
    "data_keys": (f"({OWN_WORKSPACE} OR (workspace_id IS NULL AND {SERVICE}))", None),
    "accounts": (OWN_WORKSPACE, None),
    "incidents": (OWN_WORKSPACE, None),
    "evidence_records": (OWN_WORKSPACE, None),
    "metric_series": (OWN_WORKSPACE, None),
    "diagnoses": (OWN_WORKSPACE, None),
}
AUDIT = "audit_entries"
AUDIT_READ = f"({OWN_WORKSPACE} OR (workspace_id IS NULL AND {SERVICE}))"
AUDIT_APPEND = f"({OWN_WORKSPACE} OR workspace_id IS NULL)"
READ_WRITE_TABLES = (*POLICIES, "users", "refresh_families", "refresh_tokens")

# Only constants are interpolated, here and below (no statement here takes outside input).
CREATE_ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        BEGIN
            CREATE ROLE {APP_ROLE} NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;  -- created meanwhile elsewhere
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role {APP_ROLE} is missing and % may not create it', current_user
                    USING HINT = 'CREATE ROLE {APP_ROLE} NOLOGIN as a DBA, then migrate again';
        END;
    END IF;
    -- So that an owner connecting directly may SET ROLE (a superuser may anyway).
    IF NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE '% is not a member of {APP_ROLE}: it cannot SET ROLE to it', current_user;
        END;
    END IF;
END
$$
"""  # noqa: S608


def _schema() -> str:
    bind = op.get_bind()
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    return str(bind.dialect.identifier_preparer.quote(schema))


def _role_exists() -> bool:
    query = sa.text("SELECT 1 FROM pg_roles WHERE rolname = :role").bindparams(role=APP_ROLE)
    return op.get_bind().execute(query).first() is not None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_ROLE)
    op.execute(f"GRANT USAGE ON SCHEMA {_schema()} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(READ_WRITE_TABLES)} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON {AUDIT} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")  # readiness compares revisions
    for table, (rule, lookup) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {POLICY} ON {table} USING ({rule}) WITH CHECK ({rule})")
        if lookup is not None:
            op.execute(f"CREATE POLICY {LOOKUP_POLICY} ON {table} FOR SELECT USING ({lookup})")
    op.execute(f"ALTER TABLE {AUDIT} ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {POLICY} ON {AUDIT} FOR SELECT USING ({AUDIT_READ})")
    op.execute(f"CREATE POLICY {APPEND_POLICY} ON {AUDIT} FOR INSERT WITH CHECK ({AUDIT_APPEND})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS {APPEND_POLICY} ON {AUDIT}")
    op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {AUDIT}")
    op.execute(f"ALTER TABLE {AUDIT} DISABLE ROW LEVEL SECURITY")
    for table in reversed(POLICIES):
        op.execute(f"DROP POLICY IF EXISTS {LOOKUP_POLICY} ON {table}")
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    if not _role_exists():
        return
    # The role itself stays: other schemas or databases on this server may use it.
    tables = ", ".join((*READ_WRITE_TABLES, AUDIT, "alembic_version"))
    op.execute(f"REVOKE ALL ON {tables} FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA {_schema()} FROM {APP_ROLE}")
