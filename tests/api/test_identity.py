"""Signing in, sessions, 2FA, invitations, roles and API tokens, through the HTTP API."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, AuditEntry, Invitation, User
from tests.api.conftest import OWNER_EMAIL, OWNER_PASSWORD, Service

WS = f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}"
MEMBER_PASSWORD = "purple elephant umbrella ninety"


def code_for(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def invite(service: Service, headers: dict[str, str], email: str, role: str) -> str:
    response = service.client.post(f"{WS}/invitations", headers=headers, json={"email": email, "role": role})
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def join(service: Service, token: str, email: str, role: str = "viewer") -> dict[str, str]:
    response = service.client.post(
        "/api/v1/invitations/accept",
        json={"token": token, "password": MEMBER_PASSWORD, "display_name": email.split("@")[0]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["your_role"] == role
    return service.headers(email, MEMBER_PASSWORD)


def audit_actions(service: Service, workspace_id: str | None) -> list[tuple[str, str]]:
    with service.factory.begin() as db:
        entries = db.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.workspace_id.is_(None)
                if workspace_id is None
                else AuditEntry.workspace_id == workspace_id
            )
            .order_by(AuditEntry.seq)
        ).all()
        return [(e.action, e.outcome) for e in entries]


def test_the_owner_signs_in_and_sees_the_default_workspace(any_service: Service) -> None:
    headers = any_service.headers()
    me = any_service.client.get("/api/v1/me", headers=headers).json()
    assert me["email"] == OWNER_EMAIL and me["two_factor"] is False
    assert [(w["workspace_id"], w["role"]) for w in me["workspaces"]] == [(DEFAULT_WORKSPACE_ID, "owner")]
    assert ("auth.sign_in", "success") in audit_actions(any_service, None)


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer_and_are_audited(service: Service) -> None:
    wrong = service.client.post(
        "/api/v1/auth/sign-in", json={"email": OWNER_EMAIL, "password": "nope nope nope"}
    )
    unknown = service.client.post(
        "/api/v1/auth/sign-in", json={"email": "who@example.com", "password": "x" * 12}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == unknown.json()["error"]
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    assert audit_actions(service, None).count(("auth.sign_in", "failure")) == 2


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(service: Service) -> None:
    for _ in range(service.identity.max_failed_logins):
        service.client.post(
            "/api/v1/auth/sign-in", json={"email": OWNER_EMAIL, "password": "wrong wrong wrong"}
        )
    locked = service.client.post(
        "/api/v1/auth/sign-in", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
    )
    assert locked.status_code == 401
    with service.factory.begin() as db:
        user = db.scalars(select(User).where(User.email == OWNER_EMAIL)).one()
        user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    assert (
        service.client.post(
            "/api/v1/auth/sign-in", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
        ).status_code
        == 200
    )


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(service: Service) -> None:
    first = service.sign_in()
    second = service.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    reuse = service.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and "already used" in reuse.json()["error"]["message"]
    # the whole family is gone: the newest refresh token and the access token stop working too
    assert (
        service.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
        ).status_code
        == 401
    )
    me = service.client.get("/api/v1/me", headers={"Authorization": f"Bearer {rotated['access_token']}"})
    assert me.status_code == 401
    assert ("auth.refresh_reused", "denied") in audit_actions(service, None)


def test_sign_out_revokes_the_session_at_once(service: Service) -> None:
    tokens = service.sign_in()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert service.client.post("/api/v1/auth/sign-out", headers=headers).status_code == 204
    assert service.client.get("/api/v1/me", headers=headers).status_code == 401
    assert (
        service.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 401
    )


def test_two_factor_enrolment_then_sign_in_needs_a_code_and_a_backup_code_works_once(
    service: Service,
) -> None:
    headers = service.headers()
    enrolment = service.client.post("/api/v1/me/2fa/enrolment", headers=headers).json()
    secret = enrolment["secret"]
    assert enrolment["provisioning_uri"].startswith("otpauth://totp/CloudWarden:")
    wrong = service.client.post("/api/v1/me/2fa/confirm", headers=headers, json={"code": "000000"})
    assert wrong.status_code == 400
    confirmed = service.client.post(
        "/api/v1/me/2fa/confirm", headers=headers, json={"code": code_for(secret)}
    )
    assert confirmed.status_code == 200, confirmed.text
    backup_codes = confirmed.json()["backup_codes"]
    assert len(backup_codes) == 10
    with service.factory.begin() as db:  # the secret is stored sealed, never as given
        stored = db.scalars(select(User.totp_secret).where(User.email == OWNER_EMAIL)).one()
        assert stored is not None and secret not in stored and stored.startswith("cw1.")

    without = service.client.post(
        "/api/v1/auth/sign-in", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
    )
    assert without.status_code == 401 and without.json()["error"]["code"] == "two_factor_code_required"
    assert service.sign_in(code=code_for(secret, 1))["access_token"]
    assert service.sign_in(code=backup_codes[0].upper())["access_token"]  # as typed from paper
    again = service.client.post(
        "/api/v1/auth/sign-in",
        json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "code": backup_codes[0]},
    )
    assert again.status_code == 401
    assert (
        service.client.get("/api/v1/me", headers=service.headers(code=backup_codes[1])).json()[
            "backup_codes_left"
        ]
        == 8
    )


def test_a_workspace_requiring_2fa_refuses_members_without_it(service: Service) -> None:
    owner = service.headers()
    refused = service.client.patch(WS, headers=owner, json={"require_2fa": True})
    assert refused.status_code == 400  # the owner must have 2FA first
    secret = service.client.post("/api/v1/me/2fa/enrolment", headers=owner).json()["secret"]
    service.client.post("/api/v1/me/2fa/confirm", headers=owner, json={"code": code_for(secret)})
    member = join(service, invite(service, owner, "vic@example.com", "viewer"), "vic@example.com")
    assert service.client.patch(WS, headers=owner, json={"require_2fa": True}).status_code == 200
    blocked = service.client.get(f"{WS}/members", headers=member)
    assert blocked.status_code == 403 and blocked.json()["error"]["code"] == "two_factor_required"


def test_invitations_are_single_use_and_expire(service: Service) -> None:
    owner = service.headers()
    token = invite(service, owner, "ana@example.com", "responder")
    join(service, token, "ana@example.com", "responder")
    reused = service.client.post(
        "/api/v1/invitations/accept",
        json={"token": token, "password": MEMBER_PASSWORD, "display_name": "Ana"},
    )
    assert reused.status_code == 400 and "already used" in reused.json()["error"]["message"]
    late = invite(service, owner, "bo@example.com", "viewer")
    with service.factory.begin() as db:
        for invitation in db.scalars(select(Invitation).where(Invitation.email == "bo@example.com")):
            invitation.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    expired = service.client.post(
        "/api/v1/invitations/accept", json={"token": late, "password": MEMBER_PASSWORD, "display_name": "Bo"}
    )
    assert expired.status_code == 400 and "expired" in expired.json()["error"]["message"]
    forged = service.client.post(
        "/api/v1/invitations/accept",
        json={
            "token": "cw_inv_00000000-0000-4000-8000-000000000001." + "A" * 43,
            "password": MEMBER_PASSWORD,
            "display_name": "X",
        },
    )
    assert forged.status_code == 404


@pytest.mark.parametrize(
    ("role", "may_invite", "may_read_audit"),
    [("viewer", False, False), ("responder", False, False), ("admin", True, True)],
)
def test_roles_decide_what_a_member_may_do(
    service: Service, role: str, may_invite: bool, may_read_audit: bool
) -> None:
    owner = service.headers()
    email = f"{role}@example.com"
    member = join(service, invite(service, owner, email, role), email, role)
    assert service.client.get(f"{WS}/members", headers=member).status_code == 200
    invited = service.client.post(
        f"{WS}/invitations", headers=member, json={"email": "x@example.com", "role": "viewer"}
    )
    assert invited.status_code == (201 if may_invite else 403)
    owner_invite = service.client.post(
        f"{WS}/invitations", headers=member, json={"email": "y@example.com", "role": "owner"}
    )
    assert owner_invite.status_code == 403  # only an owner makes owners
    if not may_invite:
        assert invited.json()["error"]["code"] == "forbidden"
        assert ("access.denied", "denied") in audit_actions(service, DEFAULT_WORKSPACE_ID)


def test_the_last_owner_cannot_leave_or_be_demoted(service: Service) -> None:
    owner = service.headers()
    me = service.client.get("/api/v1/me", headers=owner).json()["id"]
    assert service.client.delete(f"{WS}/members/{me}", headers=owner).status_code == 400
    assert (
        service.client.patch(f"{WS}/members/{me}", headers=owner, json={"role": "admin"}).status_code == 400
    )


def test_a_role_narrowed_per_module_applies_to_that_module_only(service: Service) -> None:
    owner = service.headers()
    member = join(service, invite(service, owner, "nat@example.com", "admin"), "nat@example.com", "admin")
    users = {m["email"]: m["user_id"] for m in service.client.get(f"{WS}/members", headers=owner).json()}
    narrowed = service.client.patch(
        f"{WS}/members/{users['nat@example.com']}",
        headers=owner,
        json={"module_roles": {"incidents": "viewer"}},
    )
    assert narrowed.status_code == 200 and narrowed.json()["module_roles"] == {"incidents": "viewer"}
    # still an admin outside the incidents module
    assert (
        service.client.post(
            f"{WS}/invitations", headers=member, json={"email": "z@example.com", "role": "viewer"}
        ).status_code
        == 201
    )
    bad = service.client.patch(
        f"{WS}/members/{users['nat@example.com']}",
        headers=owner,
        json={"module_roles": {"billing": "viewer"}},
    )
    assert bad.status_code == 400


def test_api_tokens_are_shown_once_scoped_and_revocable(service: Service) -> None:
    owner = service.headers()
    created = service.client.post(
        f"{WS}/tokens", headers=owner, json={"name": "ci", "scopes": ["audit:read"], "expires_in_days": 7}
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("cw_pat_")
    listed = service.client.get(f"{WS}/tokens", headers=owner).json()
    assert [t["name"] for t in listed] == ["ci"] and "token" not in listed[0]
    bearer = {"Authorization": f"Bearer {token}"}
    assert service.client.get(f"{WS}/members", headers=bearer).status_code == 403  # people manage members
    assert service.client.post("/api/v1/me/2fa/enrolment", headers=bearer).status_code == 403
    assert service.client.get(WS, headers=bearer).status_code == 403
    assert service.client.delete(f"{WS}/tokens/{created.json()['id']}", headers=owner).status_code == 204
    revoked = service.client.get("/api/v1/me", headers=bearer)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]
    assert ("auth.token_refused", "denied") in audit_actions(service, None)


def test_another_workspace_answers_not_found(service: Service) -> None:
    owner = service.headers()
    other = service.client.post("/api/v1/workspaces", headers=owner, json={"name": "Acme", "slug": "acme"})
    assert other.status_code == 201
    outsider = join(service, invite(service, owner, "out@example.com", "viewer"), "out@example.com")
    foreign = f"/api/v1/workspaces/{other.json()['id']}"
    for path in (foreign, f"{foreign}/members", f"{foreign}/invitations", f"{foreign}/tokens"):
        response = service.client.get(path, headers=outsider)
        assert response.status_code == 404, path
    assert (
        service.client.get(
            f"/api/v1/workspaces/{'0' * 8}-0000-4000-8000-{'0' * 12}", headers=owner
        ).status_code
        == 404
    )


def test_forged_expired_and_alg_none_tokens_are_401_and_audited(service: Service) -> None:
    import base64
    import json as jsonlib

    import jwt

    good = service.sign_in()["access_token"]
    header, payload, signature = good.split(".")
    claims = jsonlib.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    def b64(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(jsonlib.dumps(data).encode()).rstrip(b"=").decode()

    key = service.identity.access.key.value
    forged = {
        "alg_none": f"{b64({'alg': 'none', 'typ': 'at+jwt'})}.{payload}.",
        "tampered": f"{header}.{b64({**claims, 'sub': 'someone-else'})}.{signature}",
        "other_key": jwt.encode(claims, "k" * 48, algorithm="HS256", headers={"typ": "at+jwt"}),
        "expired": jwt.encode(
            {**claims, "iat": claims["iat"] - 1000, "nbf": claims["iat"] - 1000, "exp": claims["iat"] - 900},
            key,
            algorithm="HS256",
            headers={"typ": "at+jwt"},
        ),
        "garbage": "not.a.token",
        "unknown_api_token": "cw_pat_" + "0" * 16 + "_" + "A" * 43,
    }
    for name, token in forged.items():
        answer = service.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, name
        assert (
            answer.json()["error"]["code"] == "invalid_token"
            and answer.headers["WWW-Authenticate"] == "Bearer"
        )
    assert audit_actions(service, None).count(("auth.token_refused", "denied")) == len(forged)


@pytest.mark.parametrize(
    "text", ["'; DROP TABLE users; --", "<script>alert(1)</script>", "x" * 400, "\x00nul", "Robert'); --"]
)
def test_sql_and_markup_in_text_fields_are_refused_or_stored_inert(service: Service, text: str) -> None:
    owner = service.auth_headers
    answers = [
        service.client.post(
            "/api/v1/workspaces", headers=owner, json={"name": text, "slug": "s" + str(len(text))}
        ),
        service.client.post("/api/v1/workspaces", headers=owner, json={"name": "n", "slug": text}),
        service.client.post(f"{WS}/invitations", headers=owner, json={"email": text, "role": "viewer"}),
        service.client.post("/api/v1/auth/sign-in", json={"email": text, "password": text}),
        service.client.post(f"{WS}/tokens", headers=owner, json={"name": text, "scopes": ["audit:read"]}),
    ]
    for answer in answers:
        assert answer.status_code < 500, answer.text
        assert answer.headers["content-type"] == "application/json"
        if answer.status_code < 300:  # stored: it comes back as the same string, as JSON
            assert text.replace("\x00", "") in str(answer.json()) or text in str(answer.json())
    with service.factory.begin() as db:  # the tables are all still there
        assert db.scalars(select(User)).first() is not None


def test_no_response_sets_a_cookie_the_api_takes_bearer_tokens_only(service: Service) -> None:
    signed_in = service.client.post(
        "/api/v1/auth/sign-in", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
    )
    me = service.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    )
    refused = service.client.get("/api/v1/me")
    for response in (signed_in, me, refused):
        assert "set-cookie" not in response.headers
    assert (
        service.client.get("/api/v1/me", headers={"Cookie": "session=x"}).status_code == 401
    )  # a cookie is no credential


def test_a_password_hashed_with_old_parameters_is_rehashed_at_sign_in(service: Service) -> None:
    from dataclasses import replace

    from cloudwarden.auth.passwords import Argon2Parameters

    def stored_hash() -> str:
        with service.factory.begin() as db:
            return db.scalars(select(User.password_hash).where(User.email == OWNER_EMAIL)).one()

    before = stored_hash()
    stronger = Argon2Parameters(time_cost=2, memory_cost_kib=16, parallelism=1)
    service.client.app.state.identity = replace(service.identity, passwords=stronger)  # type: ignore[attr-defined]
    service.sign_in()
    after = stored_hash()
    assert after != before and "m=16,t=2,p=1" in after and "m=8,t=1,p=1" in before
    service.sign_in()  # the new hash verifies, and is kept
    assert stored_hash() == after
