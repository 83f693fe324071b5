"""GitHub evidence settings (opt-in): where the token is and how images map to repositories.

At the bottom of the layers, beside config.py, which builds one from CLOUDWARDEN_GITHUB_*;
evidence/github*.py use it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_API_URL = "https://api.github.com"
# A full Secrets Manager secret ARN: the customer's policy can grant exactly it and nothing else.
SECRET_ARN_PATTERN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$"  # noqa: S105 - a pattern

_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SECRET_ARN = re.compile(SECRET_ARN_PATTERN)
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class GitHubConfig(BaseModel):
    """Where the token is and which GitHub repository each image repository is built from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token_secret_arn: str
    repositories: dict[str, str]  # image repository ("storefront-api") -> "owner/repo"
    api_url: str = DEFAULT_API_URL  # GitHub Enterprise: https://ghe.example.com/api/v3
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    @field_validator("token_secret_arn")
    @classmethod
    def _full_secret_arn(cls, value: str) -> str:
        # A full ARN lets the customer's policy grant exactly this secret and nothing else.
        if not _SECRET_ARN.match(value):
            raise ValueError("must be the full ARN of a Secrets Manager secret")
        return value

    @field_validator("repositories")
    @classmethod
    def _owner_slash_repo(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(repo for repo in value.values() if not _REPOSITORY.match(repo))
        if bad:
            raise ValueError(f"GitHub repositories must be owner/name: {bad}")
        return value

    @field_validator("api_url")
    @classmethod
    def _https_unless_loopback(cls, value: str) -> str:
        # The token travels in a header: plain HTTP only to this machine (tests, local proxies).
        parts = urlsplit(value)
        if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS):
            return value.rstrip("/")
        raise ValueError("must be an https:// URL (http:// only on the loopback interface)")

    @property
    def secret_region(self) -> str:
        """Region to build the Secrets Manager client in: the secret's, not the session's."""
        return self.token_secret_arn.split(":")[3]

    def repository_for(self, image_repository: str) -> str | None:
        """The full repository path first, then its last segment ("team/api" then "api")."""
        return self.repositories.get(image_repository) or self.repositories.get(
            image_repository.rsplit("/", 1)[-1]
        )
