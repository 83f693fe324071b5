"""The audit log is append-only and hash-chained: any change, gap or reordering is found and named."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.audit import chain
from cloudwarden.audit import service as audit
from cloudwarden.store.db import session_scope
from cloudwarden.store.tenancy import Workspace

from .conftest import at

NOW = at("2026-12-04T09:00:00")


def _workspace(db: Session, slug: str) -> str:
    workspace = Workspace(name=slug.title(), slug=slug)
    db.add(workspace)
    db.flush()
    return workspace.id


def _fill(factory: sessionmaker[Session], count: int = 5) -> tuple[str, str]:
    with session_scope(factory) as db:
        ours, theirs = _workspace(db, "ours"), _workspace(db, "theirs")
        for i in range(count):
            audit.record(
                db,
                workspace_id=ours,
                action="incident.read",
                actor="ana@example.com",
                actor_id="u-1",
                target_type="incident",
                target_id=f"inc-{i}",
                source_ip="192.0.2.7",
                at=NOW + timedelta(minutes=i),
            )
        audit.record(
            db, workspace_id=theirs, action="login", actor="bo@example.com", outcome="denied", at=NOW
        )
    return ours, theirs


def test_each_workspace_has_its_own_intact_chain(factory: sessionmaker[Session]) -> None:
    ours, theirs = _fill(factory)
    with session_scope(factory) as db:
        assert audit.verify(db, workspace_id=ours) == chain.Verdict(checked=5)
        assert audit.verify(db, workspace_id=theirs) == chain.Verdict(checked=1)
        seqs = [e.seq for e in audit.entries(db, workspace_id=ours)]
        first = audit.entries(db, workspace_id=ours)[0]
    assert seqs == [1, 2, 3, 4, 5] and first.prev_hash == chain.GENESIS


@pytest.mark.parametrize(
    ("tamper", "broken", "says"),
    [
        ("UPDATE_DETAILS", 3, "entry 3 was changed after it was written"),
        ("DELETE", 3, "entry 3 is missing"),
        ("SWAP", 2, "entry 2"),
    ],
)
def test_tampering_is_found_and_the_first_broken_link_named(
    factory: sessionmaker[Session], tamper: str, broken: int, says: str
) -> None:
    ours, _ = _fill(factory)
    with session_scope(factory) as db:
        engine = db.get_bind()
    # Someone with database access, going around the application (and its append-only trigger).
    with engine.begin() as connection:  # type: ignore[union-attr]
        if engine.dialect.name == "postgresql":  # type: ignore[union-attr]
            connection.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_entries_no_update")
        params = {"ws": ours}
        if tamper == "UPDATE_DETAILS":
            connection.execute(
                text("UPDATE audit_entries SET target_id = 'inc-x' WHERE workspace_id = :ws AND seq = 3"),
                params,
            )
        elif tamper == "DELETE":
            connection.execute(text("DELETE FROM audit_entries WHERE workspace_id = :ws AND seq = 3"), params)
        else:  # swap the contents of entries 2 and 3 while keeping their seq
            connection.execute(
                text("UPDATE audit_entries SET seq = -1 WHERE workspace_id = :ws AND seq = 2"), params
            )
            connection.execute(
                text("UPDATE audit_entries SET seq = 2 WHERE workspace_id = :ws AND seq = 3"), params
            )
            connection.execute(
                text("UPDATE audit_entries SET seq = 3 WHERE workspace_id = :ws AND seq = -1"), params
            )
    with session_scope(factory) as db:
        verdict = audit.verify(db, workspace_id=ours)
    assert not verdict.ok and verdict.first_broken == broken
    assert verdict.reason is not None and says in verdict.reason


def test_the_database_refuses_to_change_an_entry(factory: sessionmaker[Session]) -> None:
    ours, _ = _fill(factory, count=1)
    with session_scope(factory) as db:
        engine = db.get_bind()
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:  # type: ignore[union-attr]
        connection.execute(
            text("UPDATE audit_entries SET actor = 'someone else' WHERE workspace_id = :ws"), {"ws": ours}
        )


def test_the_application_refuses_to_change_or_delete_an_entry(factory: sessionmaker[Session]) -> None:
    ours, _ = _fill(factory, count=1)
    with pytest.raises(audit.AuditLogIsAppendOnly), session_scope(factory) as db:
        audit.entries(db, workspace_id=ours)[0].actor = "someone else"
    with pytest.raises(audit.AuditLogIsAppendOnly), session_scope(factory) as db:
        db.delete(audit.entries(db, workspace_id=ours)[0])


def test_concurrent_writers_keep_the_chain_contiguous(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        workspace = _workspace(db, "busy")
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(5):
                with session_scope(factory) as db:
                    audit.record(
                        db, workspace_id=workspace, action="incident.read", actor=f"w{n}", target_id=str(i)
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with session_scope(factory) as db:
        assert audit.verify(db, workspace_id=workspace) == chain.Verdict(checked=20)


def test_export_as_csv_and_json(factory: sessionmaker[Session]) -> None:
    ours, _ = _fill(factory, count=2)
    with session_scope(factory) as db:
        as_json = json.loads(audit.export(db, workspace_id=ours, fmt="json"))
        as_csv = list(csv.DictReader(io.StringIO(audit.export(db, workspace_id=ours, fmt="csv"))))
        later = json.loads(audit.export(db, workspace_id=ours, fmt="json", since=NOW + timedelta(minutes=1)))
    assert [row["target_id"] for row in as_json] == ["inc-0", "inc-1"] == [row["target_id"] for row in as_csv]
    assert as_json[0]["at"] == "2026-12-04T09:00:00.000000+00:00" and as_csv[0]["source_ip"] == "192.0.2.7"
    assert as_json[0]["actor"] == "ana@example.com" and len(as_csv[1]["hash"]) == 64
    assert [row["seq"] for row in later] == [2]
    assert all(row["action"] != "login" for row in as_json), "another workspace's entries leaked"


def test_a_csv_export_never_hands_a_spreadsheet_a_formula(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        audit.record(
            db,
            workspace_id=None,
            action="auth.sign_in",
            actor='=HYPERLINK("http://evil")',
            target_id="+1-2",
            outcome="failure",
        )
    with session_scope(factory) as db:
        rows = list(csv.DictReader(io.StringIO(audit.export(db, workspace_id=None, fmt="csv"))))
        as_json = json.loads(audit.export(db, workspace_id=None, fmt="json"))
    assert rows[-1]["actor"] == '\'=HYPERLINK("http://evil")' and rows[-1]["target_id"] == "'+1-2"
    assert as_json[-1]["actor"] == '=HYPERLINK("http://evil")'  # JSON is data, not a spreadsheet: unchanged
