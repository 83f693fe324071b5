"""Sign-in, refresh, 2FA and invitations are rate-limited: 429 with Retry-After, in memory or in Redis."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient
from starlette.datastructures import Headers

from cloudwarden.api.app import mount_v1
from cloudwarden.api.errors import status_for
from cloudwarden.api.ratelimit import (
    MEMORY,
    RULES,
    RateLimited,
    RateLimiter,
    client_address,
    email_key,
    limiter_from_settings,
    rate_limit,
)
from cloudwarden.api.schemas import ApiInput
from cloudwarden.config import load_settings
from cloudwarden.errors import ConfigurationError, Unreachable
from tests.api.conftest import OWNER_EMAIL, Service, app_for, settings_for, start_service
from tests.conftest import REDIS_URL_ENV

ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.1"


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_URL_ENV)
    if not url:
        pytest.skip(f"Redis tests need {REDIS_URL_ENV} (e.g. redis://127.0.0.1:6379/0; CI sets it)")
    return url


@pytest.fixture
def prefix() -> str:
    """Keys of this test's own, so runs (and tests) on one Redis never share a count."""
    return f"cw-test-{uuid.uuid4().hex}"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- the product's own limits, through the real routers ---------------------------------------


@pytest.fixture
def strict(sqlite_url: str, tmp_path: Path) -> Iterator[Service]:
    """The service with the product's own limits (the other tests' are generous)."""
    for service in start_service(sqlite_url, tmp_path):
        service.client.app.state.rate_limiter = limiter_from_settings(settings_for(sqlite_url, tmp_path))  # type: ignore[attr-defined]
        yield service


def test_guessing_one_account_s_password_is_stopped_with_retry_after(strict: Service) -> None:
    answers = [
        strict.client.post(
            "/api/v1/auth/sign-in", json={"email": OWNER_EMAIL, "password": f"guess number {i:04d}"}
        )
        for i in range(11)
    ]
    assert [a.status_code for a in answers[:10]] == [401] * 10
    refused = answers[10]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # another account from the same address is not locked out by it
    other = strict.client.post(
        "/api/v1/auth/sign-in", json={"email": "else@example.com", "password": "x" * 12}
    )
    assert other.status_code == 401


def test_refresh_attempts_are_limited_per_address(strict: Service) -> None:
    statuses = [
        strict.client.post("/api/v1/auth/refresh", json={"refresh_token": f"not-a-token-{i}"}).status_code
        for i in range(61)
    ]
    assert statuses[:60] == [401] * 60 and statuses[60] == 429


# --- a probe route limited like sign-in, on a limiter each test chooses -------------------------


class Attempt(ApiInput):
    email: str


def probe_router() -> APIRouter:
    router = APIRouter(prefix="/rl-probe")

    @router.post("/sign-in", dependencies=[Depends(rate_limit("login", client_address))])
    def sign_in(body: Attempt, request: Request) -> dict[str, str]:
        request.app.state.rate_limiter.hit("login_email", email_key(body.email))
        return {"signed_in": body.email}

    return router


ClientFor = Callable[..., TestClient]


@pytest.fixture
def client_for(sqlite_url: str, tmp_path: Path) -> Iterator[ClientFor]:
    """`client_for(limiter, address=...)`: a client of one app (one server process) on `limiter`."""
    opened: list[tuple[TestClient, Callable[[], None]]] = []

    def make(limiter: RateLimiter, address: str = ADDRESS) -> TestClient:
        app, factory = app_for(settings_for(sqlite_url, tmp_path))
        app.state.rate_limiter = limiter
        mount_v1(app, probe_router())
        client = TestClient(app, raise_server_exceptions=False, client=(address, 50000))
        client.__enter__()
        opened.append((client, factory.kw["bind"].dispose))
        return client

    yield make
    for client, dispose in opened:
        client.__exit__(None, None, None)
        dispose()


def attempt(client: TestClient, email: str = "ann@example.com", **headers: str) -> httpx.Response:
    return client.post("/api/v1/rl-probe/sign-in", json={"email": email}, headers=headers)


def assert_rate_limited(response: httpx.Response) -> int:
    """The 429 a person sees; returns its Retry-After."""
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert "too many sign-in attempts" in error["message"]
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit() and int(retry_after) >= 1, retry_after
    assert error["details"] == {"retry_after": int(retry_after)}
    assert f"try again in {retry_after} second" in error["message"]
    return int(retry_after)


def test_the_attempt_past_the_limit_is_a_429_with_retry_after(client_for: ClientFor) -> None:
    client = client_for(RateLimiter(MEMORY, rules={"login": "3/minute", "login_email": "100/minute"}))
    assert [attempt(client, f"user{i}@example.com").status_code for i in range(3)] == [200] * 3
    assert 1 <= assert_rate_limited(attempt(client, "user9@example.com")) <= 60
    # refused attempts are not counted: the wait does not grow while someone keeps trying
    assert 1 <= assert_rate_limited(attempt(client, "user9@example.com")) <= 60


def test_another_address_is_not_affected_and_x_forwarded_for_is_not_trusted(client_for: ClientFor) -> None:
    limiter = RateLimiter(MEMORY, rules={"login": "2/minute", "login_email": "100/minute"})
    client = client_for(limiter)
    for _ in range(2):
        assert attempt(client).status_code == 200
    assert_rate_limited(attempt(client, **{"X-Forwarded-For": OTHER_ADDRESS}))
    assert attempt(client_for(limiter, address=OTHER_ADDRESS)).status_code == 200


def test_one_account_is_limited_whatever_the_case_or_spacing_of_its_email(client_for: ClientFor) -> None:
    client = client_for(RateLimiter(MEMORY, rules={"login": "100/minute", "login_email": "2/minute"}))
    assert attempt(client, "ann@example.com").status_code == 200
    assert attempt(client, "  Ann@Example.COM ").status_code == 200
    assert_rate_limited(attempt(client, "ANN@example.com"))
    assert attempt(client, "bob@example.com").status_code == 200  # another account has its own count


def test_the_window_opens_again_after_retry_after(client_for: ClientFor) -> None:
    client = client_for(RateLimiter(MEMORY, rules={"login": "2/second", "login_email": "100/minute"}))
    assert [attempt(client).status_code for _ in range(2)] == [200, 200]
    assert assert_rate_limited(attempt(client)) == 1
    time.sleep(1.05)
    assert attempt(client).status_code == 200


def test_the_service_limits_in_memory_unless_redis_is_set(tmp_path: Path) -> None:
    in_memory = limiter_from_settings(load_settings(data_dir=tmp_path))
    assert in_memory.scheme == "memory"
    for _ in range(10):
        in_memory.hit("login_email", email_key("ann@example.com"))
    with pytest.raises(RateLimited) as refused:
        in_memory.hit("login_email", email_key("ann@example.com"))
    assert status_for(refused.value) == 429 and refused.value.retry_after >= 1
    assert set(RULES) >= {"login", "login_email", "refresh", "two_factor", "invitation"}
    with pytest.raises(ValueError, match="no rate limit rule named 'logn'"):
        in_memory.hit("logn", ADDRESS)


def test_the_redis_url_setting_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CLOUDWARDEN_REDIS_URL"):
        load_settings(data_dir=tmp_path, redis_url="http://127.0.0.1:6379")
    limiter = limiter_from_settings(
        load_settings(data_dir=tmp_path, redis_url="redis://:pw@127.0.0.1:6379/0")
    )
    assert limiter.storage_uri.startswith("redis://") and limiter.scheme == "redis"
    assert "pw" not in repr(limiter)


def test_client_address_is_the_peer_or_unknown() -> None:
    def request(client: tuple[str, int] | None) -> Request:
        headers = Headers({"x-forwarded-for": OTHER_ADDRESS})
        return Request({"type": "http", "headers": headers.raw, "client": client})

    assert client_address(request((ADDRESS, 1234))) == ADDRESS
    assert client_address(request(None)) == "unknown"


def test_an_email_key_is_a_hash_not_the_address() -> None:
    key = email_key(" Ann@Example.com")
    assert key == hashlib.sha256(b"ann@example.com").hexdigest()
    assert "ann" not in key.lower() and "example" not in key


# --- Redis: the count every server process shares -----------------------------------------------


def test_limits_in_redis_are_shared_by_every_server_process(redis_url: str, prefix: str) -> None:
    first = RateLimiter(redis_url, rules={"login": "3/minute"}, prefix=prefix)
    second = RateLimiter(redis_url, rules={"login": "3/minute"}, prefix=prefix)
    try:
        first.hit("login", ADDRESS)
        second.hit("login", ADDRESS)
        first.hit("login", ADDRESS)
        with pytest.raises(RateLimited) as refused:
            second.hit("login", ADDRESS)
        assert refused.value.retry_after >= 1
        second.hit("login", OTHER_ADDRESS)  # another address has its own count
    finally:
        first.reset()


def test_two_servers_on_one_redis_refuse_the_attempt_past_the_limit(
    client_for: ClientFor, redis_url: str, prefix: str
) -> None:
    rules = {"login": "3/minute", "login_email": "100/minute"}
    one, two = (client_for(RateLimiter(redis_url, rules=rules, prefix=prefix)) for _ in range(2))
    try:
        assert [attempt(c).status_code for c in (one, two, one)] == [200, 200, 200]
        assert 1 <= assert_rate_limited(attempt(two)) <= 60
        assert_rate_limited(attempt(one))
        other = client_for(RateLimiter(redis_url, rules=rules, prefix=prefix), address=OTHER_ADDRESS)
        assert attempt(other).status_code == 200
    finally:
        RateLimiter(redis_url, rules=rules, prefix=prefix).reset()


def test_redis_holds_no_email_in_clear_and_only_under_its_prefix(
    client_for: ClientFor, redis_url: str, prefix: str
) -> None:
    limiter = RateLimiter(redis_url, rules={"login": "5/minute", "login_email": "5/minute"}, prefix=prefix)
    client = client_for(limiter)
    try:
        assert attempt(client, "secret.person@example.com").status_code == 200
        keys = [k.decode() for k in redis.Redis.from_url(redis_url).scan_iter(match=f"{prefix}:*")]
        assert keys and not any("secret.person" in k or "example.com" in k for k in keys), keys
        assert any(email_key("secret.person@example.com") in k for k in keys), keys
    finally:
        limiter.reset()
    assert not list(redis.Redis.from_url(redis_url).scan_iter(match=f"{prefix}:*"))


# --- a limiter that cannot count refuses (fails closed) -------------------------------------------


def test_an_unreachable_redis_refuses_rather_than_letting_attempts_through() -> None:
    limiter = RateLimiter(f"redis://127.0.0.1:{closed_port()}/0", rules={"login": "3/minute"})
    with pytest.raises(Unreachable):
        limiter.hit("login", ADDRESS)


@pytest.mark.parametrize(
    "url", ["redis://:hunter2-secret@127.0.0.1:{port}/0", "unix:///nonexistent/redis.sock"]
)
def test_an_unreachable_redis_is_a_503_that_names_no_secret(
    client_for: ClientFor, caplog: pytest.LogCaptureFixture, url: str
) -> None:
    client = client_for(RateLimiter(url.format(port=closed_port())))
    with caplog.at_level(logging.WARNING, logger="cloudwarden.api"):
        started = time.monotonic()
        response = attempt(client)
    assert time.monotonic() - started < 5
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "unreachable"
    assert "rate limits" in response.json()["error"]["message"]
    assert "rate limit storage" in caplog.text
    assert "hunter2" not in caplog.text and "hunter2" not in response.text
