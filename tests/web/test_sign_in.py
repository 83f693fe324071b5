"""Signing in to the console: password, 2FA code, the session cookie, signing out."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp

from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from cloudwarden.web.session import COOKIE
from tests.api.conftest import OWNER_EMAIL, OWNER_PASSWORD, Service
from tests.web.conftest import csrf_of, sign_in


def test_a_page_without_a_session_sends_the_person_to_sign_in(web: Service) -> None:
    response = web.client.get(f"/w/{DEFAULT_WORKSPACE_ID}/incidents?state=open", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")
    page = web.client.get(response.headers["location"])
    assert "<h1" in page.text and "Sign in" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")


def test_sign_in_sets_a_secure_http_only_strict_cookie_and_lands_on_incidents(web: Service) -> None:
    response = web.client.post(
        "/sign-in", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for attribute in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    home = web.client.get("/", follow_redirects=False)
    assert home.headers["location"] == f"/w/{DEFAULT_WORKSPACE_ID}/incidents"


def test_a_wrong_password_is_refused_without_saying_which_part(web: Service) -> None:
    response = web.client.post("/sign-in", data={"email": OWNER_EMAIL, "password": "wrong"})
    assert response.status_code == 401
    assert "The email, password or code is wrong" in response.text
    assert COOKIE not in response.headers.get("set-cookie", "")


def test_the_next_page_is_only_ever_a_path_on_this_server(web: Service) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = web.client.post(
            "/sign-in",
            data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/", target
        web.client.cookies.clear()


def test_two_factor_sign_in_asks_for_the_code_and_refuses_a_wrong_one(web: Service) -> None:
    headers = web.headers()
    secret = web.client.post("/api/v1/me/2fa/enrolment", headers=headers).json()["secret"]
    totp = pyotp.TOTP(secret)
    confirmed = web.client.post("/api/v1/me/2fa/confirm", headers=headers, json={"code": totp.now()})
    assert confirmed.status_code == 200, confirmed.text

    first = web.client.post("/sign-in", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert first.status_code == 200 and "authenticator app" in first.text
    assert COOKIE not in first.headers.get("set-cookie", "")
    challenge = first.text.split('name="challenge" value="', 1)[1].split('"', 1)[0]

    wrong = web.client.post("/sign-in/code", data={"challenge": challenge, "code": "000000"})
    assert wrong.status_code == 401 and COOKIE not in wrong.headers.get("set-cookie", "")
    forged = web.client.post("/sign-in/code", data={"challenge": challenge[:-4] + "AAAA", "code": totp.now()})
    assert forged.status_code == 400 and "enter your password again" in forged.text

    right = web.client.post(
        "/sign-in/code",
        data={"challenge": challenge, "code": totp.at(datetime.now(UTC), counter_offset=1)},
        follow_redirects=False,
    )
    assert right.status_code == 303, right.text
    assert web.client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_needs_the_csrf_token_and_ends_the_session(web: Service) -> None:
    token = sign_in(web.client)
    refused = web.client.post("/sign-out", data={"csrf_token": "0" * 64})
    assert refused.status_code == 403
    assert web.client.get("/", follow_redirects=False).status_code in (200, 303)
    stolen_cookie = web.client.cookies.get(COOKIE)
    out = web.client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    # The old cookie no longer opens anything: the session was revoked, not only forgotten.
    web.client.cookies.set(COOKIE, stolen_cookie or "", domain="testserver")
    assert web.client.get("/", follow_redirects=False).headers["location"].startswith("/sign-in")


def test_a_form_from_another_origin_is_refused(web: Service) -> None:
    token = sign_in(web.client)
    response = web.client.post(
        "/sign-out", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert "did not come from this console page" in response.text
    assert csrf_of(web.client.get(f"/w/{DEFAULT_WORKSPACE_ID}/incidents").text) == token


def test_a_browser_post_from_another_site_is_refused_by_its_fetch_metadata(web: Service) -> None:
    token = sign_in(web.client)
    cross = web.client.post("/sign-out", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    same = web.client.post(
        "/sign-out",
        data={"csrf_token": token},
        headers={"Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert same.status_code == 303
