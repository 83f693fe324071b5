"""Settings from CLOUDWARDEN_* variables: GitHub evidence is opt-in, and a bad value names its variable."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cloudwarden.config import ConfigurationError, Settings

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cloudwarden/github-token-AbCdEf"
REPOSITORIES = '{"storefront-api": "acme-retail/storefront-api"}'


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TOKEN_SECRET_ARN", "REPOSITORIES", "API_URL", "TIMEOUT_SECONDS"):
        monkeypatch.delenv(f"CLOUDWARDEN_GITHUB_{name}", raising=False)


def test_github_is_off_unless_configured() -> None:
    assert Settings().github_config() is None


def test_github_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDWARDEN_GITHUB_TOKEN_SECRET_ARN", SECRET_ARN)
    monkeypatch.setenv("CLOUDWARDEN_GITHUB_REPOSITORIES", REPOSITORIES)
    monkeypatch.setenv("CLOUDWARDEN_GITHUB_API_URL", "https://ghe.example.com/api/v3/")
    monkeypatch.setenv("CLOUDWARDEN_GITHUB_TIMEOUT_SECONDS", "4.5")
    config = Settings().github_config()
    assert config is not None
    assert config.token_secret_arn == SECRET_ARN and config.secret_region == "eu-west-1"
    assert config.repositories == {"storefront-api": "acme-retail/storefront-api"}
    assert (config.api_url, config.timeout_seconds) == ("https://ghe.example.com/api/v3", 4.5)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"REPOSITORIES": "{storefront-api: x}"}, "CLOUDWARDEN_GITHUB_REPOSITORIES is not valid JSON"),
        ({"REPOSITORIES": '["storefront-api"]'}, "CLOUDWARDEN_GITHUB_REPOSITORIES must be a JSON object"),
        (
            {"REPOSITORIES": '{"api": "no-slash"}'},
            "CLOUDWARDEN_GITHUB_REPOSITORIES: GitHub repositories must",
        ),
        (
            {"TOKEN_SECRET_ARN": "cloudwarden/github-token"},
            "CLOUDWARDEN_GITHUB_TOKEN_SECRET_ARN: must be the full",
        ),
        ({"API_URL": "http://ghe.example.com"}, "CLOUDWARDEN_GITHUB_API_URL: must be an https:// URL"),
        ({"TIMEOUT_SECONDS": "0"}, "CLOUDWARDEN_GITHUB_TIMEOUT_SECONDS: Input should be greater than 0"),
        ({"TOKEN_SECRET_ARN": None}, "CLOUDWARDEN_GITHUB_TOKEN_SECRET_ARN is not"),
        ({"REPOSITORIES": None}, "CLOUDWARDEN_GITHUB_REPOSITORIES is empty"),
    ],
)
def test_an_invalid_github_setting_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str | None], message: str
) -> None:
    values = {"TOKEN_SECRET_ARN": SECRET_ARN, "REPOSITORIES": REPOSITORIES, **variables}
    for name, value in values.items():
        if value is not None:
            monkeypatch.setenv(f"CLOUDWARDEN_GITHUB_{name}", value)
    with pytest.raises(ValidationError, match=message) as raised:
        Settings()
    assert SECRET_ARN not in str(raised.value)  # inputs are not echoed


def test_settings_copied_without_validation_still_check_github() -> None:
    copied = Settings().model_copy(update={"github_token_secret_arn": SECRET_ARN})
    with pytest.raises(ConfigurationError, match="CLOUDWARDEN_GITHUB_REPOSITORIES is empty"):
        copied.github_config()
