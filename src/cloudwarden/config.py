"""Settings, read from CLOUDWARDEN_* environment variables.

Nothing is read at import time: call get_settings() where a value is needed.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from cloudwarden.evidence.github_api import GitHubConfig

DEFAULT_DATA_DIR = Path.home() / ".cloudwarden"
# The principal CloudWarden itself runs as. Customers trust this principal in their role.
DEFAULT_PRINCIPAL = "arn:aws:iam::111111111111:root"
ENV_PREFIX = "CLOUDWARDEN_"
# GitHubConfig field -> the variable that sets it, so an error names what the user can change.
_GITHUB_VARIABLES = {
    "token_secret_arn": "CLOUDWARDEN_GITHUB_TOKEN_SECRET_ARN",
    "repositories": "CLOUDWARDEN_GITHUB_REPOSITORIES",
    "api_url": "CLOUDWARDEN_GITHUB_API_URL",
    "timeout_seconds": "CLOUDWARDEN_GITHUB_TIMEOUT_SECONDS",
}


class ConfigurationError(ValueError):
    """A setting is invalid; the message names the environment variable to fix."""


class Settings(BaseSettings):
    # Inputs stay out of error messages: a database URL may carry a password.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", hide_input_in_errors=True)

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to a SQLite file in data_dir"
    )
    # AWS
    principal_arn: str = Field(
        default=DEFAULT_PRINCIPAL, description="ARN of the principal customers trust in their role"
    )
    aws_endpoint_url: str | None = Field(
        default=None, description="Send every AWS call here (the simulated account); unset for real AWS"
    )
    default_region: str = "us-east-1"
    credential_ttl_seconds: int = Field(default=600, ge=60, le=600)
    role_session_name: str = "cloudwarden"
    aws_max_attempts: int = Field(default=5, ge=1, le=10)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    # Investigation
    lookback_minutes: int = Field(default=180, ge=15, le=24 * 60)
    # GitHub (opt-in): the commits a suspect deployment brought. Both of the first two, or neither.
    github_token_secret_arn: str | None = Field(
        default=None, description="Full ARN of the Secrets Manager secret holding the GitHub token"
    )
    github_repositories: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description='JSON: image repository -> "owner/repo"'
    )
    github_api_url: str = "https://api.github.com"
    github_timeout_seconds: float = 10.0

    @field_validator("database_url", "github_token_secret_arn")
    @classmethod
    def _no_blank_url(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        return value

    @field_validator("github_repositories", mode="before")
    @classmethod
    def _repositories_json(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        example = '{"storefront-api": "acme/storefront-api"}'
        try:
            parsed = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"CLOUDWARDEN_GITHUB_REPOSITORIES is not valid JSON ({exc.msg}); expected e.g. {example}"
            ) from None
        if not isinstance(parsed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
        ):
            raise ValueError(
                "CLOUDWARDEN_GITHUB_REPOSITORIES must be a JSON object mapping image repository to "
                f'"owner/repo", e.g. {example}'
            )
        return parsed

    @model_validator(mode="after")
    def _github_is_consistent(self) -> Settings:
        self.github_config()  # raises ConfigurationError (a ValueError) naming the variable
        return self

    def github_config(self) -> GitHubConfig | None:
        """GitHub evidence settings, or None when not configured (GitHub is opt-in)."""
        from cloudwarden.evidence.github_api import GitHubConfig

        if self.github_token_secret_arn is None:
            if self.github_repositories:
                raise ConfigurationError(
                    "CLOUDWARDEN_GITHUB_REPOSITORIES is set but CLOUDWARDEN_GITHUB_TOKEN_SECRET_ARN is not: "
                    "set both to show the commits of suspect deployments, or neither"
                )
            return None
        if not self.github_repositories:
            raise ConfigurationError(
                "CLOUDWARDEN_GITHUB_TOKEN_SECRET_ARN is set but CLOUDWARDEN_GITHUB_REPOSITORIES is empty: "
                'map image repositories to GitHub repositories, e.g. {"storefront-api": "acme/storefront-api"}'
            )
        try:
            return GitHubConfig(
                token_secret_arn=self.github_token_secret_arn,
                repositories=self.github_repositories,
                api_url=self.github_api_url,
                timeout_seconds=self.github_timeout_seconds,
            )
        except ValidationError as exc:
            problems = "; ".join(
                f"{_GITHUB_VARIABLES.get(str(e['loc'][0]) if e['loc'] else '', 'CLOUDWARDEN_GITHUB_*')}: "
                f"{e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            )
            raise ConfigurationError(problems) from None

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'cloudwarden.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
