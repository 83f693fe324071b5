"""Access tokens: short-lived JWTs (PyJWT) that the API accepts on every request.

- The algorithm is pinned: HS256 signs, and decoding passes `algorithms=["HS256"]`, so a token
  whose header says `none`, HS512 or RS256 is refused whatever its signature. HS256 because
  CloudWarden both issues and verifies its tokens; an asymmetric algorithm (EdDSA) is worth its
  key management only once another service has to verify them.
- Every claim the API relies on is required: exp, iat, nbf, iss, aud, sub, jti. The audience must
  be exactly ours (`strict_aud`), the header `typ` must be `at+jwt` (RFC 9068), so no other JWT
  signed with the same key (a future e-mail link, say) passes as an access token.
- At most 15 minutes: refused at issue time, and a token claiming a longer life (issued under an
  older configuration, or forged with a leaked key) is refused at decode time too. Access tokens
  are not revocable; the short life bounds what a stolen one is worth, and refresh tokens
  (`refresh.py`) carry the revocable session.
- Leeway is small (10 s by default, at most 60 s): clock skew between servers, not a grace period.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from cloudwarden.auth.errors import InvalidToken, require_aware
from cloudwarden.auth.keys import ServerKey

__all__ = [
    "ALGORITHM",
    "MAX_ACCESS_TTL",
    "AccessClaims",
    "AccessToken",
    "AccessTokenSettings",
    "InvalidToken",
    "decode_access",
    "issue_access_token",
]

ALGORITHM = "HS256"
TOKEN_TYPE = "at+jwt"  # noqa: S105  (a JWT header value, not a secret)
MAX_ACCESS_TTL = timedelta(minutes=15)
MAX_LEEWAY = timedelta(seconds=60)
REQUIRED_CLAIMS = ("exp", "iat", "nbf", "iss", "aud", "sub", "jti")
# A JWT the API would accept is a few hundred bytes; anything far larger is not worth parsing.
MAX_TOKEN_LENGTH = 8192


@dataclass(frozen=True)
class AccessTokenSettings:
    key: ServerKey
    issuer: str = "cloudwarden"
    audience: str = "cloudwarden-api"
    ttl: timedelta = MAX_ACCESS_TTL
    leeway: timedelta = timedelta(seconds=10)

    def __post_init__(self) -> None:
        if not self.issuer or not self.audience:
            raise ValueError("the issuer and the audience must be non-empty")
        _check_ttl(self.ttl)
        if not timedelta(0) <= self.leeway <= MAX_LEEWAY:
            raise ValueError(f"the leeway must be between 0 and {int(MAX_LEEWAY.total_seconds())} seconds")


@dataclass(frozen=True)
class AccessToken:
    token: str
    jti: str
    expires_at: datetime


@dataclass(frozen=True)
class AccessClaims:
    subject: str
    jti: str
    issued_at: datetime
    expires_at: datetime
    extra: Mapping[str, Any] = field(default_factory=dict)  # e.g. "sid" (the refresh family)


def issue_access_token(
    *,
    subject: str,
    settings: AccessTokenSettings,
    now: datetime | None = None,
    ttl: timedelta | None = None,
    claims: Mapping[str, Any] | None = None,
) -> AccessToken:
    """A signed access token for `subject` (a user id), valid from `now` for `ttl` (≤ 15 min).

    `claims` adds non-registered claims (e.g. the session id); it may not override a required one.
    """
    if not subject:
        raise ValueError("an access token needs a subject")
    lifetime = settings.ttl if ttl is None else ttl
    _check_ttl(lifetime)
    extra = dict(claims or {})
    clashing = sorted(set(extra) & set(REQUIRED_CLAIMS))
    if clashing:
        raise ValueError(f"claims may not override {', '.join(clashing)}")
    issued_at = require_aware(now).astimezone(UTC) if now is not None else datetime.now(UTC)
    # JWT times are whole seconds; truncating here makes expires_at what the token says.
    issued_at = issued_at.replace(microsecond=0)
    expires_at = issued_at + lifetime
    jti = secrets.token_urlsafe(16)
    payload = {
        **extra,
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": subject,
        "jti": jti,
        "iat": int(issued_at.timestamp()),
        "nbf": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    token = jwt.encode(payload, settings.key.value, algorithm=ALGORITHM, headers={"typ": TOKEN_TYPE})
    return AccessToken(token=token, jti=jti, expires_at=expires_at)


def decode_access(token: str, *, settings: AccessTokenSettings) -> AccessClaims:
    """The verified claims of `token`, or InvalidToken with the reason it is refused."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("malformed", "the access token is not a JWT")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise InvalidToken("malformed", "the access token is not a JWT") from None
    # These two checks only make the reason clear: the pinned `algorithms` below is what enforces it.
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm.lower() == "none":
        raise InvalidToken("alg_none", "the access token is unsigned (alg: none)")
    if algorithm != ALGORITHM:
        raise InvalidToken("wrong_algorithm", f"the access token is signed with {algorithm}, not {ALGORITHM}")
    if header.get("typ") != TOKEN_TYPE:
        raise InvalidToken("wrong_type", "the token is not an access token")
    try:
        payload = jwt.decode(
            token,
            settings.key.value,
            algorithms=[ALGORITHM],
            audience=settings.audience,
            issuer=settings.issuer,
            leeway=settings.leeway,
            options={
                "require": list(REQUIRED_CLAIMS),
                "strict_aud": True,
                "enforce_minimum_key_length": True,
            },
        )
    except jwt.InvalidTokenError as exc:
        raise _refusal(exc) from None
    issued_at = datetime.fromtimestamp(int(payload["iat"]), UTC)
    expires_at = datetime.fromtimestamp(int(payload["exp"]), UTC)
    if expires_at - issued_at > MAX_ACCESS_TTL:
        raise InvalidToken("lifetime_too_long", "the access token claims a life longer than 15 minutes")
    subject, jti = payload["sub"], payload["jti"]
    if not subject or not jti:
        raise InvalidToken("missing_claim", "the access token has an empty sub or jti")
    extra = {k: v for k, v in payload.items() if k not in REQUIRED_CLAIMS}
    return AccessClaims(subject=subject, jti=jti, issued_at=issued_at, expires_at=expires_at, extra=extra)


def _refusal(exc: jwt.InvalidTokenError) -> InvalidToken:
    # Most specific first: InvalidSignatureError is a DecodeError, the others are siblings.
    if isinstance(exc, jwt.ExpiredSignatureError):
        return InvalidToken("expired", "the access token has expired", hint="refresh the session")
    if isinstance(exc, jwt.InvalidSignatureError):
        return InvalidToken("bad_signature", "the access token's signature does not match")
    if isinstance(exc, jwt.InvalidAudienceError):
        return InvalidToken("wrong_audience", "the access token is for another audience")
    if isinstance(exc, jwt.InvalidIssuerError):
        return InvalidToken("wrong_issuer", "the access token is from another issuer")
    if isinstance(exc, jwt.ImmatureSignatureError):
        return InvalidToken("not_yet_valid", "the access token is not valid yet (nbf or iat in the future)")
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return InvalidToken("missing_claim", f"the access token has no {exc.claim} claim")
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return InvalidToken("wrong_algorithm", f"the access token is not signed with {ALGORITHM}")
    return InvalidToken("malformed", "the access token is malformed")


def _check_ttl(ttl: timedelta) -> None:
    if not timedelta(0) < ttl <= MAX_ACCESS_TTL:
        raise ValueError("an access token lives more than 0 and at most 15 minutes")
