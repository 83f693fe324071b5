"""Settings, read from CLOUDWARDEN_* environment variables.

Nothing is read at import time: call get_settings() where a value is needed.
"""

from __future__ import annotations

import ipaddress
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cloudwarden.aws import arns
from cloudwarden.errors import ConfigurationError, UsageError, shorten

if TYPE_CHECKING:
    from cloudwarden.github_settings import GitHubConfig

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


__all__ = ["ConfigurationError", "Settings", "get_settings"]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MIB = 1024 * 1024
# One DNS label (RFC 1123): letters, digits and inner hyphens, at most 63 characters.
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_ORIGINS_EXAMPLE = "https://console.example.com,http://localhost:5173"


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
        default=None,
        description="Send every AWS call here (e.g. a VPC interface endpoint); CloudWarden's own "
        "credentials still come from the default chain",
    )
    simulator_url: str | None = Field(
        default=None,
        description="The simulated AWS account (`cloudwarden sim up`): every AWS call goes there, "
        "with the simulator's fixed keys as CloudWarden's own principal",
    )
    default_region: str = "us-east-1"
    credential_ttl_seconds: int = Field(default=600, ge=60, le=600)
    role_session_name: str = "cloudwarden"
    aws_max_attempts: int = Field(default=5, ge=1, le=10)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"  # any case in the variable
    # Investigation
    lookback_minutes: int = Field(default=180, ge=15, le=24 * 60)
    # Retention
    audit_retention_days: int = Field(
        default=400, ge=90, le=3650, description="Days the audit log is kept (the other classes are fixed)"
    )
    purge_interval_hours: float = Field(
        default=6, gt=0, le=24, description="How often `cloudwarden serve` runs the retention purge"
    )
    posture_interval_hours: float = Field(
        default=24, ge=1, le=24 * 7, description="How often each connected account's posture is scanned"
    )
    # GitHub (opt-in): the commits a suspect deployment brought. Both of the first two, or neither.
    github_token_secret_arn: str | None = Field(
        default=None, description="Full ARN of the Secrets Manager secret holding the GitHub token"
    )
    github_repositories: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description='JSON: image repository -> "owner/repo"'
    )
    github_api_url: str = "https://api.github.com"
    github_timeout_seconds: float = 10.0
    # The API (`cloudwarden serve`)
    api_host: str = Field(default="127.0.0.1", description="Address `cloudwarden serve` listens on")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port `cloudwarden serve` listens on")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API cross-origin: a JSON list or comma-separated",
    )
    max_body_bytes: int = Field(
        default=MIB, ge=1024, le=64 * MIB, description="Largest request body the API accepts, in bytes"
    )
    database_app_role: str | None = Field(
        default="cloudwarden_app",
        description="PostgreSQL role the API's requests run as (SET ROLE), so row-level security "
        "applies; empty when the login role is itself a non-owner member of it",
    )
    redis_url: str | None = Field(
        default=None, description="Redis for rate limits shared by every server process; memory when unset"
    )
    # The durable work queue (cloudwarden worker / beat); unset: `serve` runs the tasks in-process
    broker_url: str | None = Field(
        default=None,
        description="Celery broker: redis://, rediss:// or amqp:// (RabbitMQ); unset: tasks run inside "
        "`cloudwarden serve`",
    )
    result_backend_url: str | None = Field(
        default=None, description="Celery result backend (redis://); defaults to the broker when it is Redis"
    )
    task_queue: str = Field(
        default="cloudwarden",
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="The broker queue tasks go to and workers consume (separate deployments sharing a broker)",
    )
    poll_interval_seconds: int = Field(
        default=60, ge=10, le=3600, description="How often the alarm poller reads every account's alarms"
    )
    template_url: str | None = Field(
        default=None,
        description=(
            "Where the operator published the onboarding template (`cloudwarden iam-template`) in S3, "
            "as https://<bucket>.s3.<region>.amazonaws.com/<key>: the console's quick-create link needs "
            "it (the AWS console opens templates from S3 only)"
        ),
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address people and AWS reach this service at (links in messages, intake URLs)",
    )
    # The service's own secrets (identity/config.py checks them; never logged: SecretStr)
    jwt_secret: SecretStr | None = Field(
        default=None, description="Key that signs access tokens (at least 32 bytes, random)"
    )
    backup_code_pepper: SecretStr | None = Field(
        default=None, description="Key that hashes 2FA backup codes (at least 32 bytes, random)"
    )
    key_provider: Literal["local", "kms"] = Field(
        default="local", description="What wraps the per-workspace data keys: a local key file or AWS KMS"
    )
    key_file: Path | None = Field(
        default=None,
        description="The local key file; defaults to data_dir/keys/local-keys.json (key_provider=local)",
    )
    kms_key_arn: str | None = Field(
        default=None, description="ARN of the KMS key that wraps data keys (key_provider=kms)"
    )

    @field_validator("database_url", "github_token_secret_arn", "aws_endpoint_url", "simulator_url")
    @classmethod
    def _no_blank_url(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        return value

    @field_validator("principal_arn")
    @classmethod
    def _principal(cls, value: str) -> str:
        try:
            return arns.parse_iam_arn(value, kinds=arns.PRINCIPAL_KINDS).value
        except UsageError as exc:  # pydantic reports a ValueError against the variable
            raise ValueError(exc.message) from None

    @field_validator("template_url")
    @classmethod
    def _template_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme != "https" or not (parts.hostname or "").endswith(".amazonaws.com"):
            raise ValueError("must be the https:// URL of the template in an S3 bucket (…amazonaws.com)")
        return value.strip()

    @field_validator("aws_endpoint_url", "simulator_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL, e.g. http://127.0.0.1:5055")
        try:
            parts.port  # noqa: B018  (raises for a port outside 0-65535)
        except ValueError:
            raise ValueError("has an invalid port") from None
        return value.strip().rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

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

    @field_validator("database_app_role")
    @classmethod
    def _app_role(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value.strip()):
            raise ValueError(
                "must be a PostgreSQL role name: lower-case letters, digits and _, e.g. cloudwarden_app"
            )
        return value.strip()

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if urlsplit(value.strip()).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL, e.g. redis://127.0.0.1:6379/0")
        return value.strip()

    @field_validator("broker_url", "result_backend_url")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if urlsplit(value.strip()).scheme not in ("redis", "rediss", "amqp", "amqps", "pyamqp"):
            raise ValueError("must be a redis://, rediss:// or amqp:// URL, e.g. redis://127.0.0.1:6379/1")
        return value.strip()

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL, e.g. https://cloudwarden.example.com")
        return value.strip().rstrip("/")

    @field_validator("api_host")
    @classmethod
    def _api_host(cls, value: str) -> str:
        return check_host(value)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise ValueError(
                        f"is not a valid JSON list ({exc.msg}); expected e.g. {_ORIGINS_EXAMPLE}"
                    ) from None
            else:
                value = [part for part in text.split(",") if part.strip()]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError(
                f"must be a JSON list of origins or a comma-separated list, e.g. {_ORIGINS_EXAMPLE}"
            )
        return list(dict.fromkeys(check_origin(item) for item in value))

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.simulator_url and self.aws_endpoint_url:
            raise ValueError(
                "CLOUDWARDEN_SIMULATOR_URL and CLOUDWARDEN_AWS_ENDPOINT_URL are both set: set "
                "CLOUDWARDEN_SIMULATOR_URL for the simulated account, CLOUDWARDEN_AWS_ENDPOINT_URL for a "
                "real AWS endpoint"
            )
        self.github_config()  # raises ConfigurationError naming the variable
        return self

    @property
    def simulated(self) -> bool:
        """Whether AWS is the simulated account (an explicit setting, never inferred from a URL)."""
        return self.simulator_url is not None

    def aws_endpoint(self) -> str | None:
        """Where AWS calls go: the simulator, a configured endpoint, or None for AWS itself."""
        return self.simulator_url or self.aws_endpoint_url

    def github_config(self) -> GitHubConfig | None:
        """GitHub evidence settings, or None when not configured (GitHub is opt-in)."""
        from cloudwarden.github_settings import GitHubConfig

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


def check_host(value: str) -> str:
    """An address to listen on: an IP address or a host name; a ValueError says what is wrong."""
    host = value.strip()
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if not host or len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError(
            f"{shorten(host, 60)!r} is not an IP address or host name, e.g. 127.0.0.1 or 0.0.0.0"
        )
    return host


def check_origin(value: str) -> str:
    """A browser origin, as browsers send it: scheme://host[:port], lower case, nothing after."""
    origin = value.strip().rstrip("/")
    if origin == "*":
        raise ValueError(
            "'*' is not allowed: list each origin that may call the API, e.g. " + _ORIGINS_EXAMPLE
        )
    parts = urlsplit(origin)
    if parts.username or parts.password:  # not echoed: it may be a password
        raise ValueError("an origin has no user name or password: use scheme://host[:port]")
    try:
        parts.port  # noqa: B018  (raises for a port outside 0-65535)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or parts.path or parts.query or parts.fragment:
        raise ValueError(
            f"{shorten(origin, 60)!r} is not an origin: use scheme://host[:port] with nothing after, "
            f"e.g. {_ORIGINS_EXAMPLE}"
        )
    return origin.lower()


def _variable(location: tuple[int | str, ...]) -> str:
    field = str(location[0]) if location else ""
    return _GITHUB_VARIABLES.get(field) or (ENV_PREFIX + field.upper() if field else "CLOUDWARDEN_*")


def describe(exc: ValidationError) -> str:
    """One line naming each environment variable that is wrong, and why."""
    problems = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "literal_error" and error["loc"] and error["loc"][0] == "log_level":
            message = f"must be one of {', '.join(LOG_LEVELS)} (any case)"
        if error["loc"]:
            problems.append(f"{_variable(error['loc'])}: {message}")
        else:  # a rule over several settings: its message names them
            problems.append(message)
    return "; ".join(problems)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and `overrides`), or a ConfigurationError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(describe(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
