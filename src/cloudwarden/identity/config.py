"""The service's identity settings, checked once when the service starts (`from_settings`).

Outside development a missing, default or short signing key or pepper, a key file that does not
exist, a KMS key that is not set, or the placeholder principal ARN stops the service with a
ConfigurationError naming the variable. In development an unset key is generated once and kept
in `data_dir/keys/service-secrets.json` (0600), so sessions and backup codes survive a restart.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from cloudwarden.auth.keys import ServerKey, load_server_key
from cloudwarden.auth.passwords import DEFAULT_PARAMETERS, Argon2Parameters
from cloudwarden.auth.refresh import RefreshPolicy
from cloudwarden.auth.tokens import AccessTokenSettings
from cloudwarden.aws.session import base_session
from cloudwarden.config import DEFAULT_PRINCIPAL, Settings
from cloudwarden.crypto.providers import KeyProvider, KmsKeyProvider, LocalKeyProvider, default_local_key_path
from cloudwarden.errors import ConfigurationError

DEV_SECRETS_FILE = Path("keys") / "service-secrets.json"


@dataclass(frozen=True)
class IdentityConfig:
    access: AccessTokenSettings
    pepper: ServerKey
    keys: KeyProvider
    refresh: RefreshPolicy = field(default_factory=RefreshPolicy)
    passwords: Argon2Parameters = DEFAULT_PARAMETERS
    max_failed_logins: int = 10  # then the account is locked for `lockout`
    lockout: timedelta = timedelta(minutes=15)
    invitation_ttl: timedelta = timedelta(days=7)
    api_token_max_days: int = 366


def from_settings(settings: Settings, *, passwords: Argon2Parameters = DEFAULT_PARAMETERS) -> IdentityConfig:
    """The identity settings of `settings`, or a ConfigurationError naming what is wrong."""
    development = settings.environment == "development"
    if not development and settings.principal_arn == DEFAULT_PRINCIPAL:
        raise ConfigurationError(
            "CLOUDWARDEN_PRINCIPAL_ARN is the placeholder: outside development set the ARN of the "
            "principal CloudWarden runs as (customers trust it in their role)"
        )
    signing = _server_key(settings, settings.jwt_secret, "CLOUDWARDEN_JWT_SECRET", "jwt_secret")
    pepper = _server_key(
        settings, settings.backup_code_pepper, "CLOUDWARDEN_BACKUP_CODE_PEPPER", "backup_code_pepper"
    )
    return IdentityConfig(
        access=AccessTokenSettings(key=signing),
        pepper=pepper,
        keys=key_provider(settings),
        passwords=passwords,
    )


def key_provider(settings: Settings) -> KeyProvider:
    """The provider that wraps data keys: the local key file, or KMS through CloudWarden's own credentials."""
    if settings.key_provider == "kms":
        if not settings.kms_key_arn:
            raise ConfigurationError(
                "CLOUDWARDEN_KEY_PROVIDER is kms but CLOUDWARDEN_KMS_KEY_ARN is not set: name the KMS key "
                "that wraps the workspaces' data keys"
            )
        region = settings.kms_key_arn.split(":")[3] if settings.kms_key_arn.count(":") >= 5 else ""
        region = region or settings.default_region
        client = base_session(settings, region).client("kms", endpoint_url=settings.aws_endpoint())
        return KmsKeyProvider(client, key_arn=settings.kms_key_arn)
    path = settings.key_file or default_local_key_path(settings.data_dir)
    if settings.environment != "development" and not path.expanduser().exists():
        raise ConfigurationError(
            f"the key file {path} does not exist: outside development it is created on purpose, not on "
            "first use (a new key would make every stored secret unreadable)",
            hint="create it with `cloudwarden keys rotate --create`, or set CLOUDWARDEN_KEY_FILE",
        )
    return LocalKeyProvider(path, create=settings.environment == "development")


def _server_key(settings: Settings, value: SecretStr | None, variable: str, name: str) -> ServerKey:
    raw = value.get_secret_value() if value is not None else None
    if settings.environment == "development" and not (raw or "").strip():
        raw = _development_secret(settings.data_dir, name)
    return load_server_key(raw, variable=variable, environment=settings.environment)


def _development_secret(data_dir: Path, name: str) -> str:
    """A random value kept in the development secrets file (created 0600 on first use)."""
    path = data_dir.expanduser() / DEV_SECRETS_FILE
    stored: dict[str, str] = {}
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigurationError(
                f"{path} cannot be read ({exc}): remove it to generate new keys"
            ) from None
    if not isinstance(stored.get(name), str):
        stored[name] = secrets.token_urlsafe(48)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle)
    return stored[name]
