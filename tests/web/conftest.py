"""Console fixtures: the service over HTTPS (the session cookie is Secure) and signing in by form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import (  # noqa: F401  (fixtures the console tests use)
    OWNER_EMAIL,
    OWNER_PASSWORD,
    Service,
    migrated_sqlite,
    sqlite_url,
    start_service,
)

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@pytest.fixture
def web(sqlite_url: str, tmp_path: Path) -> Iterator[Service]:  # noqa: F811
    """The service on SQLite, reached over HTTPS, nobody signed in."""
    yield from start_service(sqlite_url, tmp_path, base_url="https://testserver")


def sign_in(client: TestClient, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD) -> str:
    """Sign in through the form (no 2FA); the CSRF token of the session."""
    response = client.post("/sign-in", data={"email": email, "password": password}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)
