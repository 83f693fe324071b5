"""Server-side secrets: the access-token signing key and the backup-code pepper.

A key comes from a setting (the API will read `CLOUDWARDEN_JWT_SECRET` and
`CLOUDWARDEN_BACKUP_CODE_PEPPER`); `load_server_key` refuses an empty, well-known default or
short value outside development, naming the variable, so a deployment cannot start with a key
an attacker could guess. In development an empty value gives a random key for this process only
(sessions end on restart, which is what a developer expects of an unset key).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Literal

from cloudwarden.errors import ConfigurationError

Environment = Literal["development", "test", "production"]

# 256 bits: RFC 7518 §3.2 requires an HS256 key at least as long as the hash output.
MIN_KEY_BYTES = 32
# Values copied from templates, tutorials and .env examples: never a real key, whatever their length.
_KNOWN_DEFAULTS = frozenset(
    {
        "changethis",
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secretkey",
        "secret-key",
        "secret_key",
        "your-secret-key",
        "your_secret_key",
        "jwt-secret",
        "jwtsecret",
        "supersecret",
        "super-secret-key",
        "default",
        "development",
        "password",
        "cloudwarden",
        "test",
    }
)
_GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


@dataclass(frozen=True)
class ServerKey:
    """Key material; its repr never shows the bytes (settings objects get logged)."""

    value: bytes = field(repr=False)
    ephemeral: bool = False  # generated for this process because none was set (development)

    def __post_init__(self) -> None:
        if len(self.value) < MIN_KEY_BYTES:
            raise ValueError(f"a server key needs at least {MIN_KEY_BYTES} bytes")

    @classmethod
    def generate(cls) -> ServerKey:
        return cls(secrets.token_bytes(MIN_KEY_BYTES), ephemeral=True)


def load_server_key(raw: str | None, *, variable: str, environment: Environment) -> ServerKey:
    """The key set in `variable`, or a ConfigurationError naming it and saying how to make one."""
    value = (raw or "").strip()
    problem = None
    if not value:
        problem = "is not set"
    elif value.lower() in _KNOWN_DEFAULTS or "changethis" in value.lower():
        problem = "is a well-known default value"
    elif len(value.encode()) < MIN_KEY_BYTES:
        problem = f"is shorter than {MIN_KEY_BYTES} bytes"
    if problem is None:
        return ServerKey(value.encode())
    if environment != "development":
        raise ConfigurationError(
            f"{variable} {problem}: outside development CloudWarden needs a random key of at least "
            f"{MIN_KEY_BYTES} bytes",
            hint=f"generate one with: {_GENERATE}",
        )
    if not value:
        return ServerKey.generate()
    # Development only: a short or default value is stretched to the minimum length so a developer's
    # tokens survive restarts; it is no stronger than the value itself, which is why this is refused
    # everywhere else.
    return ServerKey(hashlib.sha256(value.encode()).digest())
