"""Row-level security on PostgreSQL: the second wall between workspaces (migration 0004).

The first wall is the application: every service function takes the workspace explicitly. The
second is the database: the application runs as `cloudwarden_app`, which owns no table, and each
transaction names its workspace:

    with session_scope(factory) as db:
        rls.scope(db, workspace_id=workspace_id)   # for the rest of this session
        service.list_accounts(db=db, workspace_id=workspace_id)

With no workspace set, no workspace-owned row is visible and none can be written. The settings
are transaction-local in PostgreSQL (`set_config(..., true)`); `scope` remembers them in the
session and applies them again at the start of each of its transactions. On SQLite it only
remembers.

Other ways in, each read-only and narrow (see the migration for the exact policies):
`user_id` (sign-in: the user's own memberships and workspaces), `api_token_id` (the one API
token being authenticated) and `service` (rows of no workspace: service data keys and the audit
chain of events before a workspace is known).

Production should connect as a LOGIN role that is a member of `cloudwarden_app` and is not the
owner of the tables (the owner, like a superuser, is not subject to the policies); migrations,
retention and key rotation run as the owner. `assume_app_role` covers a deployment that connects
as the owner: each new connection switches to the restricted role with SET ROLE.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

APP_ROLE = "cloudwarden_app"
WORKSPACE_SETTING = "cloudwarden.workspace_id"
USER_SETTING = "cloudwarden.user_id"
API_TOKEN_SETTING = "cloudwarden.api_token_id"  # noqa: S105 - a setting's name
SERVICE_SCOPE_SETTING = "cloudwarden.service_scope"

_SET = text("SELECT set_config(:name, :value, true)")
_SCOPE = "cloudwarden.rls.scope"  # session.info key: the settings re-applied to every transaction
_BEGINS = "cloudwarden.rls.begins"  # session.info key: transactions `_reapply` has set up
_SETTINGS = {
    "workspace_id": WORKSPACE_SETTING,
    "user_id": USER_SETTING,
    "api_token_id": API_TOKEN_SETTING,
    "service": SERVICE_SCOPE_SETTING,
}


def scope(session: Session, **values: str | bool | None) -> None:
    """Set settings for the rest of this session: now, and again at the start of each transaction.

        rls.scope(db, user_id=user.id)            # sign-in: their memberships become readable
        rls.scope(db, workspace_id=access.workspace_id)

    Keys: workspace_id, user_id, api_token_id (str or None) and service (bool). The request's
    session (and a task's) calls this as it learns who and where it is; a commit in between does
    not lose it, because `after_begin` applies the remembered values to the next transaction.
    """
    unknown = set(values) - set(_SETTINGS)
    if unknown:
        raise ValueError(f"unknown row-level security setting {sorted(unknown)}")
    remembered: dict[str, str | None] = session.info.setdefault(_SCOPE, {})
    for key, value in values.items():
        remembered[key] = ("on" if value else None) if key == "service" else (value or None)  # type: ignore[assignment]
    if _postgresql(session):
        begun = session.info.get(_BEGINS, 0)
        connection = session.connection()  # begins the transaction if none has
        if session.info.get(_BEGINS, 0) != begun:
            return  # it began just now: `_reapply` has applied every remembered setting
        for key in values:
            connection.execute(_SET, {"name": _SETTINGS[key], "value": remembered[key] or ""})


@event.listens_for(Session, "after_begin")
def _reapply(session: Session, _transaction: Any, connection: Any) -> None:
    remembered = session.info.get(_SCOPE)
    if remembered and connection.dialect.name == "postgresql":
        for key, value in remembered.items():
            connection.execute(_SET, {"name": _SETTINGS[key], "value": value or ""})
        session.info[_BEGINS] = session.info.get(_BEGINS, 0) + 1


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def current_workspace(session: Session) -> str | None:
    """The workspace set for this transaction (None if unset or on SQLite)."""
    if not _postgresql(session):
        return None
    value = session.execute(text("SELECT current_setting(:name, true)"), {"name": WORKSPACE_SETTING})
    return value.scalar_one_or_none() or None


def assume_app_role(engine: Engine, role: str = APP_ROLE) -> None:
    """Run every new PostgreSQL connection of `engine` as `role` (SET ROLE); a no-op on SQLite.

    Register it before the engine's first connection. The connecting role must be a member of
    `role` (migration 0004 makes the migrating owner one where it may). Do not migrate through
    such an engine: the role may not change the schema.
    """
    if engine.dialect.name != "postgresql":
        return
    statement = f"SET ROLE {engine.dialect.identifier_preparer.quote(role)}"

    @event.listens_for(engine, "connect")
    def _set_role(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()
        # Committed: a session-level SET made in a transaction is undone if it rolls back.
        dbapi_connection.commit()
