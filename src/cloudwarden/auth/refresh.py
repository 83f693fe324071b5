"""Refresh tokens: opaque, rotated on every use, grouped in families (one per sign-in).

A sign-in starts a family and gives its first token. Each use of the family's current token
rotates it: the presented token is marked used and a successor is issued. Presenting a token
that was already rotated means two parties hold the family's tokens (one of them stole it), and
which one is the user cannot be told, so the whole family is revoked: the thief's token and the
user's stop working together, and the user signs in again (OAuth 2.0 Security BCP, RFC 9700
§4.14.2). Logout revokes the family; a revoked or expired family refuses everything.

Tokens are 256 random bits (`secrets.token_urlsafe(32)`) stored as their SHA-256. A slow,
salted hash (Argon2) protects low-entropy secrets people choose; against 2^256 possibilities
brute force is hopeless already, and a plain digest can be looked up by an index, which a
salted hash cannot.

These functions decide; they store nothing. The service layer's refresh is:
    record = lookup by hash_refresh_token(presented)   # none: refuse ("unknown")
    family = lookup record.family_id
    outcome = use_refresh_token(family=family, record=record, now=now, policy=policy)
    store outcome.family, outcome.used and outcome.issued.record; commit; then answer.
The outcome is a value, not an exception, because a detected reuse must be committed (the
family's revocation) although the request is refused: an exception would roll it back. Run it
under a row lock on the family (SELECT ... FOR UPDATE), or two concurrent uses of one token would
both rotate; with the lock, the second is seen as a reuse and revokes the family.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from cloudwarden.auth.errors import require_aware

RevokeReason = Literal["logout", "reuse_detected", "password_changed", "two_factor_changed", "administrator"]
RefusalReason = Literal["reused", "revoked", "expired"]
TOKEN_BYTES = 32


@dataclass(frozen=True)
class RefreshPolicy:
    token_ttl: timedelta = timedelta(days=14)  # idle limit: unused this long, the session ends
    session_ttl: timedelta = timedelta(days=30)  # absolute limit of a family from its sign-in

    def __post_init__(self) -> None:
        if not timedelta(0) < self.token_ttl <= self.session_ttl:
            raise ValueError("token_ttl must be positive and at most session_ttl")


@dataclass(frozen=True)
class RefreshFamily:
    id: str
    subject: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: RevokeReason | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class RefreshTokenRecord:
    token_hash: str
    family_id: str
    issued_at: datetime
    expires_at: datetime
    rotated_at: datetime | None = None  # set when used: presenting it again is a reuse


@dataclass(frozen=True)
class IssuedRefreshToken:
    token: str  # give to the client (once); never stored
    record: RefreshTokenRecord  # store this


@dataclass(frozen=True)
class NewSession:
    family: RefreshFamily
    issued: IssuedRefreshToken


@dataclass(frozen=True)
class RefreshOutcome:
    family: RefreshFamily  # store: revoked when a reuse was detected
    used: RefreshTokenRecord | None = None  # store: the presented token, now rotated
    issued: IssuedRefreshToken | None = None  # store its record, give its token to the client
    refused: RefusalReason | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_family(*, subject: str, now: datetime, policy: RefreshPolicy = RefreshPolicy()) -> NewSession:
    """A new family for a sign-in of `subject`, with its first token."""
    if not subject:
        raise ValueError("a refresh family needs a subject")
    require_aware(now)
    family = RefreshFamily(
        id=secrets.token_urlsafe(16), subject=subject, created_at=now, expires_at=now + policy.session_ttl
    )
    return NewSession(family=family, issued=_issue(family, now=now, policy=policy))


def use_refresh_token(
    *,
    family: RefreshFamily,
    record: RefreshTokenRecord,
    now: datetime,
    policy: RefreshPolicy = RefreshPolicy(),
) -> RefreshOutcome:
    """Rotate `record` (the stored form of the presented token), or refuse it and say why."""
    require_aware(now)
    if record.family_id != family.id:
        raise ValueError("the token record belongs to another family")
    if family.revoked:
        return RefreshOutcome(family=family, refused="revoked")
    if record.rotated_at is not None:
        return RefreshOutcome(
            family=revoke_family(family, now=now, reason="reuse_detected"), refused="reused"
        )
    if now >= family.expires_at or now >= record.expires_at:
        return RefreshOutcome(family=family, refused="expired")
    return RefreshOutcome(
        family=family,
        used=replace(record, rotated_at=now),
        issued=_issue(family, now=now, policy=policy),
    )


def revoke_family(family: RefreshFamily, *, now: datetime, reason: RevokeReason = "logout") -> RefreshFamily:
    """The family revoked (logout, reuse, password change); revoking again keeps the first reason."""
    require_aware(now)
    if family.revoked:
        return family
    return replace(family, revoked_at=now, revoked_reason=reason)


def _issue(family: RefreshFamily, *, now: datetime, policy: RefreshPolicy) -> IssuedRefreshToken:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    record = RefreshTokenRecord(
        token_hash=hash_refresh_token(token),
        family_id=family.id,
        issued_at=now,
        # A successor never outlives its family: rotation cannot extend a session past session_ttl.
        expires_at=min(now + policy.token_ttl, family.expires_at),
    )
    return IssuedRefreshToken(token=token, record=record)
