"""Every error is `{"error": {"code", "message", ...}}` with a documented code; nothing internal leaks."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from cloudwarden import errors
from cloudwarden.api.errors import ERROR_CODES, status_for
from cloudwarden.auth import errors as auth_errors
from cloudwarden.auth import passwords
from cloudwarden.crypto import errors as crypto_errors
from tests.api.conftest import RAISES, SECRET


def error_of(response: Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code and isinstance(error["message"], str) and error["message"], error
    assert ERROR_CODES[code][0] in (status, 0), f"{code} is documented as {ERROR_CODES[code][0]}"
    return error  # type: ignore[no-any-return]


def test_malformed_json_is_a_400_that_says_where(client: TestClient, calls: list[str]) -> None:
    response = client.post(
        "/api/v1/probe/things", content=b'{"name": "a",', headers={"content-type": "application/json"}
    )
    error = error_of(response, 400, "malformed_json")
    assert "not valid JSON" in str(error["message"]) and "character" in str(error["message"])
    assert calls == []


def test_an_unknown_field_is_a_422_naming_it_without_echoing_values(
    client: TestClient, calls: list[str]
) -> None:
    response = client.post("/api/v1/probe/things", json={"name": "a", "colour": SECRET, "size": "big"})
    error = error_of(response, 422, "validation")
    assert {(f["location"], f["type"]) for f in error["fields"]} == {  # type: ignore[attr-defined]
        ("body.colour", "extra_forbidden"),
        ("body.size", "int_parsing"),
    }
    assert "body.colour" in str(error["message"])
    assert SECRET not in response.text and "big" not in response.text
    assert calls == []


def test_a_missing_field_is_a_422(client: TestClient) -> None:
    error = error_of(client.post("/api/v1/probe/things", json={}), 422, "validation")
    assert error["fields"] == [{"location": "body.name", "message": "Field required", "type": "missing"}]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_declared_json_is_a_415(
    client: TestClient, calls: list[str], content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/api/v1/probe/things", content=b'{"name": "a"}', headers=headers)
    error = error_of(response, 415, "unsupported_media_type")
    assert "application/json" in str(error["message"])
    assert calls == []


def test_json_with_a_charset_is_json(client: TestClient, calls: list[str]) -> None:
    response = client.post(
        "/api/v1/probe/things",
        content=b'{"name": "a"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200 and response.json() == {"name": "a", "size": 1}
    assert calls == ["a"]


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v2/probe/things", "/api/v1/docs"])
def test_an_unknown_route_is_a_404(client: TestClient, path: str) -> None:
    error = error_of(client.get(path), 404, "not_found")
    assert error["message"] == f"nothing at GET {path}"


@pytest.mark.parametrize("path", ["/nope", "/docs"])
def test_an_unknown_page_outside_the_api_is_the_consoles_404_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert f"Nothing at GET {path}" in response.text and "<code>not_found</code>" in response.text


def test_a_wrong_method_is_a_405_with_allow(client: TestClient) -> None:
    response = client.delete("/healthz")
    error_of(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


def test_a_bug_is_a_500_that_says_nothing_about_it_and_is_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="cloudwarden.api"):
        response = client.get("/api/v1/probe/raise/bug")
    error = error_of(response, 500, "internal")
    assert SECRET not in response.text and "RuntimeError" not in response.text
    assert "Traceback" not in response.text and "log" in str(error["message"])
    logged = [r for r in caplog.records if r.name == "cloudwarden.api" and r.exc_info]
    assert logged and SECRET in str(logged[0].exc_info[1])  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("usage", 400, "usage"),
        ("not_found", 404, "not_found"),
        ("not_connected", 409, "not_connected"),
        ("nothing_to_investigate", 409, "nothing_to_investigate"),
        ("unreachable", 503, "unreachable"),
        ("integrity", 500, "integrity"),
        ("invalid_token", 401, "invalid_token"),
    ],
)
def test_a_cloudwarden_error_keeps_its_code_message_and_hint(
    client: TestClient, name: str, status: int, code: str
) -> None:
    raised = RAISES[name]
    assert isinstance(raised, errors.CloudWardenError)
    response = client.get(f"/api/v1/probe/raise/{name}")
    error = error_of(response, status, code)
    assert error["message"] == raised.message
    assert error.get("hint") == raised.hint and error.get("details") == (raised.details or None)
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_configuration_error_is_the_servers_500_and_does_not_name_the_setting(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="cloudwarden.api"):
        response = client.get("/api/v1/probe/raise/configuration")
    error = error_of(response, 500, "configuration")
    assert "misconfigured" in str(error["message"])
    assert SECRET not in response.text and "CLOUDWARDEN_SECRET_THING" not in response.text
    assert any("CLOUDWARDEN_SECRET_THING" in r.getMessage() for r in caplog.records)


def _subclasses(cls: type[errors.CloudWardenError]) -> list[type[errors.CloudWardenError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_error_code_is_documented_with_the_status_it_gets() -> None:
    # Import the packages that define errors, so that their classes are counted.
    assert auth_errors and crypto_errors and passwords
    for cls in [errors.CloudWardenError, *_subclasses(errors.CloudWardenError)]:
        if not cls.__module__.startswith("cloudwarden."):
            continue
        expected = status_for(cls.__new__(cls))
        assert cls.code in ERROR_CODES, f"{cls.__module__}.{cls.__name__}: add {cls.code!r} to ERROR_CODES"
        assert ERROR_CODES[cls.code][0] == expected, f"{cls.__name__} ({cls.code}) is served as {expected}"
