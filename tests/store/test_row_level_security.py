"""Row-level security (migration 0004, store/rls.py): PostgreSQL keeps workspaces apart as well.

The data is written as the owner (who, like a superuser, is not subject to the policies); the
checks run on an engine whose connections SET ROLE cloudwarden_app, as the application's do.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cloudwarden.audit import service as audit
from cloudwarden.store import rls, service
from cloudwarden.store.alerting import (
    ActionProposal,
    Alert,
    ChannelRecord,
    Consent,
    InvestigationJob,
    OutboxMessage,
    WhatsAppWindow,
)
from cloudwarden.store.db import (
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    session_factory,
    session_scope,
)
from cloudwarden.store.posture import (
    ExternalFinding,
    PostureIssue,
    PostureResult,
    PostureScan,
    PostureSuppression,
)
from cloudwarden.store.tenancy import (
    ApiToken,
    AuditEntry,
    DataKeyRecord,
    Invitation,
    Membership,
    Role,
    User,
)
from cloudwarden.store.tenancy import (
    Workspace as WorkspaceRow,
)

from .conftest import at

# table -> the column naming its workspace
WORKSPACE_OWNED = {
    "workspaces": "id",
    "accounts": "workspace_id",
    "incidents": "workspace_id",
    "evidence_records": "workspace_id",
    "metric_series": "workspace_id",
    "diagnoses": "workspace_id",
    "memberships": "workspace_id",
    "invitations": "workspace_id",
    "api_tokens": "workspace_id",
    "data_keys": "workspace_id",
    "audit_entries": "workspace_id",
    "alerts": "workspace_id",
    "channels": "workspace_id",
    "outbox_messages": "workspace_id",
    "whatsapp_windows": "workspace_id",
    "action_proposals": "workspace_id",
    "consents": "workspace_id",
    "investigation_jobs": "workspace_id",
    "posture_scans": "workspace_id",
    "posture_results": "workspace_id",
    "posture_issues": "workspace_id",
    "posture_suppressions": "workspace_id",
    "posture_external_findings": "workspace_id",
}
RLS_REVISION = "0004_row_level_security"


@dataclass(frozen=True)
class Tenant:
    workspace_id: str
    user_id: str
    account_id: str
    token_id: str


@dataclass(frozen=True)
class Store:
    owner: Engine
    app: Engine
    a: Tenant
    b: Tenant


@pytest.fixture
def schema_url(postgres_url: str) -> Iterator[str]:
    """A throwaway schema on the PostgreSQL server, chosen per connection by the URL."""
    schema = f"cw_rls_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            make_url(postgres_url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _tenant(db: Session, slug: str) -> Tenant:
    workspace = WorkspaceRow(name=slug.title(), slug=slug)
    user = User(email=f"{slug}@example.com", display_name=slug, password_hash="x")
    db.add_all([workspace, user])
    db.flush()
    ws = workspace.id
    db.add(Membership(workspace_id=ws, user_id=user.id, role=Role.OWNER.value))
    db.add(
        Invitation(
            workspace_id=ws,
            email=f"new-{slug}@example.com",
            role=Role.VIEWER.value,
            token_hash=uuid.uuid4().hex * 2,
            expires_at=at("2030-01-01T00:00:00"),
        )
    )
    token_id = uuid.uuid4().hex
    db.add(
        ApiToken(
            token_id=token_id,
            workspace_id=ws,
            user_id=user.id,
            secret_hash="0" * 64,
            name="ci",
            scopes=["incidents:read"],
            expires_at=at("2030-01-01T00:00:00"),
        )
    )
    db.add(DataKeyRecord(key_id=f"dk-{slug}", workspace_id=ws, wrapped=b"wrapped", wrapping_key_id="kek"))
    account = service.create_account(
        db=db,
        workspace_id=ws,
        name=slug,
        role_arn=f"arn:aws:iam::{uuid.uuid4().int % 10**12:012d}:role/CloudWardenReadOnly",
        regions=["eu-west-1"],
    )
    incident, _ = service.record_incident(
        db=db,
        workspace_id=ws,
        account_id=account.id,
        alarm_name="api-5xx",
        alarm_arn="arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx",
        region="eu-west-1",
        opened_at=at("2025-11-20T10:00:00"),
        notification={"AlarmName": "api-5xx"},
        dedup_key=str(uuid.uuid4()),
    )
    service.add_evidence(
        db=db,
        workspace_id=ws,
        incident_id=incident.id,
        items=[
            {
                "source": "ecs",
                "kind": "service-event",
                "resource": "api",
                "observed_at": at("2025-11-20T09:55:00"),
                "summary": "steady state",
            }
        ],
    )
    service.add_metric_series(
        db=db,
        workspace_id=ws,
        incident_id=incident.id,
        resource="api",
        namespace="AWS/ECS",
        metric_name="CPUUtilization",
        stat="Average",
        datapoints=[(at("2025-11-20T09:50:00"), 1.0), (at("2025-11-20T09:51:00"), 2.0)],
    )
    service.save_diagnosis(
        db=db,
        workspace_id=ws,
        incident_id=incident.id,
        result={"causes": []},
        top_resource=None,
        top_fault=None,
        confidence=0.5,
        aws_calls=1,
        duration_ms=10,
    )
    audit.record(db, workspace_id=ws, action="account.create", actor=user.email, at=at("2026-12-04T09:00:00"))
    _alert_loop_rows(db, ws, account_id=account.id, incident_id=incident.id, user_id=user.id)
    return Tenant(workspace_id=ws, user_id=user.id, account_id=account.id, token_id=token_id)


def _alert_loop_rows(db: Session, ws: str, *, account_id: str, incident_id: str, user_id: str) -> None:
    """One row of each alert-loop table (migration 0006) in the workspace."""
    when = at("2025-11-20T10:00:00")
    channel = ChannelRecord(workspace_id=ws, name="phones", kind="whatsapp", settings={})
    proposal = ActionProposal(
        workspace_id=ws,
        incident_id=incident_id,
        account_id=account_id,
        action="restart_ecs_service",
        resource="arn:aws:ecs:us-east-1:1:service/c/s",
        params={},
    )
    db.add_all([channel, proposal])
    db.flush()
    db.add_all(
        [
            Alert(
                workspace_id=ws,
                account_id=account_id,
                source="sns",
                delivery_id=str(uuid.uuid4()),
                alarm_name="api-5xx",
                alarm_arn="arn:aws:cloudwatch:us-east-1:1:alarm:api-5xx",
                region="us-east-1",
                new_state="ALARM",
                state_changed_at=when,
                incident_id=incident_id,
            ),
            OutboxMessage(
                workspace_id=ws,
                channel_id=channel.id,
                incident_id=incident_id,
                dedup_key=str(uuid.uuid4()),
                kind="diagnosis",
                recipient="447700900123",
                payload={},
            ),
            InvestigationJob(
                workspace_id=ws, account_id=account_id, alarm_name="api-5xx", lookback_minutes=60, actor="x"
            ),
            WhatsAppWindow(
                workspace_id=ws, channel_id=channel.id, number="447700900123", last_inbound_at=when
            ),
            Consent(
                workspace_id=ws,
                proposal_id=proposal.id,
                approver_id=user_id,
                approver="a@example.com",
                via="api",
                action=proposal.action,
                resource=proposal.resource,
                params_digest="0" * 64,
                secret_digest="1" * 64,
                issued_at=when,
                expires_at=when,
            ),
            *_posture_rows(db, ws, account_id, when),
        ]
    )


def _posture_rows(db: Session, ws: str, account_id: str, when: datetime) -> list[object]:
    scan_id = str(uuid.uuid4())
    where = {"check_id": "s3_bucket_versioning_enabled", "resource_id": "arn:aws:s3:::b", "region": "global"}
    db.add(
        PostureScan(
            id=scan_id,
            workspace_id=ws,
            account_id=account_id,
            started_at=when,
            finished_at=when,
            regions=[],
            checks=1,
            api_calls=1,
            counts={},
            scores={},
            changes={},
            unavailable={},
        )
    )
    db.flush()  # the results name it
    return [
        PostureResult(
            workspace_id=ws, scan_id=scan_id, recorded_at=when, service="s3", severity="low",
            resource_type="AWS::S3::Bucket", status="FAIL", reason="", **where,
        ),
        PostureIssue(workspace_id=ws, account_id=account_id, first_seen_at=when, last_seen_at=when, **where),
        PostureSuppression(
            workspace_id=ws, check_id=where["check_id"], resource_id="*", reason="accepted for the test",
            owner="o", created_by="x", expires_at=when,
        ),
        ExternalFinding(
            workspace_id=ws, account_id=account_id, source="guardduty", finding_id="f", title="t",
            severity="low", resource_id="r", region="us-east-1", first_seen_at=when, last_seen_at=when,
        ),
    ]  # fmt: skip


@pytest.fixture
def store(schema_url: str) -> Iterator[Store]:
    owner = make_engine(schema_url)
    migrate(owner)
    with session_scope(session_factory(owner)) as db:
        a, b = _tenant(db, "alpha"), _tenant(db, "bravo")
        db.add(DataKeyRecord(key_id="dk-service", workspace_id=None, wrapped=b"w", wrapping_key_id="kek"))
        audit.record(db, workspace_id=None, action="login", actor="who@example.com", outcome="denied")
    app = make_engine(schema_url)
    rls.assume_app_role(app)
    yield Store(owner=owner, app=app, a=a, b=b)
    app.dispose()
    owner.dispose()


def _workspaces_seen(db: Session) -> dict[str, set[str | None]]:
    return {
        table: set(db.scalars(text(f"SELECT {column} FROM {table}")))
        for table, column in WORKSPACE_OWNED.items()
    }


def test_the_application_runs_as_a_role_that_owns_nothing(store: Store) -> None:
    with store.app.connect() as connection:
        assert connection.scalar(text("SELECT current_user")) == rls.APP_ROLE
        owners = dict(
            connection.execute(
                text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = current_schema()")
            ).all()
        )
        secured = set(
            connection.scalars(
                text(
                    "SELECT relname FROM pg_class WHERE relrowsecurity"
                    " AND relnamespace = current_schema()::regnamespace"
                )
            )
        )
        audit_rights = {
            right: connection.scalar(
                text("SELECT has_table_privilege('audit_entries', :right)"), {"right": right}
            )
            for right in ("SELECT", "INSERT", "UPDATE", "DELETE")
        }
    assert set(WORKSPACE_OWNED) <= set(owners) and rls.APP_ROLE not in owners.values()
    # Every table with a workspace column is secured (a guard for tables added later).
    tables = inspect(store.owner).get_table_names()
    assert {t for t in tables if "workspace_id" in _columns(store.owner, t)} | {"workspaces"} == secured
    assert secured == set(WORKSPACE_OWNED)
    assert audit_rights == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False}


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_the_owner_bypasses_the_policies_which_is_why_the_app_sets_its_role(store: Store) -> None:
    with session_scope(session_factory(store.owner)) as db:
        seen = _workspaces_seen(db)
    both = {store.a.workspace_id, store.b.workspace_id}
    assert all(both <= workspaces for workspaces in seen.values()), seen


def test_a_workspace_sees_only_its_own_rows(store: Store) -> None:
    with session_scope(session_factory(store.app)) as db:
        rls.scope(db, workspace_id=store.a.workspace_id)
        assert rls.current_workspace(db) == store.a.workspace_id
        seen = _workspaces_seen(db)
        # Not workspace-owned: still readable.
        users = set(db.scalars(select(User.id)))
    assert seen == {table: {store.a.workspace_id} for table in WORKSPACE_OWNED}
    assert {store.a.user_id, store.b.user_id} <= users


def test_with_no_workspace_set_nothing_is_visible(store: Store) -> None:
    with session_scope(session_factory(store.app)) as db:
        assert _workspaces_seen(db) == {table: set() for table in WORKSPACE_OWNED}
        rls.scope(db, workspace_id=store.a.workspace_id)
        rls.scope(db, workspace_id=None)
        assert _workspaces_seen(db) == {table: set() for table in WORKSPACE_OWNED}
    with session_scope(session_factory(store.app)) as db:
        rls.scope(db, workspace_id=store.a.workspace_id)
    with session_scope(session_factory(store.app)) as db:  # the setting ended with its transaction
        assert rls.current_workspace(db) is None
        assert _workspaces_seen(db)["accounts"] == set()


def test_each_transaction_sets_its_scope_once_and_keeps_it(store: Store) -> None:
    statements: list[dict[str, str]] = []

    def seen(_c: object, _cursor: object, statement: str, parameters: object, *_: object) -> None:
        if "set_config" in statement and isinstance(parameters, dict):
            statements.append(dict(parameters))

    event.listen(store.app, "before_cursor_execute", seen)
    try:
        with session_scope(session_factory(store.app)) as db:
            rls.scope(db, workspace_id=store.a.workspace_id)  # begins the transaction: one round trip
            assert len(statements) == 1
            rls.scope(db, user_id=store.a.user_id)  # within it: that setting only
            assert [s["name"] for s in statements] == [rls.WORKSPACE_SETTING, rls.USER_SETTING]
            db.commit()
            statements.clear()
            assert rls.current_workspace(db) == store.a.workspace_id  # the next one: both again
            assert {s["name"] for s in statements} == {rls.WORKSPACE_SETTING, rls.USER_SETTING}
            assert len(statements) == 2
    finally:
        event.remove(store.app, "before_cursor_execute", seen)


def _set_workspace(connection: Connection, workspace_id: str) -> None:
    connection.execute(text("SELECT set_config('cloudwarden.workspace_id', :ws, true)"), {"ws": workspace_id})


def test_writing_into_another_workspace_is_refused(store: Store) -> None:
    factory = session_factory(store.app)
    with pytest.raises(DBAPIError, match="row-level security"), session_scope(factory) as db:
        rls.scope(db, workspace_id=store.a.workspace_id)
        service.create_account(
            db=db,
            workspace_id=store.b.workspace_id,
            name="smuggled",
            role_arn="arn:aws:iam::123456789012:role/CloudWardenReadOnly",
            regions=["eu-west-1"],
        )
    with pytest.raises(DBAPIError, match="row-level security"), store.app.begin() as connection:
        _set_workspace(connection, store.a.workspace_id)
        connection.execute(
            text("UPDATE accounts SET workspace_id = :b WHERE id = :id"),
            {"b": store.b.workspace_id, "id": store.a.account_id},
        )
    with store.app.begin() as connection:  # B's rows are invisible, so untouched
        _set_workspace(connection, store.a.workspace_id)
        changed = connection.execute(
            text("UPDATE accounts SET name = 'hijacked' WHERE id = :id"), {"id": store.b.account_id}
        )
        deleted = connection.execute(
            text("DELETE FROM workspaces WHERE id = :id"), {"id": store.b.workspace_id}
        )
        assert changed.rowcount == 0 and deleted.rowcount == 0
    with pytest.raises(DBAPIError, match="row-level security"), session_scope(factory) as db:
        db.add(WorkspaceRow(name="Nobody's", slug="nobodys"))  # no workspace set: nothing writable


def test_the_audit_log_is_append_only_and_its_anonymous_chain_hidden(store: Store) -> None:
    factory = session_factory(store.app)
    with session_scope(factory) as db:
        rls.scope(db, workspace_id=store.a.workspace_id)
        assert audit.record(db, workspace_id=store.a.workspace_id, action="incident.read", actor="a").seq == 2
        # A workspace does not see the chain of no workspace...
        assert audit.entries(db, workspace_id=None) == []
        # ...yet may add to it (a failed sign-in for an unknown email); the policy allows the row.
        db.add(
            AuditEntry(
                workspace_id=None,
                seq=99,
                at=at("2026-12-04T09:00:00"),
                actor="x",
                action="login",
                outcome="denied",
                prev_hash="0" * 64,
                hash="0" * 64,
            )
        )
        db.flush()
        db.rollback()
    with session_scope(factory) as db:
        # Appending to that chain reads its head first: the service scope shows it.
        rls.scope(db, service=True)
        assert audit.record(db, workspace_id=None, action="login", actor="y", outcome="denied").seq == 2
        assert [e.seq for e in audit.entries(db, workspace_id=None)] == [1, 2]
        assert audit.entries(db, workspace_id=store.a.workspace_id) == []
    for statement in ("UPDATE audit_entries SET actor = 'someone else'", "DELETE FROM audit_entries"):
        with pytest.raises(DBAPIError, match="permission denied"), store.app.begin() as connection:
            _set_workspace(connection, store.a.workspace_id)
            connection.execute(text(statement))
    with pytest.raises(DBAPIError, match="row-level security"), session_scope(factory) as db:
        rls.scope(db, workspace_id=store.a.workspace_id)
        audit.record(db, workspace_id=store.b.workspace_id, action="incident.read", actor="a")


def test_a_user_sees_only_their_own_memberships_and_workspaces(store: Store) -> None:
    with session_scope(session_factory(store.app)) as db:
        rls.scope(db, user_id=store.a.user_id)
        memberships = db.scalars(select(Membership)).all()
        workspaces = set(db.scalars(select(WorkspaceRow.id)))
        seen = _workspaces_seen(db)
    with (
        pytest.raises(DBAPIError, match="row-level security"),
        session_scope(session_factory(store.app)) as db,
    ):
        rls.scope(db, user_id=store.a.user_id)  # reading is all it allows
        db.add(Membership(workspace_id=store.b.workspace_id, user_id=store.a.user_id, role="owner"))
    assert [(m.user_id, m.workspace_id) for m in memberships] == [(store.a.user_id, store.a.workspace_id)]
    assert workspaces == {store.a.workspace_id}
    assert {t for t, ws in seen.items() if ws} == {"memberships", "workspaces"}


def test_a_removed_member_no_longer_sees_the_workspace(store: Store) -> None:
    with store.owner.begin() as connection:
        connection.execute(
            text("UPDATE memberships SET removed_at = now() WHERE user_id = :u"), {"u": store.a.user_id}
        )
    with session_scope(session_factory(store.app)) as db:
        rls.scope(db, user_id=store.a.user_id)
        assert list(db.scalars(select(WorkspaceRow.id))) == []


def test_an_api_token_is_found_before_its_workspace_is_known(store: Store) -> None:
    with session_scope(session_factory(store.app)) as db:
        rls.scope(db, api_token_id=store.a.token_id)
        assert list(db.scalars(select(ApiToken.token_id))) == [store.a.token_id]
        assert db.get(ApiToken, store.b.token_id) is None
        assert _workspaces_seen(db)["accounts"] == set()


def test_service_data_keys_need_the_service_scope(store: Store) -> None:
    factory = session_factory(store.app)
    with session_scope(factory) as db:
        rls.scope(db, workspace_id=store.a.workspace_id)
        assert set(db.scalars(select(DataKeyRecord.key_id))) == {"dk-alpha"}
    with session_scope(factory) as db:
        rls.scope(db, service=True)
        assert set(db.scalars(select(DataKeyRecord.key_id))) == {"dk-service"}
        db.add(DataKeyRecord(key_id="dk-service-2", workspace_id=None, wrapped=b"w", wrapping_key_id="kek"))
    with pytest.raises(DBAPIError, match="row-level security"), session_scope(factory) as db:
        db.add(DataKeyRecord(key_id="dk-service-3", workspace_id=None, wrapped=b"w", wrapping_key_id="kek"))


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _policies(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(text("SELECT count(*) FROM pg_policies WHERE schemaname = current_schema()"))
            or 0
        )


def test_upgrade_from_the_previous_revision_downgrade_and_again(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0003_workspace_scoping")
        migrate(engine)
        assert current_revision(engine) == head_revision()
        postgresql = engine.dialect.name == "postgresql"
        if postgresql:
            assert _policies(engine) > 0
        previous = command_previous(RLS_REVISION)
        _downgrade(engine, previous)
        assert current_revision(engine) == previous
        if postgresql:
            assert _policies(engine) == 0
            with engine.connect() as connection:
                granted = connection.scalar(
                    text(
                        "SELECT count(*) FROM information_schema.role_table_grants"
                        " WHERE grantee = :role AND table_schema = current_schema()"
                    ),
                    {"role": rls.APP_ROLE},
                )
                secured = connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_class WHERE relrowsecurity"
                        " AND relnamespace = current_schema()::regnamespace"
                    )
                )
            assert granted == 0 and secured == 0
        migrate(engine)  # the role exists by now: upgrading again must not trip over it
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def command_previous(revision: str) -> str:
    down = ScriptDirectory.from_config(alembic_config()).get_revision(revision).down_revision
    assert isinstance(down, str)
    return down
