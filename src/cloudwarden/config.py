"""Settings, read from CLOUDWARDEN_* environment variables.

Nothing is read at import time: call get_settings() where a value is needed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path.home() / ".cloudwarden"
# The principal CloudWarden itself runs as. Customers trust this principal in their role.
DEFAULT_PRINCIPAL = "arn:aws:iam::111111111111:root"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLOUDWARDEN_", extra="forbid")

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

    @field_validator("database_url")
    @classmethod
    def _no_blank_url(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'cloudwarden.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
