"""Errors of the identity primitives, each with a machine-readable reason for logs and tests.

The API maps `InvalidToken` to 401 and `MissingScope` to 403; it should show a client the
message, never more (which of several secrets was wrong is for the server's log only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from cloudwarden.errors import EXIT_USAGE, CloudWardenError

InvalidTokenReason = Literal[
    "malformed",
    "alg_none",
    "wrong_algorithm",
    "wrong_type",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "wrong_audience",
    "wrong_issuer",
    "missing_claim",
    "lifetime_too_long",
    "unknown",
    "revoked",
]


class InvalidToken(CloudWardenError):
    """A token was refused; `reason` says why (stable, for logs and tests)."""

    code = "invalid_token"
    exit_code = EXIT_USAGE  # from the CLI's side a bad token is a bad setting the user can fix

    def __init__(self, reason: InvalidTokenReason, message: str, *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.reason: InvalidTokenReason = reason


class MissingScope(CloudWardenError):
    """A valid token that does not grant what the request needs."""

    code = "missing_scope"
    exit_code = EXIT_USAGE

    def __init__(self, scope: str):
        super().__init__(
            f"this token does not grant {scope}",
            hint=f"create a token with the {scope} scope",
        )
        self.scope = scope


def require_aware(moment: datetime, name: str = "now") -> datetime:
    """`moment` itself; a naive datetime is a bug (its zone would be guessed), so it raises."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, e.g. datetime.now(UTC)")
    return moment
