"""The audit log through the API: pages by sequence number, CSV and JSON exports, the chain's check."""

from __future__ import annotations

import csv
import io
import json

from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from tests.api.conftest import Service
from tests.api.test_accounts_api import WS, audit_actions, fake_role, register
from tests.api.test_identity import invite, join

MARKUP = "<img src=x onerror=alert(1)>'; DROP TABLE audit_entries;--"


def test_the_log_pages_by_sequence_and_every_entry_comes_once(any_service: Service) -> None:
    owner = any_service.headers()
    for n in range(1, 6):
        register(any_service, owner, fake_role(n))
    seen, after = [], 0
    while True:
        response = any_service.client.get(
            f"{WS}/audit", headers=owner, params={"after_seq": after, "limit": 2}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [e["seq"] for e in body["items"]]
        if body["next_after_seq"] is None:
            break
        after = body["next_after_seq"]
    assert seen == list(range(1, len(audit_actions(any_service)) + 1))
    everything = any_service.client.get(f"{WS}/audit", headers=owner, params={"limit": 1000}).json()["items"]
    assert [e["action"] for e in everything].count("account.register") == 5
    registered = [e for e in everything if e["action"] == "account.register"]
    assert registered[0]["actor"] == "owner@example.com" and len(registered[0]["hash"]) == 64
    for bad in ({"limit": 0}, {"limit": 1001}, {"after_seq": -1}, {"after_seq": "1 OR 1=1"}):
        assert any_service.client.get(f"{WS}/audit", headers=owner, params=bad).status_code == 422, bad


def test_exports_are_attachments_audited_and_carry_text_inert(any_service: Service) -> None:
    owner = any_service.headers()
    account = register(any_service, owner, fake_role(), name=MARKUP)
    any_service.client.post(f"{WS}/accounts/{account['id']}/disconnect", headers=owner)

    as_csv = any_service.client.get(f"{WS}/audit/export", headers=owner, params={"format": "csv"})
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    disposition = as_csv.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f"{DEFAULT_WORKSPACE_ID}.csv" in disposition
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["action"] for r in rows][-3:] == ["account.register", "account.disconnect", "audit.export"]
    assert rows[-1]["actor"] == "owner@example.com" and json.loads(rows[-1]["details"])["format"] == "csv"

    as_json = any_service.client.get(f"{WS}/audit/export", headers=owner, params={"format": "json"})
    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    assert as_json.headers["content-disposition"].endswith('.json"')
    entries = as_json.json()
    assert [e["action"] for e in entries][-2:] == ["audit.export", "audit.export"]
    assert len(entries) == len(rows) + 1

    wrong = any_service.client.get(f"{WS}/audit/export", headers=owner, params={"format": "xml"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "validation"

    verified = any_service.client.get(f"{WS}/audit/verify", headers=owner).json()
    assert verified == {"ok": True, "checked": len(entries), "first_broken": None, "reason": None}


def test_only_admins_and_owners_read_the_log(service: Service) -> None:
    owner = service.headers()
    responder = join(
        service, invite(service, owner, "rae@example.com", "responder"), "rae@example.com", "responder"
    )
    for path in (f"{WS}/audit", f"{WS}/audit/export", f"{WS}/audit/verify"):
        refused = service.client.get(path, headers=responder)
        assert refused.status_code == 403, path
    admin = join(service, invite(service, owner, "ada@example.com", "admin"), "ada@example.com", "admin")
    assert service.client.get(f"{WS}/audit/verify", headers=admin).json()["ok"] is True
    assert "audit.export" not in audit_actions(service)
