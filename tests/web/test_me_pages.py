"""The security page: 2FA enrolment with a real authenticator (pyotp), turning it off, the password,
the WhatsApp phone number, and the rate limit on code forms."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloudwarden.api.ratelimit import RULES, RateLimiter
from cloudwarden.store.tenancy import AuditEntry, User
from cloudwarden.web.session import COOKIE
from tests.api.conftest import OWNER_EMAIL, OWNER_PASSWORD, Service
from tests.web.conftest import csrf_of, sign_in

PAGE = "/me/security"
SECRET = re.compile(r'<code class="secret-key">([A-Z2-7]+)</code>')
NEW_PASSWORD = "marble kettle horizon seventeen"


def enrol(client: TestClient, csrf: str) -> pyotp.TOTP:
    """Start an enrolment; the authenticator app, set up from the key the page shows."""
    started = client.post(f"{PAGE}/2fa/enrolment", data={"csrf_token": csrf}, follow_redirects=False)
    assert started.status_code == 303, started.text
    page = client.get(started.headers["location"]).text
    found = SECRET.search(page)
    assert found, "no key on the page"
    return pyotp.TOTP(found.group(1))


def audited(web: Service, action: str) -> list[AuditEntry]:
    with web.factory() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_page_needs_a_session(web: Service) -> None:
    response = web.client.get(PAGE, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in?next=%2Fme%2Fsecurity"


def test_two_factor_enrolment_on_the_page_then_signing_in_with_a_code(web: Service) -> None:
    client = web.client
    other_session = web.sign_in()  # another device, signed in through the API
    csrf = sign_in(client)
    before = client.get(PAGE).text
    assert "<h1>Your sign-in security</h1>" in before and "Set up two-factor authentication" in before
    assert '<span class="badge warn">off</span>' in before

    app = enrol(client, csrf)
    page = client.get(PAGE).text
    svg = re.search(r"<svg [^>]*>", page).group(0)
    assert 'class="qr"' in svg and 'role="img"' in svg and "style" not in page.split("<main", 1)[1]
    assert "QR code for your authenticator app" in page
    assert app.secret in page, "a reload shows the same enrolment, not a new key"

    wrong = client.post(f"{PAGE}/2fa/confirm", data={"csrf_token": csrf, "code": "000000"})
    assert wrong.status_code == 400 and "The code is wrong or has expired" in wrong.text
    assert app.secret in wrong.text, "the same key stays on the page to try again"

    confirmed = client.post(f"{PAGE}/2fa/confirm", data={"csrf_token": csrf, "code": app.now()})
    assert confirmed.status_code == 200, confirmed.text
    assert "Your other sessions were ended; this one stays signed in." in confirmed.text
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]+)</code></li>", confirmed.text)
    assert len(codes) >= 8 and len(set(codes)) == len(codes)
    assert [e.action for e in audited(web, "2fa.enable")] == ["2fa.enable"]

    status = client.get(PAGE)
    assert status.status_code == 200, "this session stays"
    assert '<span class="badge ok">on</span>' in status.text
    assert f"Backup codes left: <strong>{len(codes)}</strong>" in status.text
    assert not any(code in status.text for code in codes), "the backup codes are shown once"
    ended = client.post("/api/v1/auth/refresh", json={"refresh_token": other_session["refresh_token"]})
    assert ended.status_code == 401, "the other device's session ended"

    client.post("/sign-out", data={"csrf_token": csrf_of(status.text)})
    first = client.post("/sign-in", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "next": PAGE})
    assert first.status_code == 200 and "authenticator app" in first.text
    challenge = re.search(r'name="challenge" value="([^"]+)"', first.text).group(1)
    signed_in = client.post(
        "/sign-in/code",
        data={"challenge": challenge, "code": app.at(datetime.now(UTC), counter_offset=1), "next": PAGE},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == PAGE
    assert '<span class="badge ok">on</span>' in client.get(PAGE).text

    # A backup code signs in once, and the page counts it.
    client.post("/sign-out", data={"csrf_token": csrf_of(client.get(PAGE).text)})
    first = client.post("/sign-in", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    challenge = re.search(r'name="challenge" value="([^"]+)"', first.text).group(1)
    backup = client.post(
        "/sign-in/code", data={"challenge": challenge, "code": codes[0]}, follow_redirects=False
    )
    assert backup.status_code == 303
    assert f"Backup codes left: <strong>{len(codes) - 1}</strong>" in client.get(PAGE).text


def test_turning_two_factor_off_needs_the_password_and_a_code(web: Service) -> None:
    client = web.client
    csrf = sign_in(client)
    app = enrol(client, csrf)
    client.post(f"{PAGE}/2fa/confirm", data={"csrf_token": csrf, "code": app.now()})
    page = client.get(PAGE).text
    assert (
        "Turn off two-factor authentication" in page
        and 'data-confirm="Turn two-factor authentication off?' in page
    )

    refused = client.post(
        f"{PAGE}/2fa/disable", data={"csrf_token": csrf, "password": "wrong password", "code": app.now()}
    )
    assert refused.status_code == 400 and "The password or the code is wrong" in refused.text
    off = client.post(
        f"{PAGE}/2fa/disable",
        data={
            "csrf_token": csrf,
            "password": OWNER_PASSWORD,
            "code": app.at(datetime.now(UTC), counter_offset=1),
        },
        follow_redirects=False,
    )
    assert off.headers["location"] == f"{PAGE}?done=2fa-off"
    after = client.get(off.headers["location"]).text
    assert "Two-factor authentication is off." in after and "Set up two-factor authentication" in after
    assert [e.action for e in audited(web, "2fa.disable")] == ["2fa.disable"]


def test_the_code_forms_are_rate_limited_like_the_api(web: Service) -> None:
    web.client.app.state.rate_limiter = RateLimiter(  # type: ignore[attr-defined]
        "memory://", rules={**dict.fromkeys(RULES, "10000/minute"), "two_factor": "3/minute"}
    )
    client = web.client
    csrf = sign_in(client)
    enrol(client, csrf)  # one attempt
    for _ in range(2):
        assert (
            client.post(f"{PAGE}/2fa/confirm", data={"csrf_token": csrf, "code": "000000"}).status_code == 400
        )
    limited = client.post(f"{PAGE}/2fa/confirm", data={"csrf_token": csrf, "code": "000000"})
    assert limited.status_code == 429 and "Too many two-factor codes" in limited.text
    assert "retry-after" in limited.headers


def test_the_forms_need_the_csrf_token(web: Service) -> None:
    client = web.client
    sign_in(client)
    for path, data in (
        (f"{PAGE}/2fa/enrolment", {}),
        (f"{PAGE}/phone", {"phone": "+447700900123"}),
        (
            f"{PAGE}/password",
            {
                "current_password": OWNER_PASSWORD,
                "new_password": NEW_PASSWORD,
                "new_password_confirm": NEW_PASSWORD,
            },
        ),
    ):
        assert client.post(path, data={"csrf_token": "0" * 64, **data}).status_code == 403, path
    assert "Set up two-factor authentication" in client.get(PAGE).text


def test_changing_the_password_ends_every_session(web: Service) -> None:
    client = web.client
    csrf = sign_in(client)
    fields = {"csrf_token": csrf, "current_password": OWNER_PASSWORD, "new_password": NEW_PASSWORD}
    differ = client.post(
        f"{PAGE}/password", data={**fields, "new_password_confirm": "something else entirely"}
    )
    assert differ.status_code == 400 and "The two new passwords differ" in differ.text
    wrong = client.post(
        f"{PAGE}/password",
        data={**fields, "current_password": "not my password", "new_password_confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and "The current password is wrong" in wrong.text
    weak = client.post(
        f"{PAGE}/password",
        data={**fields, "new_password": "password123", "new_password_confirm": "password123"},
    )
    assert weak.status_code == 400 and "The password is" in weak.text

    old_cookie = client.cookies.get(COOKIE)
    changed = client.post(
        f"{PAGE}/password", data={**fields, "new_password_confirm": NEW_PASSWORD}, follow_redirects=False
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/me/password-changed"
    assert COOKIE in changed.headers["set-cookie"] and "max-age=0" in changed.headers["set-cookie"].lower()
    notice = client.get("/me/password-changed").text
    assert "every session of yours was ended" in notice
    client.cookies.set(COOKIE, old_cookie or "", domain="testserver")
    assert client.get(PAGE, follow_redirects=False).headers["location"].startswith("/sign-in")

    client.cookies.clear()
    refused = client.post("/sign-in", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert refused.status_code == 401
    sign_in(client, OWNER_EMAIL, NEW_PASSWORD)
    assert [e.action for e in audited(web, "user.password_change")] == ["user.password_change"]


def test_the_phone_for_whatsapp_approvals_is_set_checked_and_cleared(web: Service) -> None:
    client = web.client
    csrf = sign_in(client)
    assert "No number set." in client.get(PAGE).text
    saved = client.post(
        f"{PAGE}/phone", data={"csrf_token": csrf, "phone": "+44 7700 900123"}, follow_redirects=False
    )
    assert saved.headers["location"] == f"{PAGE}?done=phone"
    page = client.get(saved.headers["location"]).text
    assert "Phone number saved." in page and "Now: <strong>+447700900123</strong>" in page
    with web.factory() as db:
        assert db.scalars(select(User.phone).where(User.email == OWNER_EMAIL)).one() == "447700900123"

    bad = client.post(f"{PAGE}/phone", data={"csrf_token": csrf, "phone": "call me"})
    assert bad.status_code == 400 and "E.164" in html.unescape(bad.text)
    assert "Now: <strong>+447700900123</strong>" in bad.text, "a refused number changes nothing"

    cleared = client.post(f"{PAGE}/phone", data={"csrf_token": csrf, "phone": ""}, follow_redirects=False)
    assert cleared.headers["location"] == f"{PAGE}?done=phone-cleared"
    assert "No number set." in client.get(cleared.headers["location"]).text
    assert [e.details for e in audited(web, "user.phone")] == [{"set": True}, {"set": False}]
