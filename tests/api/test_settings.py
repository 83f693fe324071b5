"""The API's settings: where it listens, which origins may call it, how large a body may be."""

from __future__ import annotations

import pytest

from cloudwarden.config import ConfigurationError, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("API_HOST", "API_PORT", "CORS_ORIGINS", "MAX_BODY_BYTES"):
        monkeypatch.delenv(f"CLOUDWARDEN_{name}", raising=False)


def test_the_defaults_listen_on_loopback_allow_no_origin_and_bound_bodies_at_one_mib() -> None:
    settings = load_settings()
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)
    assert settings.cors_origins == []
    assert settings.max_body_bytes == 1024 * 1024


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        ("https://console.example.com", ["https://console.example.com"]),
        (
            "https://Console.Example.com/, http://localhost:5173",
            ["https://console.example.com", "http://localhost:5173"],
        ),
        (
            '["https://a.example.com", "https://b.example.com:8443"]',
            ["https://a.example.com", "https://b.example.com:8443"],
        ),
        ("https://a.example.com,https://a.example.com", ["https://a.example.com"]),
        ("", []),
    ],
)
def test_cors_origins_are_a_json_list_or_comma_separated(
    monkeypatch: pytest.MonkeyPatch, value: str, origins: list[str]
) -> None:
    monkeypatch.setenv("CLOUDWARDEN_CORS_ORIGINS", value)
    assert load_settings().cors_origins == origins


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("CLOUDWARDEN_CORS_ORIGINS", "*", "'*' is not allowed"),
        ("CLOUDWARDEN_CORS_ORIGINS", "https://console.example.com/app", "is not an origin"),
        ("CLOUDWARDEN_CORS_ORIGINS", "console.example.com", "is not an origin"),
        ("CLOUDWARDEN_CORS_ORIGINS", '["https://a.example.com"', "not a valid JSON list"),
        ("CLOUDWARDEN_CORS_ORIGINS", '{"origin": "https://a.example.com"}', "is not an origin"),
        ("CLOUDWARDEN_CORS_ORIGINS", "https://admin:hunter2@console.example.com", "no user name or password"),
        ("CLOUDWARDEN_API_HOST", "not a host", "is not an IP address or host name"),
        ("CLOUDWARDEN_API_HOST", "-bad-.example.com", "is not an IP address or host name"),
        ("CLOUDWARDEN_API_PORT", "0", "greater than or equal to 1"),
        ("CLOUDWARDEN_API_PORT", "65536", "less than or equal to 65535"),
        ("CLOUDWARDEN_API_PORT", "http", "valid integer"),
        ("CLOUDWARDEN_MAX_BODY_BYTES", "10", "greater than or equal to 1024"),
        ("CLOUDWARDEN_MAX_BODY_BYTES", str(1024**3), "less than or equal to 67108864"),
    ],
)
def test_a_bad_api_setting_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    message = raised.value.message
    assert message.startswith(f"{variable}: ") and says in message, message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("value", "host"), [("0.0.0.0", "0.0.0.0"), ("[::1]", "::1"), ("api.internal", "api.internal")]
)
def test_the_host_may_be_an_address_or_a_name(monkeypatch: pytest.MonkeyPatch, value: str, host: str) -> None:
    monkeypatch.setenv("CLOUDWARDEN_API_HOST", value)
    assert load_settings().api_host == host
