"""The audit log page: entries newest first, filters, older pages, the chain's check, exports."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from cloudwarden.audit import service as audit
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, AuditEntry
from tests.api.conftest import MEMBER_PASSWORD, Service, member_headers
from tests.web.conftest import sign_in

WS = f"/w/{DEFAULT_WORKSPACE_ID}"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MARKUP = "<img src=x onerror=alert(1)>"


def seed(service: Service) -> None:
    """Entries of several actors, actions and outcomes, a minute apart from T0."""
    rows = [
        ("ada@example.com", "channel.create", "success", {"kind": "slack", "name": "chat"}),
        ("ada@example.com", "channel.remove", "success", {}),
        ("bob@example.com", "account.register", "success", {"name": MARKUP}),
        ("mallory@example.com", "incident.read", "denied", {"reason": "not a member"}),
        ("bob@example.com", "action.execute", "failure", {"error": "AccessDenied"}),
    ]
    with service.factory.begin() as db:
        for minute, (actor, action, outcome, details) in enumerate(rows):
            audit.record(
                db,
                workspace_id=DEFAULT_WORKSPACE_ID,
                action=action,
                actor=actor,
                target_type="channel" if action.startswith("channel") else None,
                target_id="ch-1" if action.startswith("channel") else None,
                source_ip="203.0.113.7",
                outcome=outcome,  # type: ignore[arg-type]
                details=details,
                at=T0 + timedelta(minutes=minute),
            )


def actions_on(text: str) -> list[str]:
    return re.findall(r"<td><code>([a-z_.]+)</code></td>", text)


def test_the_log_shows_entries_newest_first_with_every_column(web: Service) -> None:
    seed(web)
    sign_in(web.client)
    page = web.client.get(f"{WS}/audit")
    assert page.status_code == 200
    text = page.text
    assert 'href="/w/' in text and 'aria-current="page">Audit log</a>' in text
    assert actions_on(text)[:5] == [
        "action.execute",
        "incident.read",
        "account.register",
        "channel.remove",
        "channel.create",
    ]
    assert "2026-03-01 09:04:00 UTC" in text and "bob@example.com" in text and "203.0.113.7" in text
    assert "channel <code>ch-1</code>" in text
    # The outcome is a word, not only a colour.
    assert (
        '<span class="badge denied">denied</span>' in text
        and '<span class="badge fail">failure</span>' in text
    )
    # Details are collapsed, and what they hold is shown as text, never as markup.
    assert "<details>" in text and "AccessDenied" in text
    assert MARKUP not in text and html.escape(MARKUP, quote=False) in text


def test_filters_narrow_the_log_and_bad_ones_are_refused(web: Service) -> None:
    seed(web)
    sign_in(web.client)
    family = web.client.get(f"{WS}/audit", params={"action": "channel"})
    assert actions_on(family.text) == ["channel.remove", "channel.create"]
    assert 'value="channel"' in family.text  # the form keeps what was asked
    exact = web.client.get(f"{WS}/audit", params={"action": "channel.create"})
    assert actions_on(exact.text) == ["channel.create"]
    by_actor = web.client.get(f"{WS}/audit", params={"actor": "BOB@"})
    assert actions_on(by_actor.text) == ["action.execute", "account.register"]
    denied = web.client.get(f"{WS}/audit", params={"outcome": "denied", "action": "", "since": ""})
    assert actions_on(denied.text) == ["incident.read"]
    window = web.client.get(f"{WS}/audit", params={"since": "2026-03-01T09:01", "until": "2026-03-01T09:03"})
    assert actions_on(window.text) == ["account.register", "channel.remove"]
    none = web.client.get(f"{WS}/audit", params={"actor": "nobody"})
    assert "No entries match these filters." in none.text and "Clear filters" in none.text

    bad_outcome = web.client.get(f"{WS}/audit", params={"outcome": "exploded"})
    assert bad_outcome.status_code == 400 and "No outcome" in bad_outcome.text
    bad_time = web.client.get(f"{WS}/audit", params={"since": "yesterday"})
    assert bad_time.status_code == 400 and "Since is not a time" in bad_time.text
    bad_page = web.client.get(f"{WS}/audit", params={"before": "1 OR 1=1"})
    assert bad_page.status_code == 400


def test_older_entries_page_back_through_the_log_keeping_the_filters(web: Service) -> None:
    with web.factory.begin() as db:
        for n in range(120):
            audit.record(
                db,
                workspace_id=DEFAULT_WORKSPACE_ID,
                action="probe.run",
                actor=f"bot-{n}@example.com",
                details={"n": n},
                at=T0 + timedelta(seconds=n),
            )
    sign_in(web.client)
    seen: list[int] = []
    url: str | None = f"{WS}/audit?action=probe"
    pages = 0
    while url:
        text = web.client.get(url).text
        pages += 1
        seen += [int(n) for n in re.findall(r'<tr id="entry-(\d+)">', text)]
        older = re.search(r'<a href="([^"]+)">Older entries</a>', text)
        url = html.unescape(older.group(1)) if older else None
        if url:
            assert "action=probe" in url and "before=" in url
            assert "Newest entries" not in text or pages > 1
    assert pages == 3
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 120


def test_verify_shows_an_intact_chain_and_names_a_forged_entry(web: Service) -> None:
    seed(web)
    sign_in(web.client)
    page = web.client.get(f"{WS}/audit")
    assert "Verify the chain" in page.text and "Chain intact" not in page.text
    verified = web.client.get(f"{WS}/audit?verify=1")
    with web.factory() as db:
        count = len(audit.entries(db, workspace_id=DEFAULT_WORKSPACE_ID))
        api = audit.verify(db, workspace_id=DEFAULT_WORKSPACE_ID)
    assert api.ok and f"Chain intact:</strong> {count} entries checked" in verified.text

    with web.factory.begin() as db:  # someone writes a row straight into the table
        last = db.scalars(
            select(AuditEntry)
            .where(AuditEntry.workspace_id == DEFAULT_WORKSPACE_ID)
            .order_by(AuditEntry.seq.desc())
        ).first()
        assert last is not None
        db.add(
            AuditEntry(
                workspace_id=DEFAULT_WORKSPACE_ID,
                seq=last.seq + 1,
                at=T0,
                actor="ghost",
                action="account.remove",
                outcome="success",
                details={},
                prev_hash=last.hash,
                hash="f" * 64,
            )
        )
    broken = web.client.get(f"{WS}/audit?verify=1")
    assert "Chain broken" in broken.text and f"at entry {count + 1}" in broken.text
    assert f"entry {count + 1} was changed after it was written" in broken.text


def test_exports_are_audited_attachments_holding_the_filtered_entries(web: Service) -> None:
    seed(web)
    sign_in(web.client)
    page = web.client.get(f"{WS}/audit", params={"actor": "bob", "outcome": "failure"})
    links = {
        m.group(2): html.unescape(m.group(1))
        for m in re.finditer(r'<a class="button" href="([^"]+)" download>Export ([A-Za-z ]+)</a>', page.text)
    }
    assert set(links) == {"CSV", "JSON Lines"}
    assert "actor=bob" in links["CSV"] and "outcome=failure" in links["CSV"]

    as_csv = web.client.get(links["CSV"])
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    disposition = as_csv.headers["content-disposition"]
    assert (
        disposition.startswith("attachment;")
        and f"cloudwarden-audit-{DEFAULT_WORKSPACE_ID}.csv" in disposition
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["actor"], r["action"]) for r in rows] == [("bob@example.com", "action.execute")]

    as_jsonl = web.client.get(links["JSON Lines"])
    assert as_jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert as_jsonl.headers["content-disposition"].endswith('.jsonl"')
    lines = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert [e["action"] for e in lines] == ["action.execute"] and len(lines[0]["hash"]) == 64

    everything = web.client.get(f"{WS}/audit/export?format=jsonl")
    actions = [json.loads(line)["action"] for line in everything.text.splitlines()]
    assert actions.count("audit.export") == 3 and actions[-1] == "audit.export"  # its own entry included
    exported = web.client.get(f"{WS}/audit", params={"action": "audit.export"})
    assert actions_on(exported.text) == ["audit.export"] * 3 and "owner@example.com" in exported.text
    with web.factory() as db:
        first = audit.entries(db, workspace_id=DEFAULT_WORKSPACE_ID, action="audit.export")[0]
    assert first.details == {
        "format": "csv",
        "since": None,
        "until": None,
        "actor": "bob",
        "outcome": "failure",
    }
    assert web.client.get(f"{WS}/audit/export?format=xml").status_code == 400


def test_only_admins_read_the_log_and_another_workspace_is_not_found(web: Service) -> None:
    seed(web)
    responder = member_headers(web, "responder")
    other = web.client.post(
        "/api/v1/workspaces", headers=responder, json={"name": "Acme", "slug": "acme"}
    ).json()["id"]
    sign_in(web.client, "responder@example.com", MEMBER_PASSWORD)
    channels = web.client.get(f"{WS}/channels")
    assert channels.status_code == 200 and ">Audit log</a>" not in channels.text  # not in the navigation
    for path in (f"{WS}/audit", f"{WS}/audit/export?format=csv", f"{WS}/audit?verify=1"):
        assert web.client.get(path).status_code == 403, path
    assert web.client.get(f"/w/{other}/audit").status_code == 200  # their own workspace

    web.client.cookies.clear()
    sign_in(web.client)
    for path in (f"/w/{other}/audit", f"/w/{other}/audit/export?format=csv"):
        assert web.client.get(path).status_code == 404, path
    with web.factory() as db:
        assert audit.entries(db, workspace_id=other, action="audit.export") == []
