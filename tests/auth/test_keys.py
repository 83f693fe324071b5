"""Server keys: refused when empty, default or short outside development; never shown."""

from __future__ import annotations

import secrets

import pytest

from cloudwarden.auth.keys import MIN_KEY_BYTES, Environment, ServerKey, load_server_key
from cloudwarden.errors import ConfigurationError

VARIABLE = "CLOUDWARDEN_JWT_SECRET"


@pytest.mark.parametrize("environment", ["production", "test"])
@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (None, "is not set"),
        ("", "is not set"),
        ("   ", "is not set"),
        ("changethis", "is a well-known default"),
        ("CHANGEME", "is a well-known default"),
        ("changethis-changethis-changethis-changethis", "is a well-known default"),
        ("a" * (MIN_KEY_BYTES - 1), f"is shorter than {MIN_KEY_BYTES} bytes"),
    ],
)
def test_outside_development_a_weak_key_is_refused_naming_the_variable(
    environment: str, raw: str | None, problem: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_server_key(raw, variable=VARIABLE, environment=environment)  # type: ignore[arg-type]
    assert caught.value.message.startswith(f"{VARIABLE} {problem}")
    assert caught.value.hint is not None and "token_urlsafe" in caught.value.hint
    if raw and raw.strip():
        assert raw.strip() not in caught.value.message  # the rejected value is not echoed back


def test_a_random_key_is_accepted_everywhere() -> None:
    raw = secrets.token_urlsafe(48)
    environments: tuple[Environment, ...] = ("development", "test", "production")
    for environment in environments:
        key = load_server_key(raw, variable=VARIABLE, environment=environment)
        assert key.value == raw.encode() and not key.ephemeral


def test_in_development_an_unset_key_is_random_for_this_process() -> None:
    first = load_server_key(None, variable=VARIABLE, environment="development")
    second = load_server_key("", variable=VARIABLE, environment="development")
    assert first.ephemeral and len(first.value) == MIN_KEY_BYTES and first.value != second.value


def test_in_development_a_short_key_is_stretched_deterministically() -> None:
    first = load_server_key("changethis", variable=VARIABLE, environment="development")
    again = load_server_key("changethis", variable=VARIABLE, environment="development")
    assert first == again and len(first.value) == MIN_KEY_BYTES and not first.ephemeral


def test_a_key_is_never_shown() -> None:
    raw = secrets.token_urlsafe(48)
    key = load_server_key(raw, variable=VARIABLE, environment="production")
    assert raw not in repr(key) and raw not in str(key)


def test_a_short_key_cannot_be_built_directly() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        ServerKey(b"short")
