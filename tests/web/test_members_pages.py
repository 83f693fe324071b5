"""The members page (roles, invitations), accepting an invitation, and one's own API tokens."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloudwarden.identity import users
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, AuditEntry
from tests.api.conftest import MEMBER_PASSWORD, OWNER_EMAIL, Service, member_headers, start_service
from tests.web.conftest import csrf_of, sign_in

WS = f"/w/{DEFAULT_WORKSPACE_ID}"
NEW_PASSWORD = "orchid tractor velvet ninety"
LINK = re.compile(r'id="invitation-link" class="secret-value" value="([^"]+)"')
TOKEN = re.compile(r'id="new-token" class="secret-value" value="(cw_pat_[^"]+)"')


def invite(client: TestClient, csrf: str, email: str, role: str, ws: str = WS) -> str:
    """Invite through the form; the invitation link the page shows (once)."""
    response = client.post(f"{ws}/invitations", data={"csrf_token": csrf, "email": email, "role": role})
    assert response.status_code == 200, response.text
    assert "Invitation created" in response.text
    found = LINK.search(response.text)
    assert found, "no invitation link on the page"
    return html.unescape(found.group(1))


def row_of(page: str, email: str) -> str:
    """The members table's row of `email`."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.DOTALL):
        if f'<td data-label="Email">{email}</td>' in row:
            return row
    raise AssertionError(f"{email} is not listed")


def audited(web: Service, action: str) -> list[AuditEntry]:
    with web.factory() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def any_web(database_url: str, tmp_path: Path) -> Iterator[Service]:
    """`web` on SQLite and on the real PostgreSQL (its row-level security scopes the invitations)."""
    yield from start_service(database_url, tmp_path, base_url="https://testserver")


def test_an_invited_person_accepts_on_the_page_signs_in_and_sees_their_role(any_web: Service) -> None:
    web = any_web
    client = web.client
    csrf = sign_in(client)
    page = client.get(f"{WS}/members").text
    assert "<h1>Members</h1>" in page and 'aria-current="page">Members</a>' in page
    assert "Olga Owner" in row_of(page, OWNER_EMAIL) and ">owner<" in row_of(page, OWNER_EMAIL)
    assert "Invite someone" in page

    link = invite(client, csrf, "Ana@Example.com", "responder")
    assert link.startswith("https://testserver/invitations/accept?token=cw_inv_")
    assert [e.details for e in audited(web, "invitation.create")] == [
        {"email": "ana@example.com", "role": "responder"}
    ]
    again = client.get(f"{WS}/members").text
    token = link.split("token=", 1)[1]
    assert token not in again, "the link is shown once"
    assert "Pending invitations" in again and '<th scope="row">ana@example.com</th>' in again

    client.cookies.clear()  # the invited person's browser
    path = link.removeprefix("https://testserver")
    form = client.get(path)
    assert form.status_code == 200
    assert "Join Default" in form.text and "ana@example.com" in form.text and "responder" in form.text
    fields = {"token": token, "display_name": "Ana Analyst", "password": NEW_PASSWORD}
    differ = client.post("/invitations/accept", data={**fields, "password_confirm": NEW_PASSWORD + "x"})
    assert differ.status_code == 400 and "The two passwords differ" in differ.text
    weak = client.post(
        "/invitations/accept", data={**fields, "password": "short", "password_confirm": "short"}
    )
    assert weak.status_code == 400 and "The password is too short" in weak.text
    assert 'name="display_name"' in weak.text, "the form is shown again"

    accepted = client.post(
        "/invitations/accept", data={**fields, "password_confirm": NEW_PASSWORD}, follow_redirects=False
    )
    assert accepted.status_code == 303, accepted.text
    assert accepted.headers["location"] == f"/invitations/joined?next={WS}/incidents"
    joined = client.get(accepted.headers["location"]).text
    assert "Invitation accepted" in joined and "Sign in" in joined

    used = client.get(path)
    assert used.status_code == 400 and "The invitation was already used" in used.text
    assert 'name="password"' not in used.text

    sign_in(client, "ana@example.com", NEW_PASSWORD)
    members = client.get(f"{WS}/members").text
    mine = row_of(members, "ana@example.com")
    assert "Ana Analyst" in mine and "(you)" in mine and ">responder<" in mine
    assert "Invite someone" not in members and "Save role" not in members  # a responder manages no one


def test_a_bad_or_revoked_invitation_link_says_so(web: Service) -> None:
    client = web.client
    for token in ("", "nonsense", f"cw_inv_{uuid.uuid4()}.forged"):
        page = client.get("/invitations/accept", params={"token": token})
        assert page.status_code == 404, token
        assert "This invitation cannot be used" in page.text and "The invitation is not valid" in page.text
        assert "Ask for a new one" in page.text

    csrf = sign_in(client)
    token = invite(client, csrf, "gone@example.com", "viewer").split("token=", 1)[1]
    pending = client.get(f"{WS}/members").text
    invitation_id = re.search(r'/invitations/([0-9a-f-]{36})/revoke"', pending).group(1)
    assert 'data-confirm="Revoke the invitation of gone@example.com?' in pending
    revoked = client.post(
        f"{WS}/invitations/{invitation_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.headers["location"] == f"{WS}/members?done=revoked"
    after = client.get(revoked.headers["location"]).text
    assert "Invitation revoked" in after and "No pending invitations." in after
    client.cookies.clear()
    refused = client.post(
        "/invitations/accept",
        data={
            "token": token,
            "display_name": "G",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert refused.status_code == 404 and "The invitation is not valid" in refused.text


def test_a_viewer_sees_the_members_but_no_invite_form_and_is_refused_changes(web: Service) -> None:
    member_headers(web, "viewer")
    client = web.client
    csrf = sign_in(client, "viewer@example.com", MEMBER_PASSWORD)
    page = client.get(f"{WS}/members")
    assert page.status_code == 200
    assert ">owner<" in row_of(page.text, OWNER_EMAIL) and ">viewer<" in row_of(
        page.text, "viewer@example.com"
    )
    for absent in ("Invite someone", "Pending invitations", "Save role", "/remove", 'name="role"'):
        assert absent not in page.text, absent

    with web.factory() as db:
        owner = users.find_by_email(db, OWNER_EMAIL)
        assert owner is not None
        owner_user_id = owner.id
    attempts = {
        f"{WS}/invitations": {"email": "x@example.com", "role": "admin"},
        f"{WS}/members/{owner_user_id}/role": {"role": "viewer"},
        f"{WS}/members/{owner_user_id}/remove": {},
    }
    for path, data in attempts.items():
        refused = client.post(path, data={"csrf_token": csrf, **data})
        assert refused.status_code == 403, path
        assert "<h1" in refused.text
    still = client.get(f"{WS}/members").text
    assert ">owner<" in row_of(still, OWNER_EMAIL)


def test_the_owner_changes_a_role_and_removes_a_member(web: Service) -> None:
    member_headers(web, "viewer")
    client = web.client
    csrf = sign_in(client)
    page = client.get(f"{WS}/members").text
    viewer_row = row_of(page, "viewer@example.com")
    user_id = re.search(r"/members/([0-9a-f-]+)/role", viewer_row).group(1)
    assert 'data-confirm="Remove viewer@example.com from' in viewer_row
    assert "/remove" not in row_of(page, OWNER_EMAIL), "no button to remove oneself"

    changed = client.post(
        f"{WS}/members/{user_id}/role", data={"csrf_token": csrf, "role": "responder"}, follow_redirects=False
    )
    assert changed.headers["location"] == f"{WS}/members?done=role"
    after = client.get(changed.headers["location"]).text
    assert "Role changed." in after and ">responder<" in row_of(after, "viewer@example.com")
    assert [e.details for e in audited(web, "member.update")] == [{"role": "responder"}]

    unknown = client.post(f"{WS}/members/{user_id}/role", data={"csrf_token": csrf, "role": "emperor"})
    assert unknown.status_code == 422 and "role" in unknown.text

    removed = client.post(f"{WS}/members/{user_id}/remove", data={"csrf_token": csrf}, follow_redirects=False)
    assert removed.headers["location"] == f"{WS}/members?done=removed"
    final = client.get(removed.headers["location"]).text
    assert "Member removed." in final and "viewer@example.com" not in final

    forged = client.post(f"{WS}/members/{user_id}/role", data={"csrf_token": "0" * 64, "role": "owner"})
    assert forged.status_code == 403


def test_the_owner_narrows_a_responder_per_module_and_the_narrowing_holds(web: Service) -> None:
    responder = member_headers(web, "responder")
    client = web.client
    csrf = sign_in(client)
    user_id = re.search(r"/members/([0-9a-f-]+)/role", row_of(client.get(f"{WS}/members").text, "responder@example.com")).group(1)  # type: ignore[union-attr]  # fmt: skip
    form = {"csrf_token": csrf, "role": "responder", "per_module": "true", "module_incidents": "",
            "module_posture": "viewer", "module_actions": "viewer"}  # fmt: skip
    assert client.post(f"{WS}/members/{user_id}/role", data=form, follow_redirects=False).status_code == 303
    row = row_of(client.get(f"{WS}/members").text, "responder@example.com")
    assert "actions: viewer, posture: viewer" in row
    assert re.search(r'name="module_posture">.*?<option value="viewer" selected>', row, re.S)
    assert [e.details for e in audited(web, "member.update")] == [
        {"role": "responder", "module_roles": {"posture": "viewer", "actions": "viewer"}}
    ]
    # The narrowing holds: still a responder for incidents, a viewer for posture scans.
    api = f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}"
    assert client.get(f"{api}/incidents", headers=responder).status_code == 200
    refused = client.post(f"{api}/accounts/{uuid.uuid4()}/posture/scans", headers=responder)
    assert refused.status_code == 403

    # A role change from a form without module fields keeps the narrowing; empty fields lift it.
    client.post(f"{WS}/members/{user_id}/role", data={"csrf_token": csrf, "role": "admin"})
    assert "actions: viewer, posture: viewer" in row_of(
        client.get(f"{WS}/members").text, "responder@example.com"
    )
    lifted = {**form, "role": "admin", "module_posture": "", "module_actions": ""}
    client.post(f"{WS}/members/{user_id}/role", data=lifted)
    row = row_of(client.get(f"{WS}/members").text, "responder@example.com")
    assert "posture: viewer" not in row and ">admin<" in row
    bad = client.post(f"{WS}/members/{user_id}/role", data={**form, "module_posture": "emperor"})
    assert bad.status_code == 422 and "module_roles" in bad.text


def test_another_workspace_is_not_found(web: Service) -> None:
    sign_in(web.client)
    for path in (f"/w/{uuid.uuid4()}/members", f"/w/{uuid.uuid4()}/tokens"):
        assert web.client.get(path).status_code == 404, path


def test_a_signed_in_person_joins_another_workspace_with_one_button(web: Service) -> None:
    member_headers(web, "viewer")
    created = web.client.post(
        "/api/v1/workspaces", headers=web.auth_headers, json={"name": "Staging", "slug": "staging"}
    )
    ws2 = f"/w/{created.json()['id']}"
    client = web.client
    csrf = sign_in(client)
    path = invite(client, csrf, "viewer@example.com", "admin", ws=ws2).removeprefix("https://testserver")
    client.cookies.clear()

    page = client.get(path).text
    assert "already has a CloudWarden account" in page and "Sign in to accept" in page
    assert 'name="password"' not in page
    client.post("/sign-in", data={"email": "viewer@example.com", "password": MEMBER_PASSWORD, "next": path})
    offer = client.get(path).text
    assert "Join Staging" in offer and "signed in as viewer@example.com" in offer
    joined = client.post(
        "/invitations/join",
        data={"csrf_token": csrf_of(offer), "token": path.split("token=", 1)[1]},
        follow_redirects=False,
    )
    assert joined.headers["location"] == f"{ws2}/members?done=joined"
    members = client.get(joined.headers["location"]).text
    assert "You joined this workspace." in members and ">admin<" in row_of(members, "viewer@example.com")


def test_api_tokens_are_created_shown_once_work_on_the_api_and_are_revoked(any_web: Service) -> None:
    web = any_web
    client = web.client
    csrf = sign_in(client)
    empty = client.get(f"{WS}/tokens").text
    assert "You have no API tokens in this workspace." in empty
    assert 'value="incidents:read"' in empty and '<label for="scope-incidents-read">' in empty

    none_chosen = client.post(
        f"{WS}/tokens", data={"csrf_token": csrf, "name": "ci", "expires_in_days": "30"}
    )
    assert none_chosen.status_code == 422 and "scopes" in none_chosen.text

    created = client.post(
        f"{WS}/tokens",
        data={"csrf_token": csrf, "name": "ci checks", "scopes": ["incidents:read"], "expires_in_days": "30"},
    )
    assert created.status_code == 200, created.text
    secret = TOKEN.search(created.text).group(1)
    assert "shown <strong>only this once</strong>" in created.text
    assert [e.details for e in audited(web, "api_token.create")] == [
        {"name": "ci checks", "scopes": ["incidents:read"]}
    ]

    bearer = {"Authorization": f"Bearer {secret}"}
    api = f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}"
    assert client.get(f"{api}/incidents", headers=bearer).status_code == 200
    assert client.get(f"{api}/audit", headers=bearer).status_code == 403  # not in its scopes

    listed = client.get(f"{WS}/tokens").text
    assert secret not in listed, "the token is shown once"
    row = re.search(r"<tr>\s*<th scope=\"row\">ci checks</th>(.*?)</tr>", listed, re.DOTALL).group(1)
    assert "<code>incidents:read</code>" in row and ">active<" in row and "never" not in row
    token_id = re.search(r"/tokens/([^/]+)/revoke", row).group(1)
    assert 'data-confirm="Revoke the token ci checks?' in row

    revoked = client.post(f"{WS}/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert revoked.headers["location"] == f"{WS}/tokens?done=revoked"
    after = client.get(revoked.headers["location"]).text
    assert "Token revoked" in after and ">revoked<" in after and f"/tokens/{token_id}/revoke" not in after
    assert client.get(f"{api}/incidents", headers=bearer).status_code == 401


def test_a_member_sees_only_their_own_tokens(web: Service) -> None:
    client = web.client
    csrf = sign_in(client)
    client.post(
        f"{WS}/tokens",
        data={
            "csrf_token": csrf,
            "name": "owner automation",
            "scopes": ["posture:read"],
            "expires_in_days": "7",
        },
    )
    member_headers(web, "viewer")
    client.cookies.clear()
    sign_in(client, "viewer@example.com", MEMBER_PASSWORD)
    page = client.get(f"{WS}/tokens")
    assert page.status_code == 200
    assert "owner automation" not in page.text and "You have no API tokens" in page.text


def test_a_member_leaves_the_workspace_and_the_last_owner_cannot(web: Service) -> None:
    member_headers(web, "viewer")
    client = web.client
    owner_csrf = sign_in(client)
    refused = client.post(f"{WS}/leave", data={"csrf_token": owner_csrf})
    assert refused.status_code == 400 and "A workspace keeps at least one owner" in refused.text

    client.cookies.clear()
    csrf = sign_in(client, "viewer@example.com", MEMBER_PASSWORD)
    assert "Leave this workspace" in client.get(f"{WS}/members").text
    assert client.post(f"{WS}/leave", data={"csrf_token": "0" * 64}).status_code == 403  # a forged form
    left = client.post(f"{WS}/leave", data={"csrf_token": csrf}, follow_redirects=False)
    assert left.status_code == 303
    home = client.get(left.headers["location"])
    assert "You left the workspace" in home.text and "not a member of any workspace" in home.text
    assert client.get(f"{WS}/incidents").status_code == 404  # their access ended at once
    [entry] = audited(web, "member.remove")
    assert entry.actor == "viewer@example.com"
