"""Browser and transport protections: headers on every response, CORS only for configured origins,
request bodies bounded (with and without Content-Length)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import app_for, settings_for

CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PROTECTIONS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
ORIGIN = "https://console.example.com"
JSON = {"content-type": "application/json"}

# (method, path, request keywords, expected status): a success, each kind of error, a preflight.
REQUESTS: list[tuple[str, str, dict[str, Any], int]] = [
    ("GET", "/healthz", {}, 200),
    ("GET", "/readyz", {}, 200),
    ("GET", "/api/v1/openapi.json", {}, 200),
    ("GET", "/api/v1/nope", {}, 404),
    ("POST", "/healthz", {}, 405),
    ("POST", "/api/v1/probe/things", {"content": b"{", "headers": JSON}, 400),
    ("POST", "/api/v1/probe/things", {"json": {"name": "a", "extra": 1}}, 422),
    ("POST", "/api/v1/probe/things", {"content": b"x" * 5000, "headers": JSON}, 413),
    ("GET", "/api/v1/probe/raise/bug", {}, 500),
    ("GET", "/api/v1/probe/raise/unreachable", {}, 503),
    (
        "OPTIONS",
        "/api/v1/probe/things",
        {"headers": {"origin": "https://evil.example.com", "access-control-request-method": "POST"}},
        400,
    ),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), REQUESTS, ids=lambda v: str(v)[:40])
def test_every_response_carries_the_protections(
    client: TestClient, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    response = client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    for name, value in PROTECTIONS.items():
        assert response.headers.get(name) == value, f"{name} on {method} {path} ({status})"
    assert response.headers["cache-control"] == "no-store"
    assert "server" not in response.headers


def test_console_pages_carry_the_same_protections_with_a_policy_for_their_own_files(
    client: TestClient,
) -> None:
    # /sign-in is a 400 here: plain HTTP to a host that is not loopback cannot keep the Secure cookie.
    for path, status in (("/sign-in", 400), ("/nope", 404), ("/static/console.css", 200)):
        response = client.get(path)
        assert response.status_code == status, path
        for name, value in PROTECTIONS.items():
            expected = {"content-security-policy": CONSOLE_CSP, "referrer-policy": "same-origin"}.get(
                name, value
            )
            assert response.headers.get(name) == expected, f"{name} on {path}"
    assert "'unsafe-inline'" not in CONSOLE_CSP and "'unsafe-eval'" not in CONSOLE_CSP
    assert "script-src 'self';" in CONSOLE_CSP and "style-src 'self';" in CONSOLE_CSP


def test_a_route_may_set_its_own_caching_but_not_weaken_the_rest(client: TestClient) -> None:
    response = client.get("/api/v1/probe/cached")
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["content-security-policy"] == CSP


# Body limit: 4096 bytes in the `client` fixture.


def test_a_declared_content_length_over_the_limit_is_refused_unread(
    client: TestClient, calls: list[str]
) -> None:
    body = b'{"name": "' + b"a" * 5000 + b'"}'
    response = client.post("/api/v1/probe/things", content=body, headers=JSON)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "body_too_large" and "4,096 bytes" in error["message"]
    assert response.headers["connection"] == "close"
    assert calls == []


def test_a_streamed_body_without_content_length_is_counted_and_refused(
    client: TestClient, calls: list[str]
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(10):
            yield b"a" * 1000
        yield b'"}'

    response = client.post("/api/v1/probe/things", content=chunks(), headers=JSON)
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert calls == []


def test_a_streamed_body_within_the_limit_is_served(client: TestClient, calls: list[str]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        yield b"a" * 3000
        yield b'"}'

    response = client.post("/api/v1/probe/things", content=chunks(), headers=JSON)
    assert response.status_code == 200, response.text
    assert calls == ["a" * 3000]


def test_a_body_of_exactly_the_limit_is_served(client: TestClient, calls: list[str]) -> None:
    prefix, suffix = b'{"name": "', b'"}'
    body = prefix + b"a" * (4096 - len(prefix) - len(suffix)) + suffix
    assert len(body) == 4096
    assert client.post("/api/v1/probe/things", content=body, headers=JSON).status_code == 200
    too_long = body[:-2] + b'a"}'
    assert client.post("/api/v1/probe/things", content=too_long, headers=JSON).status_code == 413


# CORS: the `client` fixture allows https://console.example.com only.


def test_a_configured_origin_may_read_responses(client: TestClient) -> None:
    response = client.get("/healthz", headers={"origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-credentials" not in response.headers
    error = client.get("/api/v1/nope", headers={"origin": ORIGIN})  # errors are readable too
    assert error.headers["access-control-allow-origin"] == ORIGIN
    bug = client.get("/api/v1/probe/raise/bug", headers={"origin": ORIGIN})
    assert bug.status_code == 500 and bug.headers["access-control-allow-origin"] == ORIGIN


def test_a_configured_origin_passes_the_preflight(client: TestClient) -> None:
    response = client.options(
        "/api/v1/probe/things",
        headers={
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, authorization",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example.com", "http://console.example.com", "https://console.example.com.evil.io"],
)
def test_any_other_origin_is_refused(client: TestClient, origin: str) -> None:
    response = client.get("/healthz", headers={"origin": origin})
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/api/v1/probe/things", headers={"origin": origin, "access-control-request-method": "POST"}
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    error = preflight.json()["error"]
    assert error["code"] == "cors_rejected" and "origin" in error["message"]


def test_without_configured_origins_no_origin_is_allowed(sqlite_url: str, tmp_path: Path) -> None:
    app, factory = app_for(settings_for(sqlite_url, tmp_path))
    with TestClient(app) as client:
        response = client.get("/healthz", headers={"origin": ORIGIN})
        assert "access-control-allow-origin" not in response.headers
        preflight = client.options(
            "/api/v1/probe/things", headers={"origin": ORIGIN, "access-control-request-method": "POST"}
        )
        assert "access-control-allow-origin" not in preflight.headers
        assert preflight.status_code == 405 and preflight.json()["error"]["code"] == "method_not_allowed"
    factory.kw["bind"].dispose()
